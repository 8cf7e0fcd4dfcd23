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

from poseau.constants import intensity_columns
from poseau.errors import PoseauError
from poseau.evaluate.agreement import agreement, paired, read_reference, within_video
from poseau.infer.predictor import Predictor
from poseau.infer.sources import image_files, video_frames
from poseau.options import DETECT_EVERY


@dataclass(frozen=True)
class Agreement:
    table: pd.DataFrame          # poseau.evaluate.agreement.agreement: rows AUs, mean, frames; columns videos, pooled
    within: pd.DataFrame         # poseau.evaluate.agreement.within_video: rows AUs and mean; columns r, videos
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


def agree_with_reference(model, media: str | os.PathLike, *, median: int = 1, every: int = 1) -> Agreement:
    """``model`` (a name, file, runner or Predictor) on every video of ``media`` that has a reference CSV;
    ``every`` > 1: only every so many frames of each video (a quick look, as during training), each detected."""
    pairs = reference_videos(media)
    if not pairs:
        raise PoseauError(f"{media}: no video with a CSV of the same name in reference/")
    predictor = model if isinstance(model, Predictor) else Predictor(model, median=median,
                                                                     detect_every=DETECT_EVERY if every == 1 else 1)
    tables, rates = {}, {}
    for video, reference in pairs:
        start = time.perf_counter()
        ours = predictor.video(video) if every == 1 else _every(predictor, video, every)
        rates[video.name] = ours["frame"].nunique() / (time.perf_counter() - start)
        tables[video.name] = paired(ours, read_reference(reference), predictor.aus)
    return Agreement(agreement(tables, predictor.aus), within_video(tables, predictor.aus), rates)


def _every(predictor: Predictor, video: Path, every: int) -> pd.DataFrame:
    """The table of frames 1, 1 + every, 1 + 2 every, ... of ``video``, numbered as in the whole video."""
    table = predictor.frames(f.image for f in video_frames(video) if (f.number - 1) % every == 0)
    table["frame"] = (table["frame"] - 1) * every + 1
    return table


def strongest_aus(model, images: str | os.PathLike, k: int = 2) -> dict[str, list[str]]:
    """For each image of a folder (or one image) with a face, its ``k`` AUs of highest predicted intensity."""
    predictor = model if isinstance(model, Predictor) else Predictor(model)
    top = {}
    for path in image_files(Path(images)):
        table = predictor.images(path)
        found = table[table["success"] == 1]
        if found.empty:
            continue
        values = found[intensity_columns(predictor.aus)].to_numpy()[0]
        top[path.name] = [predictor.aus[i] for i in np.argsort(-values, kind="stable")[:k]]
    return top
