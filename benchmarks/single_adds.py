#!/usr/bin/env python3
"""Latency of adding one precedent at a time over the socket API, the way a platform records each
decision as it is made.

Builds a collection of the sample precedents repeated to --rows (fresh ids, the four tenants),
serves it, then adds --adds precedents one request each (sample rows under fresh ids, round robin
over the tenants) and prints one JSON line: p50, p99 and max in ms. With idf counts each add
changes its tenant's stored counts: a packed value rewritten whole, or rows.

    python3 benchmarks/single_adds.py CASEBOOK_BINARY [--rows 3000] [--adds 1000]
        [--embedder hashed-v1|hashed-v2] [--work DIR]
"""
import argparse
import json
import time

from served import sample_precedents, served_sample


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("casebook")
    parser.add_argument("--rows", type=int, default=3_000)
    parser.add_argument("--adds", type=int, default=1_000)
    parser.add_argument("--embedder", default="hashed-v1")
    parser.add_argument("--work", default="/tmp/casebook-single-adds")
    args = parser.parse_args()
    sample = sample_precedents()
    with served_sample(args.casebook, args.work, args.rows, args.embedder) as (api, _, _):
        latencies = []
        for n in range(args.adds):
            row = dict(sample[n % len(sample)], id=f"w{n}", decisionEventId=f"we{n}")
            tenant = row.pop("tenant")
            started = time.perf_counter()
            api.post("/v1/collections/c/precedents", json={"tenant": tenant, "precedents": [row]}).raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    print(json.dumps(dict(rows=args.rows, adds=args.adds, embedder=args.embedder, p50Ms=pick(0.5), p99Ms=pick(0.99),
                          maxMs=latencies[-1])))


if __name__ == "__main__":
    main()
