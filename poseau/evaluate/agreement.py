"""Agreement with another tool's per-frame output on the same video (OpenFace 2.x's CSV, say): a yardstick
on real faces, where there is no ground truth.

Rows pair by frame number, on frames where both found a face (``success`` 1; OpenFace's CSV pads its
column names with spaces, which are stripped). Pearson r per AU over the frames of all videos pooled, as
FERA scores a partition, and per video; NaN where a side is constant (a video where an AU never moves).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from poseau.constants import intensity_columns
from poseau.evaluate.metrics import pearson, safe


def read_reference(path) -> pd.DataFrame:
    """A per-frame CSV with ``frame``, ``success`` and ``AUxx_r`` columns (OpenFace's layout)."""
    table = pd.read_csv(path, skipinitialspace=True)
    table.columns = [c.strip() for c in table.columns]
    return table


def paired(ours: pd.DataFrame, reference: pd.DataFrame, aus: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """One row per frame where both found a face: ``frame`` and, per AU, ``AUxx_ours`` and ``AUxx_ref``."""
    columns = intensity_columns(aus)
    a = ours[ours["success"] == 1].drop_duplicates("frame")[["frame", *columns]]  # the largest face
    b = reference[reference["success"] == 1].drop_duplicates("frame")[["frame", *columns]]
    both = a.merge(b, on="frame", suffixes=("_ours", "_ref"))
    return both.rename(columns={f"{au}_r_{side}": f"{au}_{side}" for au in aus for side in ("ours", "ref")})


def agreement(pairs: dict[str, pd.DataFrame], aus: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """Pearson r per AU (rows: AUs and their mean) for each video (columns) and all pooled ("pooled"), from
    {video name: ``paired`` table}; the row "frames" counts the paired frames."""
    pooled = pd.concat(pairs.values(), ignore_index=True)
    result = {}
    for name, table in {**pairs, "pooled": pooled}.items():
        r = {au: safe(pearson, table[f"{au}_ref"].to_numpy(), table[f"{au}_ours"].to_numpy()) for au in aus}
        values = np.array(list(r.values()))
        result[name] = {**r, "mean": float(np.nanmean(values)) if np.isfinite(values).any() else np.nan,
                        "frames": len(table)}
    return pd.DataFrame(result)
