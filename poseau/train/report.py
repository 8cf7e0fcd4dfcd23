"""What a training run leaves to read: the per-epoch CSV, a PNG of the curves, and a closing summary."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd

from poseau.fileio import atomic_path, write_text_atomic
from poseau.plotting import pyplot, save_figure


def write_history(history: list[dict], path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        pd.DataFrame(history).to_csv(tmp, index=False, float_format="%.6g")


def draw_column(metric: str, au: str) -> str:
    """The train.csv column of a score ("icc", "rmse") on the balanced validation draw, frame by frame and
    unfiltered: named apart from `poseau evaluate`'s median-filtered scores of a whole partition."""
    return f"val_draw_{metric}_{au}"


def plot_curves(history: list[dict], aus: tuple[str, ...], path: str | os.PathLike) -> None:
    """Training and validation loss per epoch (one panel per stage), and the validation ICC per AU."""
    plt = pyplot()
    frame = pd.DataFrame(history)
    stages = list(dict.fromkeys(frame["stage"]))
    fig, axes = plt.subplots(1, len(stages) + 1, figsize=(4 * (len(stages) + 1), 3.4), squeeze=False)
    for ax, stage in zip(axes[0], stages, strict=False):
        rows = frame[frame["stage"] == stage]
        ax.plot(rows["epoch"], rows["train_loss"], "o-", label="training")
        ax.plot(rows["epoch"], rows["val_loss"], "s-", label="validation")
        ax.set(title=f"stage {stage}: loss", xlabel="epoch")
        ax.legend()
    ax = axes[0][-1]
    step = range(1, len(frame) + 1)
    for au in aus:
        ax.plot(step, frame[draw_column("icc", au)], "o-", label=au)
    for boundary in frame.index[frame["stage"] != frame["stage"].shift()][1:]:
        ax.axvline(boundary + 0.5, color="grey", lw=0.8, ls="--")
    ax.set(title="ICC(3,1) on the validation draw", xlabel="epoch (all stages)", ylim=(min(0.0, ax.get_ylim()[0]), 1))
    ax.legend(fontsize="small", ncol=2)
    fig.tight_layout()
    save_figure(fig, path)


def summary_text(history: list[dict], aus: tuple[str, ...], out: Path) -> str:
    """Per stage: epochs run, the kept epoch, its validation loss and ICC per AU."""
    frame = pd.DataFrame(history)
    lines = [f"training run {out}"]
    for stage, rows in frame.groupby("stage", sort=False):
        best = rows.loc[rows["val_loss"].idxmin()]
        iccs = ", ".join(f"{au} {best[draw_column('icc', au)]:.3f}" for au in aus
                         if not math.isnan(best[draw_column("icc", au)]))
        lines.append(f"  {stage}: {len(rows)} epochs, kept epoch {int(best['epoch'])} "
                     f"(validation loss {best['val_loss']:.5f}); ICC on the validation draw {iccs or 'undefined'}")
    lines.append(f"  model: {out / 'model.pt'}; curves: {out / 'curves.png'}; per epoch: {out / 'train.csv'}")
    return "\n".join(lines)


def write_summary(text: str, path: str | os.PathLike) -> None:
    write_text_atomic(path, text + "\n")
