#!/usr/bin/env python3
"""scikit-learn's HashingVectorizer(analyzer='char_wb', ngram_range=(3, 5), n_features=2**18) on the
same precedents Casebook's hashed-v1 embeds: throughput on one core, and retrieval quality by the
same rules as `casebook bench quality`.

  embed_sklearn.py throughput --input FILE.jsonl [--min-seconds 2]
  embed_sklearn.py quality [--precedents ...] [--queries ...] [--labels ...] [--k 10]

A precedent becomes one string: its text, then its context flattened as "key value" pairs (nested
keys joined with "."), then tags and category — the fields hashed-v1 embeds. A query is its text and
context only. Both print one JSON object like Casebook's.
"""
import argparse
import csv
import json
import os
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import HashingVectorizer  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def vectorizer():
    return HashingVectorizer(analyzer="char_wb", ngram_range=(3, 5), n_features=2**18)


def flatten(value, path, out):
    if value is None:
        return
    if isinstance(value, dict):
        for key in sorted(value):
            flatten(value[key], f"{path}.{key}" if path else key, out)
    elif isinstance(value, list):
        for item in value:
            flatten(item, path, out)
    else:
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        out.append(f"{path} {text}")


def document(precedent, query=False):
    parts = [precedent.get("text") or ""]
    flatten(precedent.get("context") or {}, "", parts)
    if not query:
        parts.extend(precedent.get("tags") or [])
        if precedent.get("category"):
            parts.append(precedent["category"])
    return " ".join(p for p in parts if p)


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def throughput(args):
    with open(args.input, encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f if line.strip()]
    docs = [document(json.loads(line)) for line in lines]
    total_bytes = sum(len(d.encode("utf-8")) for d in docs)
    hasher = vectorizer()
    passes = []
    started = time.perf_counter()
    while len(passes) < 3 or time.perf_counter() - started < args.min_seconds:
        t0 = time.perf_counter()
        hasher.transform(docs)
        passes.append(time.perf_counter() - t0)
    seconds = statistics.median(passes)
    print(json.dumps({
        "system": "sklearn-hashingvectorizer-char_wb-3-5", "dims": 2**18, "docs": len(docs), "bytes": total_bytes,
        "passes": len(passes), "seconds": seconds, "docsPerSecond": len(docs) / seconds,
        "mbPerSecond": total_bytes / seconds / 1e6,
    }, sort_keys=True))


def quality(args):
    base = read_jsonl(args.precedents)
    held = read_jsonl(args.queries)
    with open(args.labels, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    scenario = {row["id"]: row["scenario"] for row in rows}
    probability = {row["id"]: float(row["successProbability"]) for row in rows if row.get("successProbability")}
    hasher = vectorizer()
    t0 = time.perf_counter()
    matrix = hasher.transform([document(p) for p in base]).tocsr()
    add_seconds = time.perf_counter() - t0
    queries = hasher.transform([document(q, query=True) for q in held]).tocsr()
    groups = {}
    for i, p in enumerate(base):
        groups.setdefault((p["tenant"], p.get("category") or ""), []).append(i)
    group_rows = {key: (np.array(rows), matrix[rows]) for key, rows in groups.items()}
    share = 0.0
    correct = 0
    agreeing = 0
    for qi, q in enumerate(held):
        rows, sub = group_rows.get((q["tenant"], q.get("category") or ""), (np.array([], dtype=int), None))
        if sub is None or len(rows) == 0:
            vote = False
            top = []
        else:
            scores = (sub @ queries[qi].T).toarray().ravel()
            # Best first; equal scores in input order, like a stable sort of Casebook's ties.
            order = np.argsort(-scores, kind="stable")[: args.k]
            top = [base[rows[j]] for j in order]
            label = scenario[q["id"]]
            share += sum(scenario[p["id"]] == label for p in top) / len(top)
            known = [p["wasSuccessful"] for p in top if p.get("wasSuccessful") is not None]
            vote = bool(known) and 2 * sum(known) >= len(known)
        if vote == bool(q.get("wasSuccessful")):
            correct += 1
        if q["id"] in probability and vote == (probability[q["id"]] >= 0.5):
            agreeing += 1
    print(json.dumps({
        "system": "sklearn-hashingvectorizer-char_wb-3-5", "dims": 2**18, "precedents": len(base), "queries": len(held),
        "k": args.k, "scenarioShare": share / len(held), "outcomeAccuracy": correct / len(held), "addSeconds": add_seconds,
        "decisionAgreement": agreeing / len(held) if probability else None,
    }, sort_keys=True))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("--input", required=True)
    t.add_argument("--min-seconds", type=float, default=2.0)
    q = sub.add_parser("quality")
    q.add_argument("--precedents", default=os.path.join(ROOT, "data", "sample-precedents.jsonl"))
    q.add_argument("--queries", default=os.path.join(ROOT, "data", "sample-queries.jsonl"))
    q.add_argument("--labels", default=os.path.join(ROOT, "data", "sample-labels.csv"))
    q.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    throughput(args) if args.command == "throughput" else quality(args)


if __name__ == "__main__":
    main()
