#!/usr/bin/env bash
# Casebook beside faiss, sqlite-vec and hnswlib on the same files, the same queries and the same
# thread counts, in one go; writes the generated section of benchmarks/RESULTS.md and
# benchmarks/recall-qps.svg.
#
#   benchmarks/run.sh            full run: 100,000 x 384 clustered, 1,000,000 x 128 on the sphere,
#                                1,000,000 x 128 over 100 tenants; Casebook and faiss 3 times each
#   benchmarks/run.sh --quick    the same shape, smaller (a few minutes)
#   --results FILE               write FILE instead of benchmarks/RESULTS.md
#
# Datasets are generated once into benchmarks/out/<mode>/data and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=full
results=benchmarks/RESULTS.md
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) mode=quick ;;
    --results) results="$2"; shift ;;
    *) echo "usage: benchmarks/run.sh [--quick] [--results FILE]" >&2; exit 2 ;;
  esac
  shift
done
started=$(date +%s)
command=benchmarks/run.sh
if [ "$mode" = quick ]; then command="$command --quick"; fi

if [ "$mode" = quick ]; then
  clustered="--kind clustered --n 50000 --dim 384 --clusters 256 --queries 300"
  sphere="--kind sphere --n 200000 --dim 128 --queries 300"
  tenants="--kind clustered --n 200000 --dim 128 --clusters 256 --queries 1000 --tenants 50"
  repeats=1; sqlite_single=100; ef="16,64,256"
else
  clustered="--kind clustered --n 100000 --dim 384 --clusters 256 --queries 1000"
  sphere="--kind sphere --n 1000000 --dim 128 --queries 1000"
  tenants="--kind clustered --n 1000000 --dim 128 --clusters 256 --queries 2000 --tenants 100"
  repeats=3; sqlite_single=200; ef="10,20,40,80,160,320"
fi

echo "== release build" >&2
swift build -c release >&2
casebook=.build/release/casebook
echo "== peers' virtualenv" >&2
python=$(benchmarks/peers/setup-venv.sh)
out=benchmarks/out/$mode
data=$out/data
mkdir -p "$data"
lines=$out/results.txt
: > "$lines"

generate() {  # name, generator arguments
  if [ ! -f "$data/$1/truth.ivecs" ]; then
    echo "== dataset $1" >&2
    $casebook bench generate $2 --out "$data/$1" >&2
  fi
}
record() {  # dataset, workload, command...
  local dataset=$1 workload=$2
  shift 2
  echo "-- $dataset $workload: $*" >&2
  local json
  json=$("$@")
  echo "$dataset $workload $json" >> "$lines"
}

generate clustered-384 "$clustered"
generate sphere-128 "$sphere"
generate tenants "$tenants"

for dataset in clustered-384 sphere-128; do
  files=(--base "$data/$dataset/base.fvecs" --queries "$data/$dataset/queries.fvecs" --truth "$data/$dataset/truth.ivecs" --k 10 --metric ip)
  for threads in 1 2; do
    for _ in $(seq "$repeats"); do
      # Alternate Casebook and faiss so that the machine's load drifts over both alike.
      record "$dataset" ann $casebook bench ann "${files[@]}" --index flat --threads "$threads" --json
      record "$dataset" ann "$python" benchmarks/peers/ann_faiss.py "${files[@]}" --index flat --threads "$threads"
    done
    record "$dataset" ann "$python" benchmarks/peers/ann_sqlitevec.py "${files[@]}" --threads "$threads" --max-single "$sqlite_single"
  done
  # hnswlib is approximate and here for reference: one build, at the larger thread count.
  record "$dataset" ann "$python" benchmarks/peers/ann_hnswlib.py "${files[@]}" --threads 2 --ef "$ef"
done

for threads in 1 2; do
  record tenants tenants $casebook bench tenants --data "$data/tenants" --threads "$threads" --json
  record tenants tenants "$python" benchmarks/peers/tenants.py --system faiss --data "$data/tenants" --threads "$threads"
  record tenants tenants "$python" benchmarks/peers/tenants.py --system sqlite-vec --data "$data/tenants" --threads "$threads"
done

"$python" benchmarks/report.py "$lines" --results "$results" --plot benchmarks/recall-qps.svg \
  --mode "$mode" --command "$command" --seconds "$(( $(date +%s) - started ))"
