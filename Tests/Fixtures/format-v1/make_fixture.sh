#!/usr/bin/env bash
# Writes casebook.sqlite and expected.jsonl with a build of the storage format before
# `v4-policy-version` (made with commit 46c6bbb). Run once; the output is committed, and
# FormatCompatibilityTests opens a copy with the current build and compares its answers.
#   make_fixture.sh /path/to/old/casebook
set -euo pipefail
old="$1"
cd "$(dirname "$0")"
rm -f casebook.sqlite casebook.sqlite-wal casebook.sqlite-shm expected.jsonl
db=casebook.sqlite
"$old" init --db $db --collection ndr --dims 128
head -n 120 ../../../data/sample-precedents.jsonl > /tmp/fixture-precedents.jsonl
"$old" add --db $db --collection ndr /tmp/fixture-precedents.jsonl
"$old" init --db $db --collection emb --embedder external --dims 8 --index ivf --nlist 8 --flat-threshold 16
python3 - <<'PY' > /tmp/fixture-vectors.jsonl
import json, random
random.seed(7)
for tenant in ("a", "b"):
    for i in range(150):
        v = [round(random.uniform(-1, 1), 4) for _ in range(8)]
        print(json.dumps({"tenant": tenant, "id": f"v{i}", "category": "c%d" % (i % 3), "tags": ["t%d" % (i % 4)],
                          "wasSuccessful": i % 2 == 0, "vector": v, "createdAt": 1780000000 + i * 60}))
PY
"$old" add --db $db --collection emb /tmp/fixture-vectors.jsonl
"$old" index train --db $db --collection emb
# Answers of the old build, one JSON line per search (the match log stays empty: --no-log).
ask() { "$old" search --db $db --json --no-log "$@" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(json.dumps({"args": sys.argv[1:], "exact": r["exact"], "ids": [x["id"] for x in r["results"]], "scores": [x["score"] for x in r["results"]]}))' "$@"; }
ask --collection ndr --tenant acme-retail --k 5 --text "customer not answering, first attempt" >> expected.jsonl
ask --collection ndr --tenant globex-fashion --k 5 --context '{"paymentMode": "cod", "orderValue": 1450}' --category credit_override >> expected.jsonl
ask --collection emb --tenant a --k 7 --nprobe 2 --vector '[0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8]' >> expected.jsonl
ask --collection emb --tenant b --k 4 --vector '[0.5, 0.5, -0.5, 0.1, 0.0, 0.2, -0.3, 0.9]' --tag t2 --successful true >> expected.jsonl
ask --collection emb --tenant a --k 10 --exact --vector '[-0.3, 0.2, 0.1, 0.0, 0.5, -0.6, 0.2, 0.1]' >> expected.jsonl
python3 -c "import sqlite3; c=sqlite3.connect('$db'); c.execute('PRAGMA wal_checkpoint(TRUNCATE)'); c.execute('PRAGMA journal_mode=DELETE'); c.close()"
rm -f casebook.sqlite-wal casebook.sqlite-shm
