#!/usr/bin/env python3
"""How far collection statistics alone could take the text sets' topic share (an exploration, not
a Casebook configuration): full-vocabulary TF-IDF of words and character 3-5 grams (both sides,
sublinear tf, character n-grams seen at least twice, words at half weight), then latent semantic
analysis fitted on the precedents only (TruncatedSVD to 128, 256, 512 components), alone and
side by side with the TF-IDF vector (share a of the cosine from the latent part). Scored as
real_quality.py scores text sets (its `topic_share`): the share of each query's cosine top 10
with its label.

    benchmarks/.venv/bin/python benchmarks/latent_probe.py [--work benchmarks/out/quality/data] SET...
"""
import argparse
import csv
import json
import os

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from real_quality import topic_share as share


def load(work, name):
    def rows(file):
        with open(os.path.join(work, name, file), encoding="utf-8") as f:
            return [json.loads(line) for line in f]
    base, queries = rows("precedents.jsonl"), rows("queries.jsonl")
    with open(os.path.join(work, name, "labels.csv"), encoding="utf-8") as f:
        labels = {r["id"]: r["scenario"] for r in csv.DictReader(f)}
    return ([r["text"] for r in base], [r["text"] for r in queries],
            [labels[r["id"]] for r in base], [labels[r["id"]] for r in queries])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", default="benchmarks/out/quality/data")
    parser.add_argument("sets", nargs="+")
    args = parser.parse_args()
    for name in args.sets:
        base, queries, base_labels, query_labels = load(args.work, name)
        words = TfidfVectorizer(sublinear_tf=True).fit(base)
        chars = TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(3, 5), min_df=2).fit(base)
        lexical = [normalize(sp.hstack([words.transform(t) * 0.5, chars.transform(t)]).tocsr()) for t in (base, queries)]
        result = {"words": share(words.transform(base), words.transform(queries), base_labels, query_labels),
                  "words+chars": share(*lexical, base_labels, query_labels)}
        for components in (128, 256, 512):
            svd = TruncatedSVD(components, random_state=0, algorithm="randomized", n_iter=4).fit(lexical[0])
            latent = [normalize(svd.transform(m)) for m in lexical]
            result[f"lsa{components}"] = share(*latent, base_labels, query_labels)
            for a in (0.5, 0.7):
                mixed = [sp.hstack([m * np.sqrt(1 - a), sp.csr_matrix(l * np.sqrt(a))]).tocsr() for m, l in zip(lexical, latent)]
                result[f"lsa{components}+lexical@{a}"] = share(*mixed, base_labels, query_labels)
        print(name, json.dumps({k: round(v, 3) for k, v in result.items()}), flush=True)


if __name__ == "__main__":
    main()
