#!/usr/bin/env bash
# Foundation benchmarks: flat-index ingest / single / batch (5 runs) and open (1 run), release
# build. Prints each run's JSON and the medians that benchmarks/RESULTS.md quotes.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
swift build -c release >&2
out=benchmarks/out
mkdir -p "$out"
: > "$out/flat.jsonl"
for _ in $(seq "$runs"); do
  .build/release/casebook bench flat --json 2>/dev/null | tee -a "$out/flat.jsonl"
done
.build/release/casebook bench open --json 2>/dev/null | tee "$out/open.json"
python3 - "$out/flat.jsonl" "$out/open.json" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
opened = json.load(open(sys.argv[2]))
def med(key): return statistics.median(r[key] for r in runs)
print(f"runs: {len(runs)} (medians)")
print(f"ingest precedents/s      {med('ingestPerSecond'):.0f}")
print(f"floor ms / GB/s          {med('floorMs'):.3f} / {med('floorGBps'):.1f}")
print(f"single p50 / p99 ms      {med('singleP50Ms'):.3f} / {med('singleP99Ms'):.3f}")
def each(key, fmt): return ", ".join(format(r[key], fmt) for r in runs)
print(f"single / floor           {med('singleOverFloor'):.2f}  (per run: {each('singleOverFloor', '.2f')})")
print(f"single with precedents   {med('singleWithPrecedentsP50Ms'):.3f} ms p50")
print(f"batch GFLOP/s            {med('batchGflops'):.1f}")
print(f"sgemm 1 / 2 threads      {med('sgemmGflops1Thread'):.1f} / {med('sgemmGflops2Threads'):.1f}")
print(f"batch / best sgemm       {med('batchOverBestSgemm'):.2f}  (per run: {each('batchOverBestSgemm', '.2f')})")
print(f"ingest per run           {each('ingestPerSecond', '.0f')}")
opens = ", ".join(format(s, ".2f") for s in opened["openSeconds"])
print(f"open 1M x 128 s          {opened['openMedianSeconds']:.2f} (runs {opens}; build {opened['buildSeconds']:.1f} s, {opened['fileMB']:.0f} MB)")
PY
