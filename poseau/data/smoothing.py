"""The paper's noise suppression: a running median of odd width along each sequence of predictions.

At the ends the first and last values are repeated (scipy.ndimage.median_filter's mode "nearest"), so a
sequence keeps its length and a width-3 filter leaves its end frames as they are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from poseau.data.index import KEY_COLUMNS
from poseau.options import RULES


def median_filter(values: np.ndarray, width: int = 3) -> np.ndarray:
    """Running median of ``width`` (odd, >= 1) along axis 0 of a (T,) or (T, C) array."""
    RULES["median"].check("median filter width", width)
    values = np.asarray(values, np.float64)
    if width == 1 or len(values) == 0:
        return values.copy()
    half = width // 2
    padded = np.concatenate([np.repeat(values[:1], half, 0), values, np.repeat(values[-1:], half, 0)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, width, axis=0)  # (T, [C,] width)
    return np.median(windows, axis=-1)


def smooth_sequences(table: pd.DataFrame, columns: list[str], width: int = 3,
                     keys: tuple[str, ...] = KEY_COLUMNS) -> pd.DataFrame:
    """A copy of ``table`` with ``columns`` median-filtered along each sequence (rows sharing ``keys``,
    by default partition, subject, task and view) in frame order; the rows keep their order."""
    out = table.copy()
    if width == 1 or table.empty:
        return out
    ordered = table.sort_values(list(keys) + ["frame"], kind="stable")
    ids = ordered[list(keys)].to_numpy()
    starts = np.flatnonzero(np.r_[True, (ids[1:] != ids[:-1]).any(1)])
    ends = np.r_[starts[1:], len(ordered)]
    values = ordered[columns].to_numpy(np.float64)
    smoothed = np.empty_like(values)
    for a, b in zip(starts, ends, strict=True):
        smoothed[a:b] = median_filter(values[a:b], width)
    out.loc[ordered.index, columns] = smoothed
    return out
