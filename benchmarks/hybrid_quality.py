#!/usr/bin/env python3
"""Hybrid search on the real text sets of real_quality.py: each passage and query also gets a dense
vector from an external model — a sentence model, WordLlama l2_supercat (256 dims, its weights
inside its PyPI wheel), or with --model lsa latent semantic analysis fitted here on the precedents
only (scikit-learn TF-IDF, then TruncatedSVD to --dims components). `casebook bench hybrid` then
measures topic share by lexical weight and a hybrid query's latency beside its two parts; the same
vectors searched alone in NumPy are the dense baseline.

    python3 benchmarks/hybrid_quality.py CASEBOOK_BINARY [--work DIR] [--model wordllama|lsa]
        [--dims 128] [--only austen,tate] [--embedder hashed-v2|hashed-v1]
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import real_quality as rq  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("casebook")
    parser.add_argument("--work", default="/tmp/casebook-real-quality")
    parser.add_argument("--model", choices=("wordllama", "lsa"), default="wordllama")
    parser.add_argument("--dims", type=int, default=128, help="LSA components (--model lsa)")
    parser.add_argument("--only", default=",".join(n for n in rq.TEXT_SETS if n not in rq.HELD_OUT))
    parser.add_argument("--embedder", default="hashed-v2", help="the featurizer: hashed-v1 or hashed-v2")
    args = parser.parse_args()
    for name in args.only.split(","):
        folder, base_file, query_file, label_file, base, queries, base_labels, query_labels = rq.prepare(
            args.work, name, 1000)
        # The records as written (ids, tenant and category included).
        read = lambda file: [json.loads(line) for line in open(os.path.join(folder, file), encoding="utf-8") if line.strip()]
        base, queries = read(base_file), read(query_file)
        texts = lambda rows: [r.get("text") or "" for r in rows]
        if args.model == "lsa":
            tfidf = TfidfVectorizer(sublinear_tf=True).fit(texts(base))
            svd = TruncatedSVD(n_components=args.dims, random_state=0).fit(tfidf.transform(texts(base)))
            vb = normalize(svd.transform(tfidf.transform(texts(base))))
            vq = normalize(svd.transform(tfidf.transform(texts(queries))))
        else:
            vb, vq = rq.sentence_vectors(texts(base)), rq.sentence_vectors(texts(queries))
        dims = vb.shape[1]
        out = os.path.join(args.work, f"{name}-{args.model}")
        os.makedirs(out, exist_ok=True)
        for rows, vectors, file in ((base, vb, "precedents.jsonl"), (queries, vq, "queries.jsonl")):
            with open(os.path.join(out, file), "w", encoding="utf-8") as f:
                for row, vector in zip(rows, vectors):
                    record = dict(row)
                    record["vector"] = [round(float(x), 6) for x in vector]
                    f.write(json.dumps(record) + "\n")
        model_share = rq.topic_share(vb, vq, base_labels, query_labels)
        run = subprocess.run([args.casebook, "bench", "hybrid", "--precedents", os.path.join(out, "precedents.jsonl"),
                              "--queries", os.path.join(out, "queries.jsonl"),
                              "--labels", os.path.join(folder, label_file), "--companion-dims", str(dims),
                              "--embedder", args.embedder, "--json"],
                             check=True, capture_output=True, text=True)
        report = json.loads(run.stdout)
        report.update({"dataset": name, "embedder": args.embedder, "model": args.model, "modelDims": dims, "modelAloneShare": model_share})
        print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
