"""faiss IndexFlatIP / IndexFlatL2 and IndexIVFFlat on the same files as `casebook bench ann`.
"Open" is faiss.read_index of the index written after ingest (faiss keeps no other store).

faiss is given its fastest settings measured here, per phase. Batches go through BLAS from 20
queries up (`distance_compute_blas_threshold = 20`; the 1.15 wheel's default of 128,000 sends
smaller batches through its per-row loop, 6x slower here), while single queries keep the default
(at 20 a 1-query search was 5x slower) and run on one OpenMP thread (with two, 2.7x slower).
OpenMP's thread count is a per-thread setting, so every client thread sets it."""
import os

import faiss
import numpy as np

from common import arguments, batch_qps, load, log, recall, report, seconds, single_queries, temporary_path


def extra(parser):
    parser.add_argument("--index", default="flat", choices=["flat", "ivf"])
    parser.add_argument("--nlist", type=int, default=1024)
    parser.add_argument("--nprobe", default="1,2,4,8,16,32,64")


args = arguments(__doc__, extra)
base, queries, truth = load(args)
d = base.shape[1]
if args.metric == "cosine":
    faiss.normalize_L2(base)
    faiss.normalize_L2(queries)
measure = faiss.METRIC_L2 if args.metric == "l2" else faiss.METRIC_INNER_PRODUCT
faiss.omp_set_num_threads(args.threads)
default_blas_threshold = faiss.cvar.distance_compute_blas_threshold

train = 0.0
if args.index == "flat":
    index = faiss.IndexFlatL2(d) if args.metric == "l2" else faiss.IndexFlatIP(d)
else:
    quantizer = faiss.IndexFlatL2(d) if args.metric == "l2" else faiss.IndexFlatIP(d)
    index = faiss.IndexIVFFlat(quantizer, d, args.nlist, measure)
    train, _ = seconds(lambda: index.train(base))
ingest, _ = seconds(lambda: index.add(base))
path = temporary_path("faiss.index")
faiss.write_index(index, path)
del index
open_seconds, index = seconds(lambda: faiss.read_index(path))
os.remove(path)


def run(nprobe):
    if nprobe is not None:
        faiss.extract_index_ivf(index).nprobe = nprobe
    # One client thread per --threads, each search single-threaded inside faiss (as Casebook's
    # single queries are); batches use --threads OpenMP threads.
    faiss.cvar.distance_compute_blas_threshold = default_blas_threshold
    answers, single = single_queries(lambda q, _: index.search(q[None, :], args.k)[1][0], queries, args.threads,
                                     thread_setup=lambda: faiss.omp_set_num_threads(1))
    faiss.omp_set_num_threads(args.threads)
    faiss.cvar.distance_compute_blas_threshold = 20
    batch = batch_qps(lambda qs: index.search(qs, args.k), queries, args.rounds)
    return {"nprobe": nprobe, "recall": recall(args.k, answers, truth, base, queries, args.metric),
            "single": single, "batch": {"qps": batch}}


probes = [None] if args.index == "flat" else [int(p) for p in args.nprobe.split(",")]
runs = []
for p in probes:
    log(f"faiss {args.index} nprobe={p}")
    runs.append(run(p))
report("faiss", args.index, args, base, queries, ingest, open_seconds, train, runs,
       version=faiss.__version__, nlist=args.nlist if args.index == "ivf" else None)
