#!/usr/bin/env python3
"""Suggest on a real decision table: Debian's r-cran-modeldata `wa_churn` (7,043 telecom customers,
IBM's Telco churn sample), prepared here from the package (nothing of it is committed).

The decision is the customer's `contract` (Month-to-month, One year, Two year): what the company
signed the customer up for. Its outcome is success when the customer did not churn. Every other
field is the decision's context (numbers stay numbers, categories strings); there is no free text.
A stratified 80/20 split (seed 0): the 80% become precedents of one tenant, the 20% held-out
decisions whose context is given to `casebook bench suggest`; the success estimate for the action
each held-out customer actually has is scored against whether they stayed (AUC, computed by
scikit-learn from the per-query estimates Casebook writes). Beside it, on the same split and
features: the contract type's own success rate, a standardized kNN (k = 25, one-hot categories,
the contract among the features), and a logistic regression.

    python3 benchmarks/real_decisions.py CASEBOOK_BINARY [--work DIR] [--k 25]

Needs Rscript with modeldata (apt-get install r-cran-modeldata) and scikit-learn
(benchmarks/peers/setup-venv.sh).
"""
import argparse
import csv
import json
import os
import random
import subprocess
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ACTION, OUTCOME = "contract", "churn"


def export(work):
    path = os.path.join(work, "wa_churn.csv")
    if not os.path.exists(path):
        subprocess.run(["Rscript", "-e", f'data(wa_churn, package="modeldata"); write.csv(wa_churn, "{path}", row.names=FALSE)'],
                       check=True, capture_output=True)
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def value(text):
    if text == "NA":
        return None
    try:
        number = float(text)
        return int(number) if number.is_integer() else number
    except ValueError:
        return text


def split(rows, seed=0):
    """Stratified by outcome: 20% of each class held out."""
    rng = random.Random(seed)
    held = set()
    for label in ("Yes", "No"):
        ids = [i for i, r in enumerate(rows) if r[OUTCOME] == label]
        rng.shuffle(ids)
        held.update(ids[: len(ids) // 5])
    return [i for i in range(len(rows)) if i not in held], sorted(held)


def precedent(i, row):
    context = {k: value(v) for k, v in row.items() if k not in (ACTION, OUTCOME) and value(v) is not None}
    stayed = row[OUTCOME] == "No"
    return {"id": f"c{i}", "tenant": "telco", "category": "retention", "context": context, "action": row[ACTION],
            "outcome": "stayed" if stayed else "churned", "wasSuccessful": stayed}


def features(rows, fitted=None):
    numeric = [k for k in rows[0] if k != OUTCOME and all(value(r[k]) is None or isinstance(value(r[k]), (int, float)) for r in rows[:500])]
    categorical = [k for k in rows[0] if k not in numeric and k != OUTCOME]
    num = np.array([[value(r[k]) if value(r[k]) is not None else 0.0 for k in numeric] for r in rows], dtype=float)
    cat = [[r[k] for k in categorical] for r in rows]
    if fitted is None:
        fitted = (StandardScaler().fit(num), OneHotEncoder(handle_unknown="ignore").fit(cat), numeric)
    scaler, encoder, _ = fitted
    return np.hstack([scaler.transform(num), encoder.transform(cat).toarray()]), fitted


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("casebook")
    parser.add_argument("--work", default="/tmp/casebook-real-decisions")
    parser.add_argument("--k", type=int, default=25)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    rows = export(args.work)
    train, test = split(rows)
    for name, ids in (("precedents", train), ("queries", test)):
        with open(os.path.join(args.work, f"{name}.jsonl"), "w", encoding="utf-8") as f:
            for i in ids:
                f.write(json.dumps(precedent(i, rows[i])) + "\n")
    per_query = os.path.join(args.work, "estimates.jsonl")
    run = subprocess.run([args.casebook, "bench", "suggest", "--precedents", os.path.join(args.work, "precedents.jsonl"),
                          "--queries", os.path.join(args.work, "queries.jsonl"), "--k", str(args.k),
                          "--per-query", per_query, "--json"], check=True, capture_output=True, text=True)
    casebook = json.loads(run.stdout)["datasets"][0]
    estimates = [json.loads(line) for line in open(per_query, encoding="utf-8") if line.strip()]
    y_test = np.array([rows[i][OUTCOME] == "No" for i in test])
    by_id = {e["id"]: e for e in estimates}
    casebook_scores = np.array([by_id[f"c{i}"]["estimate"] for i in test])

    train_rows, test_rows = [rows[i] for i in train], [rows[i] for i in test]
    x_train, fitted = features(train_rows)
    x_test, _ = features(test_rows, fitted)
    y_train = np.array([r[OUTCOME] == "No" for r in train_rows])
    rate = {}
    for r in train_rows:
        stayed, total = rate.get(r[ACTION], (0, 0))
        rate[r[ACTION]] = (stayed + (r[OUTCOME] == "No"), total + 1)
    action_rate = np.array([rate[r[ACTION]][0] / rate[r[ACTION]][1] for r in test_rows])
    knn = KNeighborsClassifier(n_neighbors=args.k).fit(x_train, y_train).predict_proba(x_test)[:, 1]
    logistic = LogisticRegression(max_iter=2000).fit(x_train, y_train).predict_proba(x_test)[:, 1]
    report = {
        "dataset": "modeldata::wa_churn (action: contract; success: no churn)",
        "precedents": len(train), "queries": len(test), "k": args.k,
        "casebookSuggestAUC": round(roc_auc_score(y_test, casebook_scores), 4),
        "casebookSuggestAUCOwn": round(casebook["estimateAUC"], 4),
        "contractRateAUC": round(roc_auc_score(y_test, action_rate), 4),
        "sklearnKNNAUC": round(roc_auc_score(y_test, knn), 4),
        "sklearnLogisticAUC": round(roc_auc_score(y_test, logistic), 4),
        "suggestP50Ms": casebook["suggestP50Ms"],
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
