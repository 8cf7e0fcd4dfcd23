"""`poseau predict` on many inputs: one CSV per input (written whole or not at all), a PNG of the AU
intensities over time for each video and image sequence."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from poseau.constants import AUS, IMAGE_SUFFIXES, intensity_columns
from poseau.errors import PoseauError
from poseau.fileio import atomic_path, out_folder
from poseau.infer.predictor import Predictor
from poseau.options import SEQUENCE_FPS, check_options
from poseau.plotting import pyplot, save_figure

log = logging.getLogger(__name__)


def write_csv(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False, float_format="%.4f")
    return Path(path)


def plot_intensities(table: pd.DataFrame, path: str | os.PathLike, title: str) -> None:
    """One panel per AU: intensity over time for each face, gaps where no face was found."""
    plt = pyplot()
    columns = {column: au for au, column in zip(AUS, intensity_columns(), strict=True) if column in table}
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


def kind_of(path: Path) -> str:
    if path.is_dir():
        return "sequence"
    if not path.is_file():
        raise PoseauError(f"{path}: no such file or folder")
    if path.stat().st_size == 0:
        raise PoseauError(f"{path}: the file is empty")
    return "image" if path.suffix.lower() in IMAGE_SUFFIXES else "video"


def predict_inputs(inputs: list[str | os.PathLike], out: str | os.PathLike, predictor: Predictor, *,
                   fps: float = SEQUENCE_FPS, plot: bool = True) -> Iterator[tuple[Path, Path | PoseauError]]:
    """For each input (video, image, or folder of images as a sequence), its CSV in ``out`` or the error
    that stopped it, predicted by the one ``predictor`` (its model and detector loaded once)."""
    check_options(fps=fps)
    out = out_folder(out)
    inputs = [Path(p) for p in inputs]
    names = [p.name if p.is_dir() else p.stem for p in inputs]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise PoseauError(f"inputs share the output name {', '.join(clash)}; predict them into separate --out folders")
    for path, name in zip(inputs, names, strict=True):
        try:
            kind = kind_of(path)
            table = predictor.video(path) if kind == "video" else predictor.images(path, fps=fps)
        except PoseauError as exc:
            yield path, exc
            continue
        for error in table.attrs.get("unreadable", []):
            yield path, PoseauError(f"{error}; left out of {name}.csv")
        csv = write_csv(table, out / f"{name}.csv")
        if plot and kind != "image":
            plot_intensities(table, out / f"{name}.png", f"{path.name}: AU intensity (0-5) per frame")
        with_face = table.loc[table["success"] == 1, "frame"].nunique()
        log.info("%s: %d rows, a face in %d of %d frames -> %s", path, len(table), with_face,
                 table["frame"].nunique(), csv)
        yield path, csv
