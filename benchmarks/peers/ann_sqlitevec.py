"""sqlite-vec's vec0 virtual table (exact KNN) on the same files, in a database file: ingest in
one transaction, close, reopen, then KNN queries. Each client thread has its own connection.
sqlite-vec has no batch query, so batched QPS is the single-query figure's (null in JSON)."""
import os

import numpy as np

from common import arguments, connect_sqlite_vec, load, log, recall, report, seconds, single_queries, temporary_path

args = arguments(__doc__)
base, queries, truth = load(args)
distance = {"ip": "cosine", "cosine": "cosine", "l2": "L2"}[args.metric]
if args.metric == "ip":
    norms = np.linalg.norm(base, axis=1)
    if not np.allclose(norms, 1, atol=1e-4):
        raise SystemExit("sqlite-vec has no inner-product distance; --metric ip needs unit vectors")
path = temporary_path("vec.sqlite")


def connect():
    return connect_sqlite_vec(path)


def ingest():
    db = connect()
    db.execute(f"create table v using vec0(embedding float[{base.shape[1]}] distance_metric={distance})"
               .replace("create table", "create virtual table"))
    with db:
        db.executemany("insert into v(rowid, embedding) values (?, ?)",
                       ((i, base[i].tobytes()) for i in range(len(base))))
    db.close()


ingest_seconds, _ = seconds(ingest)
connections = {}


def open_and_query():
    db = connect()
    db.execute("select rowid from v where embedding match ? and k = ?", (queries[0].tobytes(), args.k)).fetchall()
    return db


open_seconds, connections[0] = seconds(open_and_query)
for t in range(1, args.threads):
    connections[t] = connect()


def search(q, worker):
    rows = connections[worker].execute(
        "select rowid from v where embedding match ? and k = ? order by distance", (q.tobytes(), args.k)).fetchall()
    return [r[0] for r in rows]


log(f"sqlite-vec vec0 single queries ({args.max_single or len(queries)})")
answers, single = single_queries(search, queries, args.threads, args.max_single)
measured = [i for i, a in enumerate(answers) if a is not None]
score = recall(args.k, [answers[i] for i in measured], truth[measured], base, queries[measured], args.metric)
report("sqlite-vec", "vec0", args, base, queries[: len(answers)], ingest_seconds, open_seconds, 0.0,
       [{"nprobe": None, "recall": score, "single": single, "batch": None}],
       version=connections[0].execute("select vec_version()").fetchone()[0])
for db in connections.values():
    db.close()
os.remove(path)
