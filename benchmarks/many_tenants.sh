#!/bin/bash
# What many small tenants cost an add, the database and an opened process: the sample precedents
# repeated to ROWS rows (fresh ids), spread over 4 tenants and then over TENANTS tenants (the same
# rows, round robin), added with `casebook add` into a new SQLite file per embedder. One line per
# case: add seconds, feature_frequency rows, tenants whose counts are packed (format 3), database
# bytes, peak RSS of `casebook info` (which opens everything). SOURCE is the precedents repeated
# (default the sample's 3,000; a file of distinct ones shares fewer features between rows).
#
#   benchmarks/many_tenants.sh CASEBOOK_BINARY [ROWS] [TENANTS] [WORK_DIR] [SOURCE]
set -euo pipefail
casebook=$(realpath "$1")
rows=${2:-100000}
tenants=${3:-20000}
work=${4:-/tmp/casebook-many-tenants}
root=$(dirname "$(dirname "$(realpath "$0")")")
source=$(realpath "${5:-$root/data/sample-precedents.jsonl}")
mkdir -p "$work"
cd "$work"
for spread in 4 "$tenants"; do
    python3 - "$source" "$rows" "$spread" > "rows-$spread.jsonl" <<'EOF'
import json, sys
sample = [json.loads(line) for line in open(sys.argv[1])]
rows, spread = int(sys.argv[2]), int(sys.argv[3])
for i in range(rows):
    row = dict(sample[i % len(sample)], id=f"r{i}", decisionEventId=f"e{i}", tenant=f"t{i % spread}")
    print(json.dumps(row))
EOF
done
for spread in 4 "$tenants"; do
    for embedder in "hashed-v1 --query-weighting none" "hashed-v1" "hashed-v2"; do
        rm -f db.sqlite db.sqlite-wal db.sqlite-shm
        # shellcheck disable=SC2086
        "$casebook" init --collection c --embedder $embedder --db db.sqlite > /dev/null
        added=$("$casebook" add --collection c "rows-$spread.jsonl" --db db.sqlite 2>/dev/null | tail -1)
        counted=$(sqlite3 db.sqlite "SELECT count(*) FROM feature_frequency")
        packed=$(sqlite3 db.sqlite "SELECT count(*) FROM feature_frequency_tenant WHERE packed IS NOT NULL" 2>/dev/null || echo "-")
        rss=$( { /usr/bin/time -f "%M" "$casebook" info --db db.sqlite > /dev/null; } 2>&1 | tail -1)
        echo "tenants $spread | $embedder | $added | feature_frequency rows $counted | packed tenants $packed | db $(stat -c %s db.sqlite) bytes | info peak RSS $rss KB"
    done
done
