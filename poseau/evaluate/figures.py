"""The paper's Fig. 2 (the ICC matrix between views, per AU) and a per-view ICC map of one evaluation."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from poseau.evaluate.scores import view_icc_matrix
from poseau.plotting import pyplot, save_figure


def plot_view_icc(table: pd.DataFrame, aus: list[str], path: str | os.PathLike, title: str) -> None:
    """One 9x9 heatmap per AU: ICC(3,1) between the predicted sequences of each pair of views, 0 (blue) to 1
    (yellow) as in the paper."""
    plt = pyplot()
    cols = min(4, len(aus))
    rows = -(-len(aus) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols + 0.8, 2.6 * rows + 0.5), squeeze=False)
    image = None
    for ax, au in zip(axes.flat, aus, strict=False):
        views, matrix = view_icc_matrix(table, au)
        image = ax.imshow(matrix, vmin=0, vmax=1, cmap="viridis")
        ax.set_xticks(range(len(views)), views, fontsize=7)
        ax.set_yticks(range(len(views)), views, fontsize=7)
        pairs = matrix[~np.eye(len(views), dtype=bool)]
        pairs = pairs[~np.isnan(pairs)]
        ax.set_title(f"{au} (mean {pairs.mean():.2f})" if len(pairs) else au, fontsize=9)
    spare = list(axes.flat)[len(aus):]
    for ax in spare:
        ax.axis("off")
    if image is not None:  # in the first spare panel, else beside the grid
        where = {"cax": spare[0].inset_axes([0.1, 0.1, 0.08, 0.8])} if spare else {"ax": axes.ravel().tolist()}
        fig.colorbar(image, label="ICC(3,1) between views", **where)
    fig.suptitle(title, fontsize=10)
    save_figure(fig, path)


def plot_view_scores(score: dict, path: str | os.PathLike, title: str) -> None:
    """ICC(3,1) of AUs (rows) by views (columns) and all views pooled, as colours and numbers."""
    plt = pyplot()
    views = sorted(score["views"])
    aus = score["aus"]
    values = np.array([[score["views"][v]["aus"][au]["icc"] for v in views] + [score["pooled"][au]["icc"]]
                       for au in aus])
    fig, ax = plt.subplots(figsize=(0.6 * len(views) + 2.4, 0.42 * len(aus) + 1.3))
    ax.imshow(values, vmin=0, vmax=1, cmap="viridis", aspect="auto")
    for (r, c), v in np.ndenumerate(values):
        ax.text(c, r, "n/a" if np.isnan(v) else f"{v:.2f}", ha="center", va="center", fontsize=7,
                color="black" if v > 0.6 else "white")
    ax.set_xticks(range(len(views) + 1), [*map(str, views), "all"], fontsize=8)
    ax.set_yticks(range(len(aus)), aus, fontsize=8)
    ax.set(xlabel="view", title=title)
    fig.tight_layout()
    save_figure(fig, path)
