#!/usr/bin/env bash
# Casebook's IVF index beside faiss-cpu IndexIVFFlat on the same files, the same nlist, the same
# nprobe values and the same threads, in one run: recall@10, single-query and batched QPS for
# nprobe 1 .. nlist/4, train and add time. Datasets: 200,000 x 384 clustered and 1,000,000 x 128
# random on the sphere. Each system runs --rounds times per dataset, alternated, pinned to core 0
# (one thread), and the report takes medians. Writes the IVF section of benchmarks/RESULTS.md.
#
#   benchmarks/run-ivf.sh [--rounds N] [--nlist N] [--results FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=2
nlist=1024
results=benchmarks/RESULTS.md
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift ;;
    --nlist) nlist="$2"; shift ;;
    --results) results="$2"; shift ;;
    *) echo "usage: benchmarks/run-ivf.sh [--rounds N] [--nlist N] [--results FILE]" >&2; exit 2 ;;
  esac
  shift
done
started=$(date +%s)

echo "== release build" >&2
swift build -c release >&2
casebook=.build/release/casebook
echo "== peers' virtualenv" >&2
python=$(benchmarks/peers/setup-venv.sh)
out=benchmarks/out/ivf
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
record() {  # dataset, command...
  local dataset=$1
  shift
  echo "-- $dataset: $*" >&2
  local json
  json=$("$@")
  echo "$dataset $json" >> "$lines"
}

generate clustered-384-200k "--kind clustered --n 200000 --dim 384 --clusters 256 --queries 1000"
generate sphere-128 "--kind sphere --n 1000000 --dim 128 --queries 1000"

probes=1
while [ $(( ${probes##*,} * 2 )) -le $(( nlist / 4 )) ]; do probes="$probes,$(( ${probes##*,} * 2 ))"; done
for dataset in clustered-384-200k sphere-128; do
  files=(--base "$data/$dataset/base.fvecs" --queries "$data/$dataset/queries.fvecs" --truth "$data/$dataset/truth.ivecs"
         --k 10 --metric ip --index ivf --nlist "$nlist" --nprobe "$probes" --threads 1)
  for _ in $(seq "$rounds"); do
    record "$dataset" taskset -c 0 $casebook bench ann "${files[@]}" --json
    record "$dataset" taskset -c 0 "$python" benchmarks/peers/ann_faiss.py "${files[@]}"
  done
done

seconds=$(( $(date +%s) - started ))
# The CPU, and which OpenBLAS kernels each side's BLAS picked for it (k-means runs on sgemm; an
# OpenBLAS older than the CPU falls back to its generic Prescott kernels).
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
cpu_model=$(grep -m1 -E '^model[[:space:]]' /proc/cpuinfo | cut -d: -f2 | xargs)
ours=$(OPENBLAS_VERBOSE=2 $casebook --help 2>&1 | sed -n 's/^Core: //p' | head -1)
theirs=$("$python" -c 'import faiss, threadpoolctl; print(",".join(i.get("architecture", "?") for i in threadpoolctl.threadpool_info() if "faiss" in i["filepath"] and "architecture" in i))' 2>/dev/null || echo "?")
machine="$cpu (model $cpu_model); OpenBLAS kernels: Casebook ${ours:-?}, faiss ${theirs:-?}"
"$python" benchmarks/ivf_report.py "$lines" --results "$results" --seconds "$seconds" --rounds "$rounds" \
  --command "benchmarks/run-ivf.sh --rounds $rounds --nlist $nlist" --machine "$machine"
echo "== wrote $results ($seconds s)" >&2
