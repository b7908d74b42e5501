#!/usr/bin/env python3
"""FAISS's k-means (`faiss.Kmeans`, what IndexIVFFlat trains its quantizer with) on a vector file,
with the same clusters, iterations and rows per cluster as `casebook bench kmeans`; prints the
same JSON shape. FAISS seeds randomly; Casebook uses k-means++.

    kmeans_faiss.py --base FILE.fvecs --nlist 1024 --iterations 10 --sample-per-cluster 256 --metric ip
"""
import argparse
import json
import time

import faiss
import numpy as np

from common import read_vecs

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--base", required=True)
parser.add_argument("--nlist", type=int, default=1024)
parser.add_argument("--iterations", type=int, default=10)
parser.add_argument("--sample-per-cluster", type=int, default=256)
parser.add_argument("--metric", default="ip")
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--seed", type=int, default=1)
args = parser.parse_args()

faiss.omp_set_num_threads(args.threads)
x = np.ascontiguousarray(read_vecs(args.base), dtype="float32")
spherical = args.metric != "l2"
if spherical:
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-30)
kmeans = faiss.Kmeans(x.shape[1], args.nlist, niter=args.iterations, spherical=spherical, seed=args.seed,
                      max_points_per_centroid=args.sample_per_cluster, verbose=False)
started = time.perf_counter()
kmeans.train(x)
seconds = time.perf_counter() - started
_, labels = kmeans.index.search(x[: min(len(x), args.nlist * args.sample_per_cluster)], 1)
sizes = np.bincount(labels.ravel(), minlength=args.nlist)
print(json.dumps({
    "system": "faiss", "n": int(x.shape[0]), "dim": int(x.shape[1]), "nlist": args.nlist, "iterations": args.iterations,
    "trainedRows": int(min(len(x), args.nlist * args.sample_per_cluster)), "trainSeconds": seconds,
    "objective": [float(v) / min(len(x), args.nlist * args.sample_per_cluster) for v in kmeans.obj],
    "imbalance": float(sizes.max() / sizes.mean()), "emptyLists": int((sizes == 0).sum()),
}))
