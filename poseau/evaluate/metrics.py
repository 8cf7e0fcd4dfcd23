"""FERA 2017's metrics, in plain numpy: ICC(3,1), Pearson's r and RMSE between labels and predictions.

ICC(3,1) is Shrout & Fleiss's two-way mixed model, consistency, single rater, with the ground truth and
the prediction as the k = 2 raters of n targets (frames):

    ICC(3,1) = (MS_R - MS_E) / (MS_R + (k - 1) MS_E)

MS_R: mean square between targets; MS_E: residual mean square once target and rater means are removed.
A constant ground truth leaves ICC and r without meaning, so both raise ValueError on it (as r does on a
constant prediction); `safe` turns that into NaN where a monitor must not stop.
"""

from __future__ import annotations

import numpy as np


def _pair(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y, p = np.asarray(y, np.float64).ravel(), np.asarray(p, np.float64).ravel()
    if y.shape != p.shape:
        raise ValueError(f"labels and predictions differ in length: {y.size} and {p.size}")
    if y.size < 2:
        raise ValueError("need at least two frames")
    if not (np.isfinite(y).all() and np.isfinite(p).all()):
        raise ValueError("labels or predictions are not all finite")
    return y, p


def _not_constant(x: np.ndarray, what: str) -> None:
    if np.ptp(x) == 0:
        raise ValueError(f"{what} is constant ({x[0]:g}): the metric is undefined")


def icc31(y, p) -> float:
    """ICC(3,1) of labels ``y`` and predictions ``p`` (1-D, same length)."""
    y, p = _pair(y, p)
    _not_constant(y, "the ground truth")
    x = np.stack([y, p], 1)                  # (n targets, k raters)
    n, k = x.shape
    grand = x.mean()
    rows, cols = x.mean(1, keepdims=True), x.mean(0, keepdims=True)
    ms_r = k * ((rows - grand) ** 2).sum() / (n - 1)
    ms_e = ((x - rows - cols + grand) ** 2).sum() / ((n - 1) * (k - 1))
    return float((ms_r - ms_e) / (ms_r + (k - 1) * ms_e))


def pearson(y, p) -> float:
    y, p = _pair(y, p)
    _not_constant(y, "the ground truth")
    _not_constant(p, "the prediction")
    dy, dp = y - y.mean(), p - p.mean()
    return float((dy * dp).sum() / np.sqrt((dy * dy).sum() * (dp * dp).sum()))


def rmse(y, p) -> float:
    y, p = _pair(y, p)
    return float(np.sqrt(((y - p) ** 2).mean()))


def safe(metric, y, p) -> float:
    """``metric(y, p)``, or NaN where it is undefined (constant input, fewer than two frames)."""
    try:
        return metric(y, p)
    except ValueError:
        return float("nan")
