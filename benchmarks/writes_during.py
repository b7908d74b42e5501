#!/usr/bin/env python3
"""Write latency during a re-embedding or an IVF training, over the socket API.

Builds a hashed-v2 collection of the sample precedents repeated to --rows (fresh ids, the four
tenants), serves it, asks for a whole re-embedding (`POST /v1/collections/c/reembed`; with
--tenant, of that tenant; with --train NLIST, an IVF training of NLIST lists instead:
`POST /v1/collections/c/index/train`) and, until
it answers, adds one precedent at a time from another thread; prints one JSON line: the
operation's seconds, and how many writes completed while it ran with their latency (p50, p99,
max, ms). Writes that waited for the whole operation show as a max near its seconds.

With --elsewhere, the operation runs as another process on the same database (`casebook reembed`
or `casebook index train`), which the server follows, and writes go on for 2 s after it exits:
what a node's writes wait for while it takes in another's re-embedding or training. With
--others-only (and --tenant), the writes go to the other tenants only.

    python3 benchmarks/writes_during.py CASEBOOK_BINARY [--rows 200000] [--tenant T | --train NLIST]
        [--elsewhere] [--others-only] [--work DIR]
"""
import argparse
import json
import subprocess
import threading
import time

from served import client, sample_precedents, served_sample


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("casebook")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--work", default="/tmp/casebook-reembed-writes")
    parser.add_argument("--tenant", help="re-embed this tenant only (writes still go to every tenant)")
    parser.add_argument("--train", type=int, metavar="NLIST", help="train an IVF index of NLIST lists instead")
    parser.add_argument("--elsewhere", action="store_true", help="run the operation as another process")
    parser.add_argument("--others-only", action="store_true", help="with --tenant: write to the other tenants only")
    args = parser.parse_args()
    sample = sample_precedents()
    with served_sample(args.casebook, args.work, args.rows, "hashed-v2") as (api, db, sock):
        done = threading.Event()
        result = {}

        def reembed():
            other = client(sock)
            started = time.perf_counter()
            if args.elsewhere:
                command = (["index", "train", "--collection", "c", "--nlist", str(args.train)] if args.train
                           else ["reembed", "--collection", "c"] + (["--tenant", args.tenant] if args.tenant else []))
                finished = subprocess.run([args.casebook, *command, "--db", db], capture_output=True)
                result["operation"] = ("train" if args.train else "reembed") + " elsewhere"
                result["seconds"] = time.perf_counter() - started
                result["status"] = finished.returncode
                time.sleep(2)  # the server follows it meanwhile
                done.set()
                return
            if args.train:
                response = other.post("/v1/collections/c/index/train", json={"nlist": args.train})
            else:
                body = {"tenants": [args.tenant]} if args.tenant else None
                response = other.post("/v1/collections/c/reembed", json=body)
            result["operation"] = "train" if args.train else "reembed"
            result["seconds"] = time.perf_counter() - started
            result["status"] = response.status_code
            done.set()

        thread = threading.Thread(target=reembed)
        thread.start()
        time.sleep(0.2)  # the operation is under way by then
        latencies = []
        n = 0
        others = [row for row in sample if row["tenant"] != args.tenant] if args.others_only else sample
        while not done.is_set():
            row = dict(others[n % len(others)], id=f"w{n}", decisionEventId=f"we{n}")
            tenant = row.pop("tenant")
            started = time.perf_counter()
            response = api.post("/v1/collections/c/precedents", json={"tenant": tenant, "precedents": [row]})
            response.raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
            n += 1
        thread.join()
        latencies.sort()
        pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else None
        result.update(rows=args.rows, tenant=args.tenant, nlist=args.train, writes=len(latencies), p50Ms=pick(0.5), p99Ms=pick(0.99),
                      maxMs=latencies[-1] if latencies else None)
        print(json.dumps(result))


if __name__ == "__main__":
    main()
