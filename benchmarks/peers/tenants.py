"""The multi-tenant workload of `casebook bench tenants` through a peer:
  sqlite-vec: one vec0 table, `tenant integer partition key`, `category integer` metadata column,
              KNN with `tenant = ?` (and `category = ?`).
  faiss:      one IndexFlatIP per tenant (faiss has no tenants); the category filter is an
              IDSelectorBatch of the tenant's rows in that category, passed as SearchParameters.
Reads the directory written by `casebook bench generate --tenants T`; prints the same JSON shape."""
import argparse
import json
import os
import numpy as np

from common import connect_sqlite_vec, log, peak_rss_mb, read_vecs, recall, seconds, single_queries, temporary_path

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--system", required=True, choices=["sqlite-vec", "faiss"])
parser.add_argument("--data", required=True)
parser.add_argument("--k", type=int, default=10)
parser.add_argument("--metric", default="ip", choices=["ip", "cosine"])
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--max-queries", type=int, default=10_000)
args = parser.parse_args()


def load(name):
    return read_vecs(os.path.join(args.data, name))


base = np.ascontiguousarray(load("base.fvecs"), dtype="float32")
queries = np.ascontiguousarray(load("queries.fvecs")[: args.max_queries], dtype="float32")
labels, query_labels = load("labels.ivecs"), load("query_labels.ivecs")[: len(queries)]
truth, truth_filtered = load("truth.ivecs"), load("truth_filtered.ivecs")
tenant_of, category_of = labels[:, 0], labels[:, 1]


def sqlite_vec_system():
    path = temporary_path("tenants.sqlite")

    def connect():
        return connect_sqlite_vec(path)

    def ingest():
        db = connect()
        db.execute(f"create virtual table v using vec0(tenant integer partition key, category integer, "
                   f"embedding float[{base.shape[1]}] distance_metric=cosine)")
        with db:
            db.executemany("insert into v(rowid, tenant, category, embedding) values (?, ?, ?, ?)",
                           ((i, int(tenant_of[i]), int(category_of[i]), base[i].tobytes()) for i in range(len(base))))
        db.close()

    ingest_seconds, _ = seconds(ingest)
    connections = [connect() for _ in range(args.threads)]
    open_seconds = 0.0

    def search(filtered):
        def one(q_index, worker):
            tenant, category = (int(x) for x in query_labels[q_index])
            sql = "select rowid from v where embedding match ? and k = ? and tenant = ?"
            params = [queries[q_index].tobytes(), args.k, tenant]
            if filtered:
                sql += " and category = ?"
                params.append(category)
            return [r[0] for r in connections[worker].execute(sql + " order by distance", params).fetchall()]
        return one

    def cleanup():
        for db in connections:
            db.close()
        os.remove(path)

    version = connections[0].execute("select vec_version()").fetchone()[0]
    return "vec0", ingest_seconds, open_seconds, search, cleanup, version, None


def faiss_system():
    import faiss
    faiss.omp_set_num_threads(1)
    indexes, row_ids, selectors = {}, {}, {}

    def ingest():
        for tenant in np.unique(tenant_of):
            rows = np.flatnonzero(tenant_of == tenant)
            index = faiss.IndexFlatIP(base.shape[1])
            index.add(base[rows])
            indexes[int(tenant)], row_ids[int(tenant)] = index, rows

    ingest_seconds, _ = seconds(ingest)
    # Selectors are built before timing, once per (tenant, category) that queries use.
    for tenant, category in {(int(t), int(c)) for t, c in query_labels}:
        if tenant in row_ids:
            local = np.flatnonzero(category_of[row_ids[tenant]] == category).astype("int64")
            selectors[(tenant, category)] = faiss.SearchParameters(sel=faiss.IDSelectorBatch(local))

    def search(filtered):
        def one(q_index, _):
            tenant, category = (int(x) for x in query_labels[q_index])
            if tenant not in indexes:
                return []
            params = selectors[(tenant, category)] if filtered else None
            _, local = indexes[tenant].search(queries[q_index][None, :], args.k, params=params)
            return [int(row_ids[tenant][i]) for i in local[0] if i >= 0]
        return one

    # A one-query search is fastest on one OpenMP thread; the setting is per client thread.
    return "flat-per-tenant", ingest_seconds, 0.0, search, lambda: None, faiss.__version__, \
        lambda: faiss.omp_set_num_threads(1)


index, ingest_seconds, open_seconds, search, cleanup, version, thread_setup = (
    sqlite_vec_system() if args.system == "sqlite-vec" else faiss_system())
sizes = np.bincount(tenant_of)
runs = []
for filtered in (False, True):
    log(f"{args.system} tenants, filter={'category' if filtered else 'none'}")
    answers, single = single_queries(search(filtered), np.arange(len(queries)), args.threads,
                                     thread_setup=thread_setup)
    selectivity = np.mean([
        ((tenant_of == t) & (category_of == c)).sum() / max(1, sizes[t]) if filtered else 1.0
        for t, c in query_labels]) if filtered else 1.0
    runs.append({"filter": "category" if filtered else "none", "selectivity": float(selectivity),
                 "recall": recall(args.k, answers, truth_filtered if filtered else truth, base, queries, args.metric),
                 "single": single})
cleanup()
ordered = sorted(s for s in sizes if s > 0)
print(json.dumps({
    "system": args.system, "index": index, "n": len(base), "dim": base.shape[1], "k": args.k,
    "tenants": len(ordered), "metric": args.metric, "threads": args.threads, "queries": len(queries),
    "largestTenant": int(ordered[-1]), "medianTenant": int(ordered[len(ordered) // 2]),
    "ingestSeconds": ingest_seconds, "openSeconds": open_seconds, "peakRssMB": peak_rss_mb(),
    "runs": runs, "version": version}, sort_keys=True))
