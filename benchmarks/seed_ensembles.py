"""How far one recipe's seeds stray on real faces, and what averaging them buys: the real-face yardstick of
benchmarks/real_agreement.py (pooled and within-video r with OpenFace 2.x on ../shared/media) for each model
given, for the mean of the single models' scores, and for the ensembles of the first 2, 3, ... of them
(poseau.models.ensemble: their intensities averaged).

Usage: python benchmarks/seed_ensembles.py MODEL MODEL [MODEL ...] [--media ../shared/media] [--csv out.csv]
MODEL: model files or run folders of one recipe trained with different seeds (a pretrain's OUT/seedS/mixed.pt),
or shipped models' names.
"""

from __future__ import annotations

import argparse

import pandas as pd
from real_agreement import MEDIA, row

from poseau.infer.real_faces import agree_with_reference
from poseau.models.checkpoint import load_model
from poseau.models.ensemble import EnsembleModel


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", nargs="+")
    parser.add_argument("--media", default=str(MEDIA))
    parser.add_argument("--csv", help="write the table here too")
    args = parser.parse_args()
    models = [load_model(m) for m in args.model]
    rows = [row(agree_with_reference(m, args.media), model=name) for m, name in zip(models, args.model, strict=True)]
    singles = pd.DataFrame(rows)
    rows.append({"model": f"mean of the {len(models)} single models", **singles.drop(columns="model").mean()})
    for k in range(2, len(models) + 1):
        found = agree_with_reference(EnsembleModel(models[:k]).eval(), args.media)
        rows.append(row(found, model=f"ensemble of the first {k}"))
    table = pd.DataFrame(rows).set_index("model")
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 250,
                           "display.max_columns", 20, "display.max_colwidth", 40):
        print(table)
    if args.csv:
        table.to_csv(args.csv, float_format="%.4f")


if __name__ == "__main__":
    main()
