#!/usr/bin/env python3
"""Splink baseline on the same files MatchQuality measures.

    swift run -c release --package-path Tests/Benchmarks MatchQuality export --out /tmp/splink-data
    pip install splink          # 5.x, DuckDB backend
    python3 Tests/Benchmarks/splink_compare.py /tmp/splink-data [--json] [--only febrl|synthetic|synthetic150k]

A conventional Splink set-up (as in its tutorials): lower-cased names, Jaro-Winkler name
comparisons, Damerau-Levenshtein dates and document, u by random sampling, m by EM on two
blocking rules, prior from a deterministic rule. Reports pairwise precision/recall/F1 at the
same 0.95 threshold RegistryMatching uses, and at Splink's best threshold on a grid (which
needs the truth, so it is an upper bound), with wall time.
"""
import argparse
import json
import time
from itertools import combinations

import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

GRID = [0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999]


def prf(predicted, truth):
    tp = len(predicted & truth)
    p = tp / len(predicted) if predicted else 1.0
    r = tp / len(truth) if truth else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def truth_pairs_dedupe(df):
    pairs = set()
    for _, ids in df.groupby("truth_id")["unique_id"]:
        for a, b in combinations(sorted(ids), 2):
            pairs.add((a, b))
    return pairs


def cluster_pairs(clusters_df):
    pairs = set()
    for _, ids in clusters_df.groupby("cluster_id")["unique_id"]:
        for a, b in combinations(sorted(ids), 2):
            pairs.add((a, b))
    return pairs


def load(path):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return df.replace({"": None})


def dedupe(df, comparisons, blocking, training_rules, deterministic):
    db = DuckDBAPI()
    sdf = db.register(df.drop(columns=["truth_id"]))
    settings = SettingsCreator(link_type="dedupe_only", comparisons=comparisons,
                               blocking_rules_to_generate_predictions=blocking)
    linker = Linker(sdf, settings, log_level=40)
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    for rule in training_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    pred = linker.inference.predict(threshold_match_probability=min(GRID))
    return linker, pred


def run_dedupe(name, df, comparisons, blocking, training_rules, deterministic):
    start = time.perf_counter()
    linker, pred = dedupe(df, comparisons, blocking, training_rules, deterministic)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, 0.95).as_pandas_dataframe()
    elapsed = time.perf_counter() - start
    truth = truth_pairs_dedupe(df)
    p, r, f = prf(cluster_pairs(clusters), truth)
    best = (0, 0, 0, 0)
    for t in GRID:
        c = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, t).as_pandas_dataframe()
        bp, br, bf = prf(cluster_pairs(c), truth)
        if bf > best[3]:
            best = (t, bp, br, bf)
    return {"set": name, "records": len(df), "precision": p, "recall": r, "f1": f, "seconds": elapsed,
            "best_threshold": best[0], "best_precision": best[1], "best_recall": best[2], "best_f1": best[3]}


def synthetic(data, file="synthetic.csv", name="synthetic-hard"):
    df = load(f"{data}/{file}")
    for c in ["given_name", "family_name", "patronymic", "birth_place", "nationality"]:
        df[c] = df[c].str.lower()
    df["document"] = df["documents"].str.split(" ").str[0]
    df["birth_year"] = df["birth_date"].str.extract(r"(\d{4})")[0]
    comparisons = [
        cl.JaroWinklerAtThresholds("given_name", [0.92, 0.8]),
        cl.JaroWinklerAtThresholds("family_name", [0.92, 0.8]),
        cl.JaroWinklerAtThresholds("patronymic", [0.9]),
        cl.ExactMatch("sex"),
        cl.DamerauLevenshteinAtThresholds("birth_date", [1, 2]),
        cl.JaroWinklerAtThresholds("birth_place", [0.9]),
        cl.ExactMatch("nationality"),
        cl.DamerauLevenshteinAtThresholds("document", [1]),
    ]
    blocking = [
        block_on("family_name", "birth_year"),
        block_on("given_name", "birth_year"),
        block_on("birth_date"),
        block_on("document"),
        block_on("given_name", "family_name"),
    ]
    training = [block_on("birth_date"), block_on("given_name", "family_name")]
    deterministic = [block_on("given_name", "family_name", "birth_date")]
    return run_dedupe(name, df, comparisons, blocking, training, deterministic)


def febrl_comparisons():
    return [
        cl.JaroWinklerAtThresholds("given_name", [0.9, 0.7]),
        cl.JaroWinklerAtThresholds("surname", [0.9, 0.7]),
        cl.DamerauLevenshteinAtThresholds("date_of_birth", [1, 2]),
        cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
        cl.ExactMatch("street_number"),
        cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
        cl.ExactMatch("postcode"),
        cl.JaroWinklerAtThresholds("suburb", [0.9]),
    ]


FEBRL_BLOCKING = [block_on("given_name"), block_on("surname"), block_on("date_of_birth"), block_on("soc_sec_id"),
                  block_on("postcode")]


def febrl3(data):
    df = load(f"{data}/dataset3.csv")
    return run_dedupe("febrl3-dedupe", df, febrl_comparisons(), FEBRL_BLOCKING,
                      [block_on("date_of_birth"), block_on("given_name", "surname")],
                      [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")])


def febrl4(data):
    a, b = load(f"{data}/dataset4a.csv"), load(f"{data}/dataset4b.csv")
    start = time.perf_counter()
    db = DuckDBAPI()
    sa = db.register(a.drop(columns=["truth_id"]), table_name="a")
    sb = db.register(b.drop(columns=["truth_id"]), table_name="b")
    settings = SettingsCreator(link_type="link_only", comparisons=febrl_comparisons(),
                               blocking_rules_to_generate_predictions=FEBRL_BLOCKING)
    linker = Linker([sa, sb], settings, log_level=40)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname"))
    pred = linker.inference.predict(threshold_match_probability=min(GRID)).as_pandas_dataframe()
    elapsed = time.perf_counter() - start
    ta = dict(zip(a.unique_id, a.truth_id))
    tb = dict(zip(b.unique_id, b.truth_id))
    by_truth = {}
    for uid, t in tb.items():
        by_truth.setdefault(t, []).append(uid)
    truth = {(x, y) for x, t in ta.items() for y in by_truth.get(t, [])}

    def predicted(th):
        sel = pred[pred.match_probability >= th]
        out = set()
        for l, r in zip(sel.unique_id_l, sel.unique_id_r):
            out.add((l, r) if l in ta else (r, l))
        return out

    p, r, f = prf(predicted(0.95), truth)
    best = max(((t,) + prf(predicted(t), truth) for t in GRID), key=lambda x: x[3])
    return {"set": "febrl4-link", "records": len(a) + len(b), "precision": p, "recall": r, "f1": f,
            "seconds": elapsed, "best_threshold": best[0], "best_precision": best[1], "best_recall": best[2],
            "best_f1": best[3]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data", nargs="?", default="splink-data")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--only", choices=["febrl", "synthetic", "synthetic150k"])
    args = ap.parse_args()
    results = []
    if args.only in (None, "febrl"):
        results += [febrl4(args.data), febrl3(args.data)]
    if args.only in (None, "synthetic"):
        results.append(synthetic(args.data))
    if args.only == "synthetic150k":  # needs `MatchQuality export --speed-set`; slow and memory-hungry
        results.append(synthetic(args.data, "synthetic-150k.csv", "synthetic-hard-150k"))
    if args.json:
        print(json.dumps({"splink": results}, indent=2))
        return
    print("| set | records | precision | recall | F1 (p>=0.95) | seconds | best threshold | best P | best R | best F1 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['set']} | {r['records']} | {r['precision']:.4f} | {r['recall']:.4f} | {r['f1']:.4f} | "
              f"{r['seconds']:.2f} | {r['best_threshold']} | {r['best_precision']:.4f} | {r['best_recall']:.4f} | "
              f"{r['best_f1']:.4f} |")


if __name__ == "__main__":
    main()
