"""What `poseau predict` writes for an input: its CSV (written whole or not at all) and a PNG of the AU
intensities over time (videos and image sequences)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pandas as pd

from poseau.constants import aus_in, intensity_column
from poseau.fileio import atomic_path
from poseau.plotting import pyplot, save_figure

log = logging.getLogger(__name__)


def write_csv(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False, float_format="%.4f")
    return Path(path)


def plot_intensities(table: pd.DataFrame, path: str | os.PathLike, title: str) -> None:
    """One panel per AU: intensity over time for each face, gaps where no face was found."""
    plt = pyplot()
    columns = {intensity_column(au): au for au in aus_in(table.columns)}
    fig, axes = plt.subplots(len(columns), 1, figsize=(9, 1.0 * len(columns) + 0.8), sharex=True, squeeze=False)
    time = "timestamp" if table["timestamp"].notna().all() else "frame"
    for ax, (column, au) in zip(axes[:, 0], columns.items(), strict=True):
        for face_id, rows in table.groupby("face_id"):
            series = rows.set_index(time)[column].where(rows.set_index(time)["success"] == 1)
            ax.plot(series.index, series.to_numpy(), lw=1, label=f"face {face_id}")
        ax.set_ylim(0, 5)
        ax.set_ylabel(au, fontsize=8)
    axes[-1, 0].set_xlabel("seconds" if time == "timestamp" else "frame")
    if table["face_id"].nunique() > 1:
        axes[0, 0].legend(fontsize=7, ncol=4)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    save_figure(fig, path)
