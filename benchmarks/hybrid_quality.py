#!/usr/bin/env python3
"""Hybrid search on the real text sets of real_quality.py: each passage and query also gets a dense
vector from a model fitted here — latent semantic analysis (scikit-learn TF-IDF, then TruncatedSVD
to --dims components, fitted on the precedents only) — standing in for an external model (a
sentence model's weights cannot be downloaded on this machine). `casebook bench hybrid` then
measures topic share by lexical weight and a hybrid query's latency beside its two parts; the same
LSA vectors searched alone in NumPy are the dense baseline.

    python3 benchmarks/hybrid_quality.py CASEBOOK_BINARY [--work DIR] [--dims 128] [--only austen,tate]
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
    parser.add_argument("--dims", type=int, default=128)
    parser.add_argument("--only", default=",".join(rq.TEXT_SETS))
    args = parser.parse_args()
    for name in args.only.split(","):
        folder, base_file, query_file, label_file, base, queries, base_labels, query_labels = rq.prepare(
            args.work, name, 1000)
        # The records as written (ids, tenant and category included).
        read = lambda file: [json.loads(line) for line in open(os.path.join(folder, file), encoding="utf-8") if line.strip()]
        base, queries = read(base_file), read(query_file)
        texts = lambda rows: [r.get("text") or "" for r in rows]
        tfidf = TfidfVectorizer(sublinear_tf=True).fit(texts(base))
        svd = TruncatedSVD(n_components=args.dims, random_state=0).fit(tfidf.transform(texts(base)))
        vb = normalize(svd.transform(tfidf.transform(texts(base))))
        vq = normalize(svd.transform(tfidf.transform(texts(queries))))
        out = os.path.join(args.work, f"{name}-lsa")
        os.makedirs(out, exist_ok=True)
        for rows, vectors, file in ((base, vb, "precedents.jsonl"), (queries, vq, "queries.jsonl")):
            with open(os.path.join(out, file), "w", encoding="utf-8") as f:
                for row, vector in zip(rows, vectors):
                    record = dict(row)
                    record["vector"] = [round(float(x), 6) for x in vector]
                    f.write(json.dumps(record) + "\n")
        lsa_share = rq.topic_share(vb, vq, base_labels, query_labels)
        run = subprocess.run([args.casebook, "bench", "hybrid", "--precedents", os.path.join(out, "precedents.jsonl"),
                              "--queries", os.path.join(out, "queries.jsonl"),
                              "--labels", os.path.join(folder, label_file), "--companion-dims", str(args.dims), "--json"],
                             check=True, capture_output=True, text=True)
        report = json.loads(run.stdout)
        report.update({"dataset": name, "lsaDims": args.dims, "lsaAloneShare": lsa_share})
        print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
