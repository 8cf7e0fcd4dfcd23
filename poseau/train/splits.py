"""Which store rows train and which validate, and the paper's draws from each.

A store with both a training and a validation partition (FERA 2017, the generator) uses them. A store
without (BP4D, DISFA, a manifest) is split by subject: a seeded val_fraction of its subjects validates.
"""

from __future__ import annotations

import logging

import numpy as np

from poseau.config import TrainConfig
from poseau.data.sampling import Draw, balanced_draw, paper_draw
from poseau.data.store import FrameStore
from poseau.errors import PoseauError

log = logging.getLogger(__name__)

PER_CLASS_ONE_AU = 3000     # the paper: per view, 3000 non-zero and 3000 zero frames of the AU
PER_CLASS_SEVERAL = 430     # about the same number of frames in all: 3000 / 7


def split_rows(store: FrameStore, config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    partition = store.index["partition"].to_numpy()
    if {config.train_partition, config.val_partition} <= set(partition):
        train, val = partition == config.train_partition, partition == config.val_partition
        log.info("training on partition %s, validating on %s", config.train_partition, config.val_partition)
        return np.flatnonzero(train), np.flatnonzero(val)
    subject = (store.index["partition"] + "/" + store.index["subject"]).to_numpy()
    subjects = np.unique(subject)
    if len(subjects) < 2:
        raise PoseauError(f"{store.path}: one subject only, and no {config.val_partition!r} partition to "
                          "validate on")
    n_val = min(len(subjects) - 1, max(1, round(config.val_fraction * len(subjects))))
    val_subjects = np.random.default_rng(config.seed).permutation(subjects)[:n_val]
    val = np.isin(subject, val_subjects)
    log.info("no %r partition: validating on %d of %d subjects (%s)", config.val_partition, n_val,
             len(subjects), ", ".join(sorted(val_subjects)))
    return np.flatnonzero(~val), np.flatnonzero(val)


def make_draws(store: FrameStore, aus: tuple[str, ...], config: TrainConfig) -> tuple[Draw, Draw]:
    """The training and validation draws: the paper's per-AU draw for one AU, a balanced one for several."""
    train_rows, val_rows = split_rows(store, config)
    n = config.per_class or (PER_CLASS_ONE_AU if len(aus) == 1 else PER_CLASS_SEVERAL)
    n_val = config.val_per_class or n
    labels, views = store.labels, store.views
    if len(aus) == 1:
        train = paper_draw(labels, views, aus[0], n, config.seed, train_rows)
        val = paper_draw(labels, views, aus[0], n_val, config.seed + 1, val_rows)
    else:
        train = balanced_draw(labels, views, n, config.seed, train_rows, aus)
        val = balanced_draw(labels, views, n_val, config.seed + 1, val_rows, aus)
    for name, draw in (("training", train), ("validation", val)):
        if len(draw.rows) == 0:
            raise PoseauError(f"{store.path}: no {name} frames with labels of {', '.join(aus)}")
    log.info("draws: %d training and %d validation frames", len(train.rows), len(val.rows))
    return train, val
