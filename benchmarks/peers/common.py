"""What every peer script shares: the vector-file readers, recall@k with ties (the same rule as
Casebook's Recall.swift), the timing of single and batched queries, and the report's JSON shape
(the one `casebook bench ann --json` prints)."""
import argparse
import json
import os
import resource
import statistics
import sys
import threading
import time

import numpy as np


def read_vecs(path):
    """.fvecs / .ivecs / .bvecs / .npy as a 2-D array (bvecs widened to float32)."""
    if path.endswith(".npy"):
        return np.load(path)
    scalar = {"fvecs": "<f4", "ivecs": "<i4", "bvecs": "u1"}[path.rsplit(".", 1)[1]]
    raw = np.fromfile(path, dtype="u1")
    dim = int(raw[:4].view("<i4")[0])
    width = np.dtype(scalar).itemsize
    record = 4 + dim * width
    if raw.size % record:
        sys.exit(f"{path}: truncated ({raw.size} bytes is not a multiple of {record})")
    rows = raw.reshape(-1, record)
    if not (rows[:, :4].copy().view("<i4") == dim).all():
        sys.exit(f"{path}: records of different dimensions")
    data = rows[:, 4:].copy().view(scalar)
    return data.astype("float32") if scalar == "u1" else data


def similarity(metric, query, rows):
    """Similarity in float64, larger closer: cosine, inner product or negated squared L2."""
    q = query.astype("float64")
    r = rows.astype("float64")
    if metric == "ip":
        return r @ q
    if metric == "cosine":
        norms = np.linalg.norm(r, axis=1) * np.linalg.norm(q)
        return np.where(norms > 0, (r @ q) / np.where(norms > 0, norms, 1), -np.inf)
    return -((r - q) ** 2).sum(axis=1)


def recall(k, returned, truth, base, queries, metric, tolerance=1e-5):
    """Mean recall@k; a returned id whose similarity ties the k-th true one counts as a hit."""
    hits = possible = 0
    for q, ids in enumerate(returned):
        true_top = [int(t) for t in truth[q][:k]]
        if -1 in true_top:
            true_top = true_top[: true_top.index(-1)]
        if not true_top:
            continue
        kth = similarity(metric, queries[q], base[[true_top[-1]]])[0]
        threshold = kth - tolerance * max(1.0, abs(kth))
        seen = []
        for i in ids:
            i = int(i)
            if len(seen) == len(true_top):
                break
            if i not in seen:
                seen.append(i)
        valid = [i for i in seen if 0 <= i < len(base)]
        scores = dict(zip(valid, similarity(metric, queries[q], base[valid]))) if valid else {}
        true_set = set(true_top)
        hits += sum(1 for i in seen if i in true_set or scores.get(i, -np.inf) >= threshold)
        possible += len(true_top)
    return hits / possible if possible else 1.0


def _self_test():
    base = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]], dtype="float32")
    queries = np.array([[1, 0.1, 0], [0.1, 1, 0]], dtype="float32")
    truth = np.array([[0], [1]])
    assert recall(1, [[2], [3]], truth, base, queries, "ip") == 0.5  # tie is a hit, row 3 is not
    assert recall(1, [[0, 1], [1]], truth, base, queries, "ip") == 1.0
    assert recall(2, [[0, 0]], np.array([[0, 2]]), base, queries, "ip") == 0.5  # repeats count once


_self_test()


def arguments(description, extra=None):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--base", required=True)
    parser.add_argument("--queries", required=True)
    parser.add_argument("--truth", required=True)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--metric", default="ip", choices=["ip", "cosine", "l2"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-queries", type=int, default=10_000)
    parser.add_argument("--max-single", type=int, default=None,
                        help="time at most this many single queries (slow peers)")
    parser.add_argument("--rounds", type=int, default=3)
    if extra:
        extra(parser)
    return parser.parse_args()


def load(args):
    base = np.ascontiguousarray(read_vecs(args.base), dtype="float32")
    queries = np.ascontiguousarray(read_vecs(args.queries)[: args.max_queries], dtype="float32")
    truth = read_vecs(args.truth)
    return base, queries, truth


def seconds(body):
    start = time.perf_counter()
    result = body()
    return time.perf_counter() - start, result


def single_queries(search_one, queries, threads, limit=None, thread_setup=None):
    """`threads` client threads each send every threads-th query, one at a time. Returns the ids
    per query (None for queries not run) and {"qps", "p50Ms", "p99Ms"}. `thread_setup` runs first
    in every client thread (OpenMP settings are per thread)."""
    if thread_setup:
        thread_setup()
    count = len(queries) if limit is None else min(limit, len(queries))
    for q in range(min(count, 10)):
        search_one(queries[q], 0)  # warm-up
    answers = [None] * count
    latencies = [0.0] * count

    def worker(offset):
        if thread_setup:
            thread_setup()
        for q in range(offset, count, threads):
            start = time.perf_counter()
            answers[q] = search_one(queries[q], offset)
            latencies[q] = time.perf_counter() - start

    workers = [threading.Thread(target=worker, args=(w,)) for w in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall = time.perf_counter() - start
    ordered = sorted(latencies)
    p99 = ordered[min(count - 1, int(np.ceil(count * 0.99)) - 1)]
    return answers, {"qps": count / wall, "p50Ms": ordered[count // 2] * 1e3, "p99Ms": p99 * 1e3}


def batch_qps(search_all, queries, rounds):
    search_all(queries)  # warm-up
    times = [seconds(lambda: search_all(queries))[0] for _ in range(rounds)]
    return len(queries) / statistics.median(times)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(system, index, args, base, queries, ingest, open_seconds, train, runs, **extra):
    print(json.dumps({
        "system": system, "index": index, "n": len(base), "dim": base.shape[1], "k": args.k,
        "metric": args.metric, "threads": args.threads, "queries": len(queries),
        "ingestSeconds": ingest, "openSeconds": open_seconds, "trainSeconds": train,
        "peakRssMB": peak_rss_mb(), "runs": runs, **extra,
    }, sort_keys=True))


def connect_sqlite_vec(path):
    """A connection with sqlite-vec loaded, usable from any thread (each client thread has its own).
    Python's own sqlite3 may be built without extension loading, so pysqlite3-binary's is used."""
    import pysqlite3 as sqlite3
    import sqlite_vec
    db = sqlite3.connect(path, check_same_thread=False)
    db.enable_load_extension(True)
    sqlite_vec.load(db)
    db.enable_load_extension(False)
    return db


def log(message):
    print(f"peer: {message}", file=sys.stderr, flush=True)


def temporary_path(name):
    directory = os.environ.get("TMPDIR", "/tmp")
    return os.path.join(directory, f"casebook-peer-{os.getpid()}-{name}")
