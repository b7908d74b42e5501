"""Turns benchmarks/run-ivf.sh's result lines into the IVF section of RESULTS.md.

Each line: "<dataset> <json report of casebook bench ann or peers/ann_faiss.py>". Per dataset and
system, every figure is the median over the rounds; ratios are Casebook / faiss of those medians.
"At recall >= 0.95" compares each system at its smallest nprobe reaching that recall."""
import argparse
import json
import statistics
import sys
from collections import defaultdict

parser = argparse.ArgumentParser()
parser.add_argument("lines")
parser.add_argument("--results", required=True)
parser.add_argument("--seconds", type=int, default=0)
parser.add_argument("--rounds", type=int, default=1)
parser.add_argument("--command", default="benchmarks/run-ivf.sh")
parser.add_argument("--machine", default="", help="CPU and BLAS kernels, as run-ivf.sh reads them")
args = parser.parse_args()

reports = defaultdict(lambda: defaultdict(list))
for line in open(args.lines):
    dataset, text = line.split(" ", 1)
    report = json.loads(text)
    reports[dataset][report["system"]].append(report)


def median(values):
    return statistics.median(values) if values else float("nan")


def summary(runs):
    """nprobe -> medians over rounds; plus train / add seconds."""
    by_probe = defaultdict(lambda: defaultdict(list))
    for report in runs:
        for run in report["runs"]:
            p = by_probe[run["nprobe"]]
            p["recall"].append(run["recall"])
            p["qps"].append(run["single"]["qps"])
            p["p50"].append(run["single"]["p50Ms"])
            p["p99"].append(run["single"]["p99Ms"])
            p["batch"].append(run["batch"]["qps"])
    probes = {n: {key: median(values) for key, values in p.items()} for n, p in by_probe.items()}
    train = median([r["trainSeconds"] for r in runs])
    add = median([r.get("addSeconds") if r["system"] == "casebook" else r["ingestSeconds"] for r in runs])
    return probes, train, add, runs[0]


def at_recall(probes, target=0.95):
    for n in sorted(probes):
        if probes[n]["recall"] >= target:
            return n, probes[n]
    return None, None


out = []
verdicts = []
for dataset in sorted(reports):
    systems = reports[dataset]
    if "casebook" not in systems or "faiss" not in systems:
        continue
    cb, cb_train, cb_add, first = summary(systems["casebook"])
    fa, fa_train, fa_add, faiss_first = summary(systems["faiss"])
    out.append(f"### {dataset}: {first['n']:,} x {first['dim']}, nlist {first['nlist']}, {first['queries']} queries, "
               f"k = {first['k']}, {first['metric']}, {first['threads']} thread\n")
    out.append(f"Train: Casebook {cb_train:.2f} s, faiss {fa_train:.2f} s (ratio {cb_train / fa_train:.2f}). "
               f"Add (every row into its list, in memory): Casebook {cb_add:.2f} s, faiss {fa_add:.2f} s. "
               f"Casebook also stored the rows in SQLite before training ({median([r['ingestSeconds'] for r in systems['casebook']]):.1f} s) "
               f"and the training after it ({median([r.get('storeSeconds') or 0 for r in systems['casebook']]):.2f} s); "
               f"reopening loads the lists without retraining ({median([r['openSeconds'] for r in systems['casebook']]):.2f} s). "
               f"faiss {faiss_first.get('version', '')}.\n")
    out.append("| nprobe | recall@10 Casebook | recall@10 faiss | single QPS Casebook | single QPS faiss | ratio | p50 ms Casebook | p50 ms faiss | batch QPS Casebook | batch QPS faiss | ratio |")
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sorted(set(cb) & set(fa)):
        c, f = cb[n], fa[n]
        out.append(f"| {n} | {c['recall']:.4f} | {f['recall']:.4f} | {c['qps']:,.0f} | {f['qps']:,.0f} | {c['qps'] / f['qps']:.2f} | "
                   f"{c['p50']:.3f} | {f['p50']:.3f} | {c['batch']:,.0f} | {f['batch']:,.0f} | {c['batch'] / f['batch']:.2f} |")
    cn, c = at_recall(cb)
    fn, f = at_recall(fa)
    if c and f:
        ratio = c["qps"] / f["qps"]
        met = "met" if ratio >= 1.5 else "NOT met"
        verdicts.append(f"- {dataset}: at recall@10 >= 0.95 Casebook needs nprobe {cn} ({c['recall']:.4f}, {c['qps']:,.0f} QPS), "
                        f"faiss nprobe {fn} ({f['recall']:.4f}, {f['qps']:,.0f} QPS): single-query ratio **{ratio:.2f}** "
                        f"(target 1.5: {met}); train time ratio **{cb_train / fa_train:.2f}** (target <= 1: "
                        f"{'met' if cb_train <= fa_train else 'NOT met'}).")
    else:
        best = max(cb.values(), key=lambda p: p["recall"])["recall"], max(fa.values(), key=lambda p: p["recall"])["recall"]
        verdicts.append(f"- {dataset}: neither system reaches recall@10 0.95 at nprobe <= nlist/4 (best {best[0]:.4f} / "
                        f"{best[1]:.4f}): uniformly random vectors have no cluster structure for IVF to use, so the "
                        f"1.5x target cannot be judged here; train time ratio **{cb_train / fa_train:.2f}** (target <= 1: "
                        f"{'met' if cb_train <= fa_train else 'NOT met'}).")
    out.append("")

section = [
    "<!-- run-ivf.sh:begin -->",
    "## IVF: Casebook vs faiss-cpu IndexIVFFlat",
    "",
    f"Command: `{args.command}` ({args.seconds // 60} min {args.seconds % 60} s). Both systems read the same "
    "`.fvecs` base, query and truth files, train nlist lists with 10 k-means iterations (faiss's IVF "
    "default; Casebook's measured default), search with the same nprobe values on one thread pinned "
    "to core 0 (`taskset -c 0`; faiss with `omp_set_num_threads(1)`), and alternate, "
    f"{args.rounds} round(s) each; figures are medians over rounds. Single QPS: one query at a time "
    "through `PrecedentCollection.search` (Casebook) and `index.search` of one row (faiss). Batch: all "
    "queries in one call. Casebook trains on at most 128 rows per list (its measured default), faiss on "
    "256." + (f" Machine: {args.machine}." if args.machine else ""),
    "",
    *verdicts,
    "",
    *out,
    "<!-- run-ivf.sh:end -->",
]
text = open(args.results).read() if args.results else ""
begin, end = "<!-- run-ivf.sh:begin -->", "<!-- run-ivf.sh:end -->"
if begin in text and end in text:
    text = text[:text.index(begin)] + "\n".join(section) + text[text.index(end) + len(end):]
else:
    text = text.rstrip("\n") + "\n\n" + "\n".join(section) + "\n"
open(args.results, "w").write(text)
print("\n".join(section))
