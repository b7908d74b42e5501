"""hnswlib (graph index, approximate) on the same files, for reference: recall and speed per
search-time ef. Build parameters M and ef_construction are fixed per run and reported."""
import os

import hnswlib
import numpy as np

from common import arguments, batch_qps, load, log, recall, report, seconds, single_queries, temporary_path


def extra(parser):
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=100)
    parser.add_argument("--ef", default="10,20,40,80,160")


args = arguments(__doc__, extra)
base, queries, truth = load(args)
space = {"ip": "ip", "cosine": "cosine", "l2": "l2"}[args.metric]
index = hnswlib.Index(space=space, dim=base.shape[1])
index.init_index(max_elements=len(base), M=args.m, ef_construction=args.ef_construction)
index.set_num_threads(args.threads)
ingest, _ = seconds(lambda: index.add_items(base, np.arange(len(base))))
path = temporary_path("hnsw.bin")
index.save_index(path)
del index
index = hnswlib.Index(space=space, dim=base.shape[1])
open_seconds, _ = seconds(lambda: index.load_index(path, max_elements=len(base)))
os.remove(path)

runs = []
for ef in [int(e) for e in args.ef.split(",")]:
    log(f"hnswlib ef={ef}")
    index.set_ef(max(ef, args.k))
    answers, single = single_queries(
        lambda q, _: index.knn_query(q[None, :], k=args.k, num_threads=1)[0][0], queries, args.threads)
    batch = batch_qps(lambda qs: index.knn_query(qs, k=args.k, num_threads=args.threads), queries, args.rounds)
    runs.append({"nprobe": None, "ef": ef, "recall": recall(args.k, answers, truth, base, queries, args.metric),
                 "single": single, "batch": {"qps": batch}})
report("hnswlib", "hnsw", args, base, queries, ingest, open_seconds, 0.0, runs,
       version=hnswlib.__version__ if hasattr(hnswlib, "__version__") else "0.8.0",
       m=args.m, efConstruction=args.ef_construction)
