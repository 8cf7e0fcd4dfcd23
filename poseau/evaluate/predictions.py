"""Running a model over a frame store: one row of predictions per frame, on FERA's 0-5 scale.

The table: partition, subject, task, view, frame, the labels under the AU names (9 = missing), the
predictions under ``AU12_r`` and, for a model with a pose estimator, the pose group probabilities
``pose_up``, ``pose_level``, ``pose_down``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import cv2
import numpy as np
import pandas as pd

from poseau.constants import POSE_COLUMNS, intensity_columns
from poseau.data.index import KEY_COLUMNS
from poseau.data.preprocess import Preprocessing
from poseau.data.store import FrameStore
from poseau.errors import PoseauError
from poseau.models.model import IntensityModel
from poseau.options import EVAL_BATCH
from poseau.progress import progress_bar

log = logging.getLogger(__name__)


def frames_for(store: FrameStore, preprocessing: Preprocessing) -> Callable[[np.ndarray], np.ndarray]:
    """A reader of store rows as a model's input, (n, S, S) uint8 for the model's ``preprocessing``: the store's
    own frames, or shrunk to the model's smaller size by area averaging (as preprocessing shrinks). A store
    framed otherwise than the model's training frames (face crop, crop scale, equalisation) is warned of."""
    size = preprocessing.size
    framing = ("equalize_histogram", "face_crop") + (("crop_scale",) if preprocessing.face_crop else ())
    differ = [f"{k}: model {getattr(preprocessing, k)}, store {getattr(store.preprocessing, k)}" for k in framing
              if getattr(store.preprocessing, k) != getattr(preprocessing, k)]
    if differ:
        log.warning("%s: frames made otherwise than the model's training frames (%s)", store.path, ", ".join(differ))
    if store.size == size:
        return lambda rows: np.asarray(store.frames[rows])
    if store.size < size:
        raise PoseauError(f"{store.path}: frames are {store.size}x{store.size}, smaller than the model's "
                          f"{size}x{size}; prepare the data with --size {size}")
    log.warning("%s: frames are %dx%d, shrunk to the model's %dx%d", store.path, store.size, store.size, size, size)
    return lambda rows: np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA)
                                  for f in store.frames[rows]])


def partition_rows(store: FrameStore, partition: str) -> np.ndarray:
    """The store rows of ``partition`` ("all" for every row), or a clear error naming those it has."""
    if partition == "all":
        return np.arange(len(store))
    rows = np.flatnonzero(store.index["partition"].to_numpy() == partition)
    if len(rows) == 0:
        have = ", ".join(sorted(set(store.index["partition"]))) or "none"
        raise PoseauError(f"{store.path}: no frames in partition {partition!r} (it has: {have}, or all)")
    return rows


def predict_store(model: IntensityModel, store: FrameStore, rows: np.ndarray, *, batch_size: int = EVAL_BATCH,
                  progress: bool = True) -> pd.DataFrame:
    """The predictions table of ``model`` (an AUModel or MixedModel in eval mode, on its device) over ``rows``
    of ``store``."""
    missing = [au for au in model.aus if au not in store.index.columns]
    if missing:
        held = ", ".join(c for c in store.index.columns if c.startswith("AU")) or "none"
        raise PoseauError(f"{store.path}: the store has no labels of {', '.join(missing)}, which the model predicts "
                          f"(the store's AUs: {held})")
    read = frames_for(store, model.preprocessing)
    intensities, poses = [], []
    with progress_bar(progress) as bar:
        task = bar.add_task("predict", total=len(rows))
        for start in range(0, len(rows), batch_size):
            chunk = rows[start:start + batch_size]
            intensity, pose = model.predict(read(chunk))
            intensities.append(intensity)
            if pose is not None:
                poses.append(pose)
            bar.advance(task, len(chunk))
    aus = list(model.aus)
    table = store.index.iloc[rows][[*KEY_COLUMNS, "frame", *aus]].reset_index(drop=True)
    predicted = np.concatenate(intensities) if intensities else np.zeros((0, len(aus)))
    table[intensity_columns(aus)] = predicted
    if poses:
        table[list(POSE_COLUMNS)] = np.concatenate(poses)
    return table
