"""Agreement with another tool's per-frame output on the same video (OpenFace 2.x's CSV, say): a yardstick
on real faces, where there is no ground truth.

Rows pair by frame number, on frames where both found a face (``success`` 1; OpenFace's CSV pads its
column names with spaces, which are stripped). Pearson r per AU over the frames of all videos pooled, as
FERA scores a partition, and per video; NaN where a side is constant (a video where an AU never moves).
The within-video r of an AU is the mean of its per-video r over the videos where the reference moves it
(its standard deviation there at least MOVES_SD on 0-5): where the reference barely moves an AU, r is noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from poseau.constants import intensity_columns
from poseau.evaluate.metrics import pearson, safe

MOVES_SD = 0.2


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


def within_video(pairs: dict[str, pd.DataFrame], aus: list[str] | tuple[str, ...],
                 moves_sd: float = MOVES_SD) -> pd.DataFrame:
    """Per AU (rows, and their mean): the mean within-video r over the videos whose reference moves the AU
    ("r"), and how many such videos there are ("videos")."""
    rows = {}
    for au in aus:
        moving = [t for t in pairs.values() if len(t) > 2 and np.std(t[f"{au}_ref"].to_numpy()) >= moves_sd]
        r = [safe(pearson, t[f"{au}_ref"].to_numpy(), t[f"{au}_ours"].to_numpy()) for t in moving]
        r = [v for v in r if np.isfinite(v)]
        rows[au] = {"r": float(np.mean(r)) if r else np.nan, "videos": len(r)}
    table = pd.DataFrame(rows).T
    defined = table["r"].dropna()
    table.loc["mean"] = {"r": float(defined.mean()) if len(defined) else np.nan, "videos": np.nan}
    return table
