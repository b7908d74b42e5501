#!/usr/bin/env bash
# One node, many precedents: the sample generator's precedents in ONE tenant (hashed-v1, 1,024
# dims, the default collection), imported with `casebook add` as a user would, then opened and
# searched tenant-wide (`casebook bench search`). With --baseline BINARY the same run is made with
# another build (an earlier commit: its `add` takes at most 100,000 lines, so the file goes in
# 100,000-line pieces), alternating nothing but sharing the machine and the file.
#
#   benchmarks/run-scale.sh [--precedents N] [--queries N] [--baseline BINARY] [--keep DIR]
#
# Prints one JSON object per build (precedents, importSeconds, importRate, importPeakRssMB, fileMB),
# then `bench search` on this build's file twice in each of three memory modes, alternated
# (openSeconds, p50Ms, p99Ms, peakRssMB, exact). SKIP_IMPORT=1 with --keep reuses a kept file.
set -euo pipefail
cd "$(dirname "$0")/.."
precedents=1000000
queries=100
baseline=""
work=""
while [ $# -gt 0 ]; do
  case "$1" in
    --precedents) precedents="$2"; shift ;;
    --queries) queries="$2"; shift ;;
    --baseline) baseline="$2"; shift ;;
    --keep) work="$2"; shift ;;
    *) echo "usage: benchmarks/run-scale.sh [--precedents N] [--queries N] [--baseline BINARY] [--keep DIR]" >&2; exit 2 ;;
  esac
  shift
done
echo "== release build" >&2
swift build -c release --product casebook >&2
casebook=$PWD/.build/release/casebook
if [ -z "$work" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"

data=$work/one-tenant.jsonl
if [ ! -s "$data" ]; then
  echo "== generating $precedents precedents in one tenant" >&2
  python3 benchmarks/generate_sample.py --precedents "$precedents" --queries "$queries" --out "$work/gen" >&2
  # One tenant: every row's tenant becomes the first tenant's (ids stay unique).
  sed 's/"tenant":"[^"]*"/"tenant":"acme-retail"/' "$work/gen/sample-precedents.jsonl" > "$data"
  sed 's/"tenant":"[^"]*"/"tenant":"acme-retail"/' "$work/gen/sample-queries.jsonl" > "$work/queries.jsonl"
fi

measure() {  # label binary import-mode
  local label=$1 binary=$2 mode=$3 db=$work/$1.sqlite
  rm -f "$db" "$db-wal" "$db-shm"
  "$binary" init --db "$db" --collection c >&2
  echo "== $label: importing ($mode)" >&2
  local started ended
  started=$(date +%s.%N)
  if [ "$mode" = streamed ]; then
    /usr/bin/time -f "%M" -o "$work/$label.rss" "$binary" add --db "$db" --collection c --progress-lines "$data" >&2
  else
    rm -rf "$work/pieces" && mkdir -p "$work/pieces"
    split -l 100000 -d -a 3 "$data" "$work/pieces/part-"
    local peak=0
    for piece in "$work"/pieces/part-*; do
      /usr/bin/time -f "%M" -o "$work/$label.rss" "$binary" add --db "$db" --collection c "$piece" >&2
      peak=$(( $(cat "$work/$label.rss") > peak ? $(cat "$work/$label.rss") : peak ))
    done
    echo "$peak" > "$work/$label.rss"
  fi
  ended=$(date +%s.%N)
  local bytes
  bytes=$(stat -c %s "$db")
  python3 - "$label" "$precedents" "$started" "$ended" "$(cat "$work/$label.rss")" "$bytes" <<'PY'
import json, sys
label, n, start, end, rss_kb, size = sys.argv[1:]
seconds = float(end) - float(start)
report = {"build": label, "precedents": int(n), "importSeconds": round(seconds, 1),
          "importRate": round(int(n) / seconds), "importPeakRssMB": round(int(rss_kb) / 1024),
          "fileMB": round(int(size) / 1e6)}
print(json.dumps(report), flush=True)
PY
}

# Opening and searching this build's file in three modes of the same build, alternated: codes
# only in memory (the default: re-scored rows read back from the file), codes beside the float32
# rows (CASEBOOK_FLOAT_ROWS=memory), and the float32 scan alone (CASEBOOK_CODED_SCAN=0).
search() {  # label, CASEBOOK_CODED_SCAN, CASEBOOK_FLOAT_ROWS
  echo "== search: $1" >&2
  local report
  report=$(CASEBOOK_CODED_SCAN=$2 CASEBOOK_FLOAT_ROWS=$3 "$casebook" bench search --db "$work/this.sqlite" --collection c \
    --queries "$work/queries.jsonl" --rounds 2 --hits-out "$work/hits-$1.jsonl" --json)
  echo "{\"search\": \"$1\", \"report\": $report}"
}

if [ ! -s "$work/this.sqlite" ] || [ -z "${SKIP_IMPORT:-}" ]; then
  measure this "$casebook" streamed
fi
if [ -n "$baseline" ]; then
  measure baseline "$baseline" pieces
fi
for _ in 1 2; do
  search codes-only 1 store
  search codes+float32 1 memory
  search float32 0 memory
done
# Recall of each mode's top 10 against the float32 scan's, and the largest score difference.
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def read(mode):
    return [json.loads(line) for line in open(f"{work}/hits-{mode}.jsonl")]
reference = read("float32")
for mode in ("codes-only", "codes+float32"):
    got = read(mode)
    same = sum(len(set(a["ids"]) & set(b["ids"])) for a, b in zip(got, reference))
    total = sum(len(b["ids"]) for b in reference)
    diff = max(abs(x - y) for a, b in zip(got, reference) for x, y in zip(a["scores"], b["scores"]))
    print(json.dumps({"recall": mode, "againstFloat32": round(same / total, 6), "maxScoreDifference": diff}))
PY
