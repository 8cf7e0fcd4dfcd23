"""Recipes compared over several seeds each, from what `poseau pretrain --media` measured: each run's real-face
scores (pooled r per AU with OpenFace 2.x, the pooled and within-video means), its held-out synthetic ICC and
its neutral mean, then each recipe's mean and standard deviation over its seeds. At the shipped model's scale
one seed strays from another by more than most levers move the means (benchmarks/README.md), so a lever is
judged on the mean of its seeds. Nothing is predicted again: the numbers are the runs' own scores.json.

Usage: python benchmarks/recipe_seeds.py OUT [OUT ...] [--csv out.csv]
OUT: a `poseau pretrain` folder (its OUT/NAME/scores.json is read) or a folder holding scores.json, such as a
shipped model's. Runs whose recipes differ only in the seed and the name are one recipe.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from poseau.models.shipped import SCORES_FILE

SEED_ONLY = ("seed", "name")


def scores_of(folder: Path) -> dict:
    """The scores.json of a pretrain folder (OUT/NAME/) or of the folder itself."""
    direct = folder / SCORES_FILE
    found = [direct] if direct.is_file() else sorted(folder.glob(f"*/{SCORES_FILE}"))
    if len(found) != 1:
        raise SystemExit(f"{folder}: expected one {SCORES_FILE} in it or in one folder below, found {len(found)}")
    return json.loads(found[0].read_text())


def run_row(folder: Path, scores: dict) -> dict:
    real = scores.get("real")
    if not real:
        raise SystemExit(f"{folder}: its recipe ran without --media, so it has no real-face scores")
    return {"run": str(folder), "seed": scores["recipe"]["seed"], **real["aus"],
            "pooled": real["mean"], "within": real.get("within_mean"),
            "held-out ICC": scores["synthetic_holdout"]["icc"], "neutral": scores["neutral"]["mean"]}


def recipe_options(scores: dict) -> dict:
    """What tells recipes apart: every option but the seed and the name."""
    return {k: v for k, v in scores["recipe"].items() if k not in (*SEED_ONLY, "config")}


def compare(runs: dict[Path, dict]) -> tuple[pd.DataFrame, dict[str, dict]]:
    """From {folder: its scores}: one row per run, then per recipe its seeds' mean and standard deviation
    (recipes numbered in order of their first run); and per recipe, the options in which it differs from the
    first."""
    options = [recipe_options(s) for s in runs.values()]
    keys = [json.dumps(o, sort_keys=True) for o in options]
    recipes = dict(zip(keys, options, strict=True))
    number = {key: f"recipe {i + 1}" for i, key in enumerate(recipes)}
    table = pd.DataFrame([run_row(folder, s) for folder, s in runs.items()])
    table.insert(0, "recipe", [number[key] for key in keys])
    numbers = table.columns[3:]
    rows = []
    for recipe, group in table.groupby("recipe", sort=False):
        rows.append(group)
        if len(group) < 2:
            continue
        for what, values in (("mean", group[numbers].mean()), ("sd", group[numbers].std(ddof=1))):
            rows.append(pd.DataFrame([{"recipe": recipe, "run": f"{what} of {len(group)} seeds", **values}]))
    first = next(iter(recipes.values()))
    differ = {number[key]: {k: v for k, v in o.items() if first.get(k) != v} for key, o in recipes.items()}
    return pd.concat(rows, ignore_index=True), differ


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", nargs="+", type=Path)
    parser.add_argument("--csv", help="write the table here too")
    args = parser.parse_args()
    table, differ = compare({folder: scores_of(folder) for folder in args.out})
    for recipe, options in differ.items():
        print(f"{recipe}: " + (", ".join(f"{k} {v}" for k, v in options.items()) or "the first"))
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 250,
                           "display.max_columns", 20, "display.max_colwidth", 40):
        print(table.set_index(["recipe", "run"]))
    if args.csv:
        table.to_csv(args.csv, index=False, float_format="%.4f")


if __name__ == "__main__":
    main()
