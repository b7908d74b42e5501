#!/usr/bin/env bash
# Creates benchmarks/.venv with the peers (faiss-cpu, sqlite-vec, hnswlib, scikit-learn, wordllama, numpy,
# matplotlib) from the package index. Python's own sqlite3 module may be built without extension
# loading, so sqlite-vec is loaded into pysqlite3-binary's SQLite instead.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/../.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
echo "$venv/bin/python"
