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
import torch

from poseau.constants import INTENSITY_MAX, POSE_GROUPS
from poseau.data.index import KEY_COLUMNS
from poseau.data.store import FrameStore
from poseau.errors import PoseauError
from poseau.progress import progress_bar

log = logging.getLogger(__name__)
POSE_COLUMNS = tuple(f"pose_{g}" for g in POSE_GROUPS)


@torch.no_grad()
def model_outputs(model: torch.nn.Module, images: torch.Tensor) -> tuple[np.ndarray, np.ndarray | None]:
    """Intensities (B, n_aus) on 0-5 and pose group probabilities (B, 3) or None, for (B, 1, S, S) in [0, 1]."""
    out = model(images)
    intensity = out["intensity"].float().cpu().numpy() * INTENSITY_MAX
    pose = torch.softmax(out["pose_logits"].float(), 1).cpu().numpy() if "pose_logits" in out else None
    return intensity, pose


def frames_for(store: FrameStore, size: int) -> Callable[[np.ndarray], np.ndarray]:
    """A reader of store rows as (n, size, size) uint8 frames: the store's own, or shrunk to a model's
    smaller size by area averaging (as preprocessing shrinks)."""
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


def predict_store(model: torch.nn.Module, store: FrameStore, rows: np.ndarray, device: str | torch.device = "cpu",
                  batch_size: int = 64, progress: bool = True) -> pd.DataFrame:
    """The predictions table of ``model`` (an AUModel or MixedModel in eval mode) over ``rows`` of ``store``."""
    read = frames_for(store, model.size)
    intensities, poses = [], []
    with progress_bar(progress) as bar:
        task = bar.add_task("predict", total=len(rows))
        for start in range(0, len(rows), batch_size):
            chunk = rows[start:start + batch_size]
            images = torch.from_numpy(read(chunk)).unsqueeze(1).to(device).float().div_(255.0)
            intensity, pose = model_outputs(model, images)
            intensities.append(intensity)
            if pose is not None:
                poses.append(pose)
            bar.advance(task, len(chunk))
    aus = list(model.aus)
    table = store.index.iloc[rows][[*KEY_COLUMNS, "frame", *aus]].reset_index(drop=True)
    predicted = np.concatenate(intensities) if intensities else np.zeros((0, len(aus)))
    table[[f"{au}_r" for au in aus]] = predicted
    if poses:
        table[list(POSE_COLUMNS)] = np.concatenate(poses)
    return table
