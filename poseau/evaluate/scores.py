"""FERA 2017 scoring of a predictions table: per AU over all frames pooled, per view, and the mean over AUs.

A predictions table has one row per frame with its ``view``, the labels under the AU names (``AU12``,
9 = missing) and the predictions under ``AU12_r`` (0-5). Frames with a missing label are left out of
that AU's scores. Where a metric is undefined (a constant ground truth or prediction, fewer than two
frames) its value is NaN and ``undefined`` says why; the means over AUs skip such values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from poseau.constants import MISSING, intensity_column, intensity_columns
from poseau.evaluate.metrics import icc31, pearson, rmse, safe

METRICS = {"rmse": rmse, "pcc": pearson, "icc": icc31}
METRIC_LABELS = {"rmse": "RMSE", "pcc": "PCC", "icc": "ICC"}


def _score_frames(y: np.ndarray, p: np.ndarray, where: str, undefined: list[str]) -> dict:
    scores = {"frames": int(len(y))}
    for name, metric in METRICS.items():
        try:
            scores[name] = metric(y, p)
        except ValueError as exc:
            scores[name] = float("nan")
            undefined.append(f"{where} {METRIC_LABELS[name]}: {exc}")
    return scores


def au_scores(truth: np.ndarray, predicted: np.ndarray, aus: tuple[str, ...] | list[str], where: str = "",
              undefined: list[str] | None = None) -> dict[str, dict]:
    """{AU: {rmse, pcc, icc, frames}} for (N, A) labels (MISSING where not coded, those frames left out) and
    predictions on 0-5, one column per AU of ``aus``; the reasons for undefined values go to ``undefined``."""
    undefined = [] if undefined is None else undefined
    per_au = {}
    for j, au in enumerate(aus):
        valid = truth[:, j] != MISSING
        y, p = np.asarray(truth[valid, j], np.float64), np.asarray(predicted[valid, j], np.float64)
        per_au[au] = _score_frames(y, p, f"{au}{where}", undefined)
    return per_au


def _mean(per_au: dict[str, dict]) -> dict:
    means = {}
    for name in METRICS:
        values = np.array([s[name] for s in per_au.values()], np.float64)
        defined = values[~np.isnan(values)]
        means[name] = float(defined.mean()) if len(defined) else float("nan")
    return means


def score_table(table: pd.DataFrame, aus: tuple[str, ...] | list[str]) -> dict:
    """{"aus", "frames", "pooled": {AU: {rmse, pcc, icc, frames}}, "mean": {rmse, pcc, icc},
    "views": {view: {"aus": {AU: ...}, "mean": ...}}, "undefined": [reasons]}."""
    undefined: list[str] = []

    def block(rows: pd.DataFrame, where: str) -> dict:
        truth = rows[list(aus)].to_numpy(np.float64)
        return au_scores(truth, rows[intensity_columns(aus)].to_numpy(np.float64), aus, where, undefined)

    pooled = block(table, "")
    views = {}
    for view, rows in table.groupby("view", sort=True):
        if view > 0:
            per_au = block(rows, f" view {view}")
            views[int(view)] = {"aus": per_au, "mean": _mean(per_au)}
    return {"aus": list(aus), "frames": int(len(table)), "pooled": pooled, "mean": _mean(pooled), "views": views,
            "undefined": undefined}


def view_icc_matrix(table: pd.DataFrame, au: str) -> tuple[list[int], np.ndarray]:
    """The views and the (V, V) ICC(3,1) between the predicted sequences of each pair of views (the paper's
    Fig. 2), over the frames that both views show; NaN where undefined."""
    wide = table.pivot_table(index=["partition", "subject", "task", "frame"], columns="view",
                             values=intensity_column(au), aggfunc="first")
    views = [int(v) for v in wide.columns if v > 0]
    matrix = np.full((len(views), len(views)), np.nan)
    for i, a in enumerate(views):
        for j, b in enumerate(views[i:], start=i):
            both = wide[[a, b]].dropna().to_numpy()
            matrix[i, j] = matrix[j, i] = safe(icc31, both[:, 0], both[:, 1])
    return views, matrix
