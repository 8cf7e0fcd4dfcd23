"""A model on real faces, where there is no ground truth: agreement with another tool's per-frame output
(OpenFace 2.x's CSVs) on the same videos, and the strongest AUs of single photos.

A media folder holds ``videos/`` and ``reference/``: each reference CSV pairs with the video of the same
stem. Scores: poseau.evaluate.agreement (Pearson r per AU, pooled over all paired frames, and per video).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from poseau.errors import PoseauError
from poseau.evaluate.agreement import agreement, paired, read_reference
from poseau.infer.predict import predict_images, predict_video
from poseau.infer.runners import load_runner
from poseau.infer.sources import image_files


@dataclass(frozen=True)
class Agreement:
    table: pd.DataFrame          # poseau.evaluate.agreement.agreement: rows AUs, mean, frames; columns videos, pooled
    rates: dict[str, float]      # frames per second of each video's prediction, start-up excluded


def reference_videos(media: str | os.PathLike) -> list[tuple[Path, Path]]:
    """(video, reference CSV) pairs of ``media``, in name order."""
    media = Path(media)
    pairs = []
    for reference in sorted((media / "reference").glob("*.csv")):
        video = next(iter(sorted((media / "videos").glob(reference.stem + ".*"))), None)
        if video is not None:
            pairs.append((video, reference))
    return pairs


def agree_with_reference(model, media: str | os.PathLike, *, median: int = 1) -> Agreement:
    """``model`` (a name, file or runner) on every video of ``media`` that has a reference CSV."""
    pairs = reference_videos(media)
    if not pairs:
        raise PoseauError(f"{media}: no video with a CSV of the same name in reference/")
    runner = load_runner(model)
    tables, rates = {}, {}
    for video, reference in pairs:
        start = time.perf_counter()
        ours = predict_video(video, runner, median=median)
        rates[video.name] = ours["frame"].nunique() / (time.perf_counter() - start)
        tables[video.name] = paired(ours, read_reference(reference), runner.aus)
    return Agreement(agreement(tables, runner.aus), rates)


def strongest_aus(model, images: str | os.PathLike, k: int = 2) -> dict[str, list[str]]:
    """For each image of a folder (or one image) with a face, its ``k`` AUs of highest predicted intensity."""
    runner = load_runner(model)
    top = {}
    for path in image_files(Path(images)):
        table = predict_images(path, runner)
        found = table[table["success"] == 1]
        if found.empty:
            continue
        values = found[[f"{au}_r" for au in runner.aus]].to_numpy()[0]
        top[path.name] = [runner.aus[i] for i in np.argsort(-values, kind="stable")[:k]]
    return top
