#!/usr/bin/env bash
# Decision quality of suggest (release build): regret over eight generated datasets (seeds of
# generate_sample.py, each with its scenario table), then the success estimate's AUC on a real
# decision table (modeldata::wa_churn) beside scikit-learn. Needs python3; the second part also
# Rscript with r-cran-modeldata and benchmarks/peers/setup-venv.sh's scikit-learn.
#   benchmarks/run-suggest.sh [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-/tmp/casebook-suggest}"
binary=.build/release/casebook
[ -x "$binary" ] || swift build -c release
data=()
for seed in 20261125 101 202 303 404 505 606 707; do
    python3 benchmarks/generate_sample.py --seed "$seed" --out "$work/seed$seed" > /dev/null
    data+=(--data "$work/seed$seed")
done
"$binary" bench suggest "${data[@]}"
for variant in "--k 10" "--k 50" "--prior-strength 0.5" "--prior-strength 8" "--min-support 1" "--min-support 8"; do
    # shellcheck disable=SC2086
    echo "$variant: $("$binary" bench suggest "${data[@]}" $variant 2> /dev/null | tail -1)"
done
python="$(bash benchmarks/peers/setup-venv.sh)"
"$python" benchmarks/real_decisions.py "$binary" --work "$work/real"
