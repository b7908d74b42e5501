#!/usr/bin/env python3
"""Writes N documents of about 400 bytes of free text each (JSONL: {"text": ...}), built from the
sentences of data/sample-precedents.jsonl in a seeded random order — operational notes of the
length an agent writes, for `casebook bench embed` and embed_sklearn.py to read alike.

    python3 benchmarks/make_text400.py OUT.jsonl [--count 4000]
"""
import argparse
import json
import os
import random

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--count", type=int, default=4000)
    args = parser.parse_args()
    sentences = []
    with open(os.path.join(ROOT, "data", "sample-precedents.jsonl"), encoding="utf-8") as f:
        for line in f:
            text = json.loads(line).get("text") or ""
            sentences.extend(s.strip() + "." for s in text.split(".") if s.strip())
    rng = random.Random(400)
    with open(args.out, "w", encoding="utf-8") as f:
        for _ in range(args.count):
            parts = []
            while len(" ".join(parts).encode("utf-8")) < 400:
                parts.append(rng.choice(sentences))
            f.write(json.dumps({"text": " ".join(parts)}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
