#!/usr/bin/env bash
# Two builds of casebook measured in one run, alternating: the flat index (ingest, single and
# batched search), opening a 1,000,000 x 128 file, IVF search (bench ann) and the socket
# (bench socket). Each round runs every benchmark with build A then build B, so drift on this
# shared machine falls on both. Prints one JSON line per (benchmark, build, round) to stdout.
#   benchmarks/compare-builds.sh BEFORE_BINARY AFTER_BINARY [ROUNDS]
set -euo pipefail
before="$1"; after="$2"; rounds="${3:-3}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$after" bench generate --kind clustered --n 200000 --dim 128 --clusters 256 --queries 1000 --out "$work/ivf" >/dev/null
run() {  # name build binary args...
    local name="$1" build="$2" binary="$3"; shift 3
    local out
    out=$("$binary" bench "$@" --json 2>/dev/null | tail -n 1)
    printf '{"bench": "%s", "build": "%s", "round": %d, "result": %s}\n' "$name" "$build" "$round" "$out"
}
for round in $(seq 1 "$rounds"); do
    for pair in "before:$before" "after:$after"; do
        build="${pair%%:*}"; binary="${pair#*:}"
        run flat "$build" "$binary" flat --rounds 5
        run open "$build" "$binary" open --repetitions 3
        rm -f "$work/ann.sqlite"*
        run ivf "$build" "$binary" ann --base "$work/ivf/base.fvecs" --queries "$work/ivf/queries.fvecs" \
            --truth "$work/ivf/truth.ivecs" --index ivf --nlist 512 --nprobe 2,8 --threads 1 --db "$work/ann.sqlite"
        run socket "$build" "$binary" socket --clients 1 --rounds 5
    done
done
