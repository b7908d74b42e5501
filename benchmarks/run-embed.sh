#!/usr/bin/env bash
# hashed-v1 beside scikit-learn's HashingVectorizer(char_wb, 3-5, 2^18), in one run: throughput on
# one core (the committed sample and ~400-byte texts, the two systems alternated 5 times) and
# retrieval quality on the labelled sample at 256, 512, 1024 and 2048 dims, and at the default
# dims on six more datasets from the same generator (other seeds), because one dataset's drawn
# outcomes are noisy. Writes the embedding section of benchmarks/RESULTS.md.
#
#   benchmarks/run-embed.sh [--rounds N] [--results FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=5
results=benchmarks/RESULTS.md
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift ;;
    --results) results="$2"; shift ;;
    *) echo "usage: benchmarks/run-embed.sh [--rounds N] [--results FILE]" >&2; exit 2 ;;
  esac
  shift
done
started=$(date +%s)

echo "== release build" >&2
swift build -c release >&2
casebook=.build/release/casebook
echo "== peers' virtualenv" >&2
python=$(benchmarks/peers/setup-venv.sh)
out=benchmarks/out/embed
mkdir -p "$out"
lines=$out/results.txt
: > "$lines"
python3 benchmarks/make_text400.py "$out/text400.jsonl"

record() {  # input label, command...
  local label=$1
  shift
  echo "-- $label: $*" >&2
  local json
  json=$("$@")
  echo "$label $json" >> "$lines"
}

# Both sides run on one core: hashed-v1 embeds on the calling thread, and the sklearn script
# pins its numeric libraries to one thread; taskset keeps either from borrowing the other core.
for round in $(seq "$rounds"); do
  for input in sample:data/sample-precedents.jsonl text400:$out/text400.jsonl; do
    label=${input%%:*}
    file=${input#*:}
    record "$label" taskset -c 0 $casebook bench embed --input "$file" --json
    record "$label" taskset -c 0 "$python" benchmarks/peers/embed_sklearn.py throughput --input "$file"
  done
done
for dims in 256 512 2048; do
  record sample taskset -c 0 $casebook bench embed --input data/sample-precedents.jsonl --dims "$dims" --json
done
record quality $casebook bench quality --json
record quality "$python" benchmarks/peers/embed_sklearn.py quality
for seed in 1 2 3 4 5 6; do
  dir=$out/seed$seed
  python3 benchmarks/generate_sample.py --seed "$seed" --out "$dir" >&2
  files=(--precedents "$dir/sample-precedents.jsonl" --queries "$dir/sample-queries.jsonl" --labels "$dir/sample-labels.csv")
  record "seed$seed" $casebook bench quality "${files[@]}" --dims 1024 --json
  record "seed$seed" "$python" benchmarks/peers/embed_sklearn.py quality "${files[@]}"
done

seconds=$(( $(date +%s) - started ))
"$python" benchmarks/embed_report.py "$lines" --results "$results" --seconds "$seconds" --rounds "$rounds"
echo "== wrote $results ($seconds s)" >&2
