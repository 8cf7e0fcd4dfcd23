"""Which frames a model trains on: the paper's per-AU, per-view draw, and a balanced draw for all 7 AUs.

The paper (Sec. III-A): for each AU and each of the nine views, 3000 frames with intensity 1-5 and
3000 with intensity 0, from the training partition (and likewise from validation, to stop training).
Missing labels (9) are never drawn. Where a view has fewer frames of a kind, the draw is made with
replacement and a warning is logged. Frames of unknown view (0) form one group of their own.

For one network over all 7 AUs (`balanced_draw`), each frame carries all its labels, so drawing
frames for one AU also adds frames, mostly zeros, to the others. The draw therefore takes, per view
and per AU, n frames non-zero and n frames zero for that AU, and gives each label a weight: for AU a,
a label of class c (zero / non-zero) gets  valid_a / (2 * count_a,c),  where count_a,c counts the
draw's labels of that class. Each AU's zero and non-zero labels then carry equal total weight, the
mean weight of the valid labels of each AU is 1, and missing labels weigh 0.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from poseau.constants import AUS, MISSING

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Draw:
    """Store rows to train on, in random order, and a (rows, 7) weight per label (None: weigh all alike)."""

    rows: np.ndarray
    weights: np.ndarray | None = None


def _take(candidates: np.ndarray, n: int, rng: np.random.Generator, what: str) -> np.ndarray:
    if len(candidates) == 0:
        if n:
            log.warning("%s: no frames at all, none drawn", what)
        return candidates
    if len(candidates) < n:
        log.warning("%s: only %d frames for %d wanted; drawing with replacement", what, len(candidates), n)
        return rng.choice(candidates, n, replace=True)
    return rng.choice(candidates, n, replace=False)


def _draw_classes(rows: np.ndarray, y: np.ndarray, here: np.ndarray, n: int, rng: np.random.Generator,
                  what: str) -> list[np.ndarray]:
    """n rows with intensity 1-5 and n with intensity 0 among ``rows[here]`` (y: one AU's labels of rows)."""
    return [_take(rows[here & (y >= 1) & (y != MISSING)], n, rng, f"{what} non-zero"),
            _take(rows[here & (y == 0)], n, rng, f"{what} zero")]


def paper_draw(labels: np.ndarray, views: np.ndarray, au: str, n: int = 3000, seed: int | Sequence[int] = 0,
               rows: np.ndarray | None = None) -> Draw:
    """For one AU: per view, n non-zero and n zero frames among ``rows`` (default: all).

    labels: (N, 7) intensities, MISSING where not coded; views: (N,) view per frame (0 = unknown).
    """
    rng = np.random.default_rng(seed)
    k = AUS.index(au)
    rows = np.arange(len(labels)) if rows is None else np.asarray(rows)
    y, v = labels[rows, k], views[rows]
    picked = []
    for view in np.unique(v):
        picked += _draw_classes(rows, y, v == view, n, rng, f"{au} view {view}")
    return Draw(rng.permutation(np.concatenate(picked)))


def balanced_draw(labels: np.ndarray, views: np.ndarray, n: int = 430, seed: int | Sequence[int] = 0,
                  rows: np.ndarray | None = None, aus: tuple[str, ...] = AUS) -> Draw:
    """For several AUs at once (default all 7): per view and AU, n non-zero and n zero frames, with
    balancing label weights."""
    rng = np.random.default_rng(seed)
    rows = np.arange(len(labels)) if rows is None else np.asarray(rows)
    v = views[rows]
    picked = []
    for view in np.unique(v):
        for au in aus:
            picked += _draw_classes(rows, labels[rows, AUS.index(au)], v == view, n, rng, f"{au} view {view}")
    drawn = rng.permutation(np.concatenate(picked))
    return Draw(drawn, balance_weights(labels[drawn]))


def balance_weights(labels: np.ndarray) -> np.ndarray:
    """(M, 7) float32 weights giving each AU's zero and non-zero labels equal total weight (see above)."""
    valid = labels != MISSING
    nonzero = valid & (labels > 0)
    zero = valid & (labels == 0)
    n_valid, n_nonzero, n_zero = valid.sum(0), nonzero.sum(0), zero.sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        w_nonzero = np.where(n_nonzero > 0, n_valid / (2.0 * n_nonzero), 0.0)
        w_zero = np.where(n_zero > 0, n_valid / (2.0 * n_zero), 0.0)
    # an AU with only one class present keeps weight 1 on it
    one_class = (n_nonzero == 0) | (n_zero == 0)
    w_nonzero[one_class & (n_nonzero > 0)] = 1.0
    w_zero[one_class & (n_zero > 0)] = 1.0
    return (nonzero * w_nonzero + zero * w_zero).astype(np.float32)
