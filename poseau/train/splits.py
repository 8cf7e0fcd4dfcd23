"""Which store rows train and which validate, and the paper's draws from each.

A store with both a training and a validation partition (FERA 2017, the generator) uses them. A store
with the training partition but not the validation one validates on a seeded val_fraction of the training
partition's subjects; a store of one partition (BP4D, DISFA, a manifest) likewise on its subjects. A named
training partition that the store lacks is refused: never a silent fallback onto other partitions' subjects.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

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
    present = sorted(set(partition))
    if {config.train_partition, config.val_partition} <= set(present):
        train, val = partition == config.train_partition, partition == config.val_partition
        log.info("training on partition %s, validating on %s", config.train_partition, config.val_partition)
        return np.flatnonzero(train), np.flatnonzero(val)
    if config.train_partition in present:
        pool = partition == config.train_partition
    elif len(present) == 1:  # BP4D, DISFA, a manifest without partitions: one pool of subjects
        pool = np.ones(len(partition), bool)
    else:
        raise PoseauError(f"{store.path}: no partition {config.train_partition!r} to train on; it has "
                          f"{', '.join(present)} (--train-partition)")
    subject = (store.index["partition"] + "/" + store.index["subject"]).to_numpy()
    subjects = np.unique(subject[pool])
    if len(subjects) < 2:
        raise PoseauError(f"{store.path}: one subject only, and no {config.val_partition!r} partition to "
                          "validate on")
    n_val = min(len(subjects) - 1, max(1, round(config.val_fraction * len(subjects))))
    val_subjects = np.random.default_rng(config.seed).permutation(subjects)[:n_val]
    val = pool & np.isin(subject, val_subjects)
    log.info("no %r partition: validating on %d of the %d training subjects (%s)", config.val_partition, n_val,
             len(subjects), ", ".join(sorted(val_subjects)))
    return np.flatnonzero(pool & ~val), np.flatnonzero(val)


@dataclass(frozen=True)
class Draws:
    """What a run trains and validates on: the split's training rows, and the draws from both partitions."""

    train_rows: np.ndarray
    train: Draw
    val: Draw


def draw_rows(store: FrameStore, rows: np.ndarray, aus: tuple[str, ...], n: int, seed) -> Draw:
    """The paper's per-AU draw among ``rows`` for one AU, a balanced one for several; ``seed``: an int or a
    sequence of ints (numpy's seed sequence)."""
    if len(aus) == 1:
        return paper_draw(store.labels, store.views, aus[0], n, seed, rows)
    return balanced_draw(store.labels, store.views, n, seed, rows, aus)


def per_class(config: TrainConfig, aus: tuple[str, ...]) -> int:
    return config.per_class or (PER_CLASS_ONE_AU if len(aus) == 1 else PER_CLASS_SEVERAL)


def make_draws(store: FrameStore, aus: tuple[str, ...], config: TrainConfig) -> Draws:
    """The training and validation draws (see draw_rows), made once from the config's seed."""
    train_rows, val_rows = split_rows(store, config)
    n = per_class(config, aus)
    train = draw_rows(store, train_rows, aus, n, config.seed)
    val = draw_rows(store, val_rows, aus, config.val_per_class or n, config.seed + 1)
    for name, draw in (("training", train), ("validation", val)):
        if len(draw.rows) == 0:
            raise PoseauError(f"{store.path}: no {name} frames with labels of {', '.join(aus)}")
    log.info("draws: %d training and %d validation frames", len(train.rows), len(val.rows))
    return Draws(train_rows, train, val)


def epoch_draw(store: FrameStore, draws: Draws, aus: tuple[str, ...], config: TrainConfig, stage: int,
               epoch: int) -> Draw:
    """The frames an epoch trains on: the run's one draw, or with ``config.redraw`` a fresh draw of the same
    size from (seed, stage, epoch) alone, so that the epochs together see far more of a large store and a
    resumed run sees what an uninterrupted one does."""
    if not config.redraw:
        return draws.train
    return draw_rows(store, draws.train_rows, aus, per_class(config, aus), [config.seed, stage, epoch])
