"""Frozen configuration dataclasses, one per concern, saved as YAML beside every result."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import ClassVar

import yaml

from poseau.constants import (
    ACTIVE_FRACTION,
    AUS,
    BACKBONE_NAMES,
    DATASETS,
    DEFAULT_CROP_SCALE,
    LOOKS,
    MODEL_KINDS,
    OPTIMIZERS,
    SCHEDULES,
    STAGES,
    VIEWS,
)
from poseau.errors import PoseauError
from poseau.fileio import write_text_atomic

# Defaults of options that no saved config holds; the library's signatures and the CLI both read them here.
MEDIAN_WIDTH = 3             # the paper's median filter over each sequence of predictions before scoring
EVAL_PARTITION = "valid"     # the partition evaluate, mix and saliency score by default
EVAL_BATCH = 64              # frames per network call when scoring a store
SALIENCY_FRAMES = 100        # frames with the highest predictions per AU and view
SALIENCY_BATCH = 16          # frames per gradient call
SEQUENCE_FPS = 30.0          # frame rate given to a folder of images, for its timestamps
DETECT_EVERY = 3             # predict on a video: faces detected on every 3rd frame, followed between
RENDER_WORKERS = min(4, os.cpu_count() or 1)  # processes that render and prepare (synth, demo, pretrain)


def check_options(*, median: int = 1, fps: float = SEQUENCE_FPS, crop_scale: float | None = None,
                  batch_size: int | None = None, detect_every: int = 1, frames: int = 1) -> None:
    """The options above as the library takes them (predict, evaluate, saliency), or a PoseauError naming the
    first that is out of range; the command line checks the same ranges as it parses them."""
    checks = [("median", median, median >= 1 and median % 2 == 1, "an odd width >= 1 (1: no filter)"),
              ("fps", fps, fps > 0, "above 0"), ("crop_scale", crop_scale, crop_scale is None or crop_scale > 0,
                                                 "above 0"),
              ("batch_size", batch_size, batch_size is None or batch_size >= 1, "at least 1"),
              ("detect_every", detect_every, detect_every >= 1, "at least 1"),
              ("frames", frames, frames >= 1, "at least 1")]
    for name, value, ok, allowed in checks:
        if not ok:
            raise PoseauError(f"{name} must be {allowed}, got {value}")


@dataclass(frozen=True)
class SynthConfig:
    """What `poseau synth` renders: subjects per partition, tasks, frames, image size, seed, realism."""

    train_subjects: int = 2
    valid_subjects: int = 1
    test_subjects: int = 0
    tasks: int = 1
    frames: int = 100
    size: int = 224
    seed: int = 0
    views: tuple[int, ...] = VIEWS
    distractors: bool = True       # blinks, jaw opening, outer brow raises (not among the 7 AUs)
    missing_rate: float = 0.0      # share of frames in runs labelled 9 (not coded)
    jitter_deg: float = 1.5        # std of the per-frame head rotation jitter
    identity_modes: int = 50
    supersample: int = 1           # >1 renders larger and averages down (anti-aliasing), slower
    fps: int = 25
    crf: int = 18                  # H.264 quality (0 = lossless luma, 51 = worst); "varied" draws its own
    look: str = "studio"           # "studio" (one white light, flat background) or "varied" (poseau.synth.variation)
    backgrounds: str = ""          # a folder of the user's images, used as backgrounds by the varied look
    active: float = ACTIVE_FRACTION  # share of frames in which each AU's expression events should move it; 0: neutral

    def __post_init__(self) -> None:
        checks = {
            "train_subjects": self.train_subjects >= 0, "valid_subjects": self.valid_subjects >= 0,
            "test_subjects": self.test_subjects >= 0 and self.train_subjects + self.valid_subjects
            + self.test_subjects > 0, "tasks": 1 <= self.tasks <= 8,
            "frames": self.frames >= 1, "size": self.size >= 16 and self.size % 2 == 0,
            "views": len(self.views) > 0 and set(self.views) <= set(VIEWS),
            "missing_rate": 0.0 <= self.missing_rate < 1.0, "supersample": self.supersample >= 1,
            "identity_modes": self.identity_modes >= 0, "jitter_deg": self.jitter_deg >= 0,
            "look": self.look in LOOKS, "active": 0.0 <= self.active < 1.0,
        }
        _require(self, "synth", checks,
                 f"at least one subject, tasks 1-8, size even and >= 16, views among 1-9, look one of "
                 f"{', '.join(LOOKS)}")


@dataclass(frozen=True)
class PrepareConfig:
    """What `poseau prepare` reads and how it preprocesses it; a store is defined by this and its index."""

    dataset: str = "fera2017"
    root: str = "."
    size: int = 224                      # output side in pixels (the paper: 224)
    face_crop: bool = False              # crop around a detected face first (for faces not centred)
    crop_scale: float = DEFAULT_CROP_SCALE  # crop side / detected face side
    views: tuple[int, ...] = ()          # keep only these views (empty: all)
    partitions: tuple[str, ...] = ()     # keep only these partitions (empty: all)
    every: int = 1                       # keep every k-th frame of each sequence
    skip_bad: bool = False               # leave bad files out (listed in the store) instead of stopping

    def __post_init__(self) -> None:
        checks = {
            "dataset": self.dataset in DATASETS, "size": self.size >= 8, "every": self.every >= 1,
            "crop_scale": self.crop_scale > 0, "views": set(self.views) <= set(VIEWS),
        }
        _require(self, "prepare", checks,
                 f"dataset one of {', '.join(DATASETS)}, size >= 8, every >= 1, views among 1-9")


@dataclass(frozen=True)
class ModelConfig:
    """An AU model's architecture: what `load_model` rebuilds from a checkpoint."""

    kind: str = "pose-invariant"         # or "pose-dependent"
    backbone: str = "vgg16"              # or "efficientnet_lite0"
    aus: tuple[str, ...] = ("AU12",)     # one AU (the paper: one network per AU) or several, one output each
    size: int = 224                      # input side in pixels; must equal the store's
    hidden: int = 256                    # neurons of each regressor's hidden layer
    reduce: int = 0                      # channels of a shared 1x1 convolution before the heads; 0: none (the paper)

    def __post_init__(self) -> None:
        checks = {"kind": self.kind in MODEL_KINDS, "backbone": self.backbone in BACKBONE_NAMES,
                  "aus": len(self.aus) > 0 and set(self.aus) <= set(AUS) and len(set(self.aus)) == len(self.aus),
                  "size": self.size >= 32, "hidden": self.hidden >= 1, "reduce": self.reduce >= 0}
        _require(self, "model", checks, f"kind one of {', '.join(MODEL_KINDS)}, backbone one of "
                 f"{', '.join(BACKBONE_NAMES)}, AUs among {', '.join(AUS)}, size >= 32")


@dataclass(frozen=True)
class TrainConfig:
    """How a model is trained (the paper's defaults): draws, stages, optimiser, early stopping."""

    stages: tuple[str, ...] = ()         # empty: all of the model kind's stages (see STAGES)
    weights: str = "imagenet"            # backbone start: "imagenet", a weights file, or "none" (random)
    per_class: int = 0                   # frames per view and class in the draw; 0: 3000 (one AU), 430 (several)
    val_per_class: int = 0               # the same for the validation draw; 0: as per_class
    train_partition: str = "train"
    val_partition: str = "valid"         # when the store has no such partition, val_fraction of its subjects
    val_fraction: float = 0.2
    batch_size: int = 32
    optimizer: str = "sgd"               # the paper's; "adam" converges in far fewer epochs
    lr: float = 1e-4
    momentum: float = 0.0                # SGD only
    weight_decay: float = 0.0
    alpha: float = 0.05                  # weight of the pose cross-entropy in the joint stage
    augment: bool = False                # mirror and shift training frames (poseau.train.augment)
    redraw: bool = False                 # a fresh draw of the training frames every epoch (the paper: one draw)
    schedule: str = "constant"           # learning rate over a stage's epochs: constant, or cosine down to 0
    max_epochs: int = 30                 # per stage
    patience: int = 1                    # epochs without a lower validation loss before a stage stops
    seed: int = 0

    def __post_init__(self) -> None:
        known = {s for stages in STAGES.values() for s in stages}
        checks = {"stages": set(self.stages) <= known, "per_class": self.per_class >= 0,
                  "val_per_class": self.val_per_class >= 0, "val_fraction": 0 < self.val_fraction < 1,
                  "batch_size": self.batch_size >= 1, "optimizer": self.optimizer in OPTIMIZERS, "lr": self.lr > 0,
                  "schedule": self.schedule in SCHEDULES,
                  "momentum": 0 <= self.momentum < 1,
                  "alpha": self.alpha >= 0, "max_epochs": self.max_epochs >= 1, "patience": self.patience >= 1}
        _require(self, "train", checks,
                 f"stages among {', '.join(sorted(known))}; optimizer one of {', '.join(OPTIMIZERS)}; "
                 f"schedule one of {', '.join(SCHEDULES)}")

    def stages_for(self, kind: str) -> tuple[str, ...]:
        if not self.stages:
            return STAGES[kind]
        wrong = [s for s in self.stages if s not in STAGES[kind]]
        if wrong:
            raise PoseauError(f"stages {', '.join(wrong)} do not apply to a {kind} model "
                              f"(its stages: {', '.join(STAGES[kind])})")
        return tuple(s for s in STAGES[kind] if s in self.stages)


@dataclass(frozen=True)
class DemoConfig:
    """What `poseau demo` runs: a synthetic dataset with held-out subjects, both of the paper's models for all
    7 AUs on the light backbone at a CPU-friendly size, the mixed model, scores, saliency and the report."""

    FILE: ClassVar[str] = "demo.yaml"    # saved in the output folder; a rerun continues only with the same config

    train_subjects: int = 60             # many identities with few frames each: the network cannot memorise them
    valid_subjects: int = 10
    test_subjects: int = 10
    frames: int = 20                     # per sequence (one task per subject, 9 views)
    render_size: int = 112               # rendered video side
    look: str = "varied"                 # the renders' variety (poseau.synth.variation)
    face_crop: bool = True               # frames cut around the detected face, as `poseau predict` cuts them
    size: int = 64                       # the store's and the models' input side
    backbone: str = "efficientnet_lite0"
    reduce: int = 0                      # channels of a 1x1 convolution before the heads (0: the paper's head)
    weights: str = "imagenet"
    per_class: int = 30                  # per view, AU and class: 3780 training frames per epoch
    val_per_class: int = 10              # 1260 validation frames: fewer made early stopping a coin toss
    optimizer: str = "adam"              # SGD at the paper's 1e-4 needs far more epochs than a demo has
    lr: float = 1e-3
    max_epochs: int = 10
    patience: int = 3
    dependent_stages: tuple[str, ...] = ("routed", "pose")  # the paper's choice for all AUs but AU12
    augment: bool = True                 # mirror and shift the training frames
    redraw: bool = True                  # a fresh draw every epoch: the 10 epochs see most of the 10800 frames
    schedule: str = "cosine"             # test ICC 0.453 -> 0.466, RMSE 1.44 -> 1.33 with redraw (invariant)
    saliency_frames: int = 20
    median: int = MEDIAN_WIDTH
    seed: int = 0

    def __post_init__(self) -> None:
        checks = {"train_subjects": self.train_subjects >= 1, "valid_subjects": self.valid_subjects >= 1,
                  "test_subjects": self.test_subjects >= 1, "frames": self.frames >= 3,
                  "size": 32 <= self.size <= self.render_size, "backbone": self.backbone in BACKBONE_NAMES,
                  "saliency_frames": self.saliency_frames >= 1, "median": self.median % 2 == 1,
                  "look": self.look in LOOKS, "schedule": self.schedule in SCHEDULES,
                  "dependent_stages": set(self.dependent_stages) <= set(STAGES["pose-dependent"])
                  and len(self.dependent_stages) > 0}
        _require(self, "demo", checks, f"at least one subject per partition, frames >= 3, 32 <= size <= render_size, "
                 f"an odd median, look one of {', '.join(LOOKS)}, schedule one of {', '.join(SCHEDULES)}")
        self.synth()  # the configs it makes check the rest: one clear error now, not after rendering
        for kind in MODEL_KINDS:
            self.model(kind)
            self.train(kind)

    def synth(self) -> SynthConfig:
        return SynthConfig(train_subjects=self.train_subjects, valid_subjects=self.valid_subjects,
                           test_subjects=self.test_subjects, frames=self.frames, size=self.render_size,
                           seed=self.seed, look=self.look)

    def prepare(self, root: str | os.PathLike) -> PrepareConfig:
        """How its renders in ``root`` become a store: at the models' size, cut as predict cuts a face."""
        return PrepareConfig(dataset="fera2017", root=str(root), size=self.size, face_crop=self.face_crop)

    def model(self, kind: str) -> ModelConfig:
        return ModelConfig(kind=kind, backbone=self.backbone, aus=AUS, size=self.size, reduce=self.reduce)

    def train(self, kind: str) -> TrainConfig:
        return TrainConfig(weights=self.weights, per_class=self.per_class, val_per_class=self.val_per_class,
                           optimizer=self.optimizer, lr=self.lr, max_epochs=self.max_epochs,
                           patience=self.patience, seed=self.seed, augment=self.augment,
                           redraw=self.redraw, schedule=self.schedule,
                           stages=self.dependent_stages if kind == "pose-dependent" else ())


@dataclass(frozen=True)
class PretrainConfig(DemoConfig):
    """What `poseau pretrain` runs: the recipe of the shipped model (poseau.models.shipped). The demo's steps at
    a larger scale (many more identities, fewer frames each, longer training, a thinner head), then scores on
    synthetic faces rendered with seeds the recipe never trains or selects on, and the model file to ship."""

    FILE: ClassVar[str] = "pretrain.yaml"
    name: str = "poseau-au7-v1"
    train_subjects: int = 400
    valid_subjects: int = 40
    test_subjects: int = 40
    frames: int = 12
    reduce: int = 128                    # 2x2x1280 -> 2x2x128 before FC 256: 0.13M weights per head, not 1.3M
    per_class: int = 60                  # 7560 frames per epoch, drawn afresh each epoch from 43200
    val_per_class: int = 20
    max_epochs: int = 20
    patience: int = 5
    holdout_subjects: int = 20           # the held-out synthetic test set, FERA layout
    neutral_subjects: int = 10           # sequences with every AU at 0
    holdout_seed: int = 1000             # and holdout_seed + 1 for the neutral faces
    precision: str = "int8"              # of the shipped weights: "half" (15.5 MB for both members) or "int8" (8)
    seed: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        checks = {"name": bool(self.name) and "/" not in self.name, "holdout_subjects": self.holdout_subjects >= 1,
                  "neutral_subjects": self.neutral_subjects >= 1,
                  "holdout_seed": self.seed not in (self.holdout_seed, self.holdout_seed + 1),
                  "precision": self.precision in ("half", "int8")}
        _require(self, "pretrain", checks, "a plain name, held-out seeds that differ from the recipe's seed, "
                 "precision half or int8")

    def holdout(self, neutral: bool = False) -> SynthConfig:
        """The held-out test set (or the neutral faces): test subjects only, from seeds training never sees."""
        return SynthConfig(train_subjects=0, valid_subjects=0, frames=self.frames, size=self.render_size,
                           look=self.look, test_subjects=self.neutral_subjects if neutral else self.holdout_subjects,
                           seed=self.holdout_seed + int(neutral), active=0.0 if neutral else ACTIVE_FRACTION)


def _require(config, what: str, checks: dict[str, bool], hint: str) -> None:
    """One line naming every field whose check failed, with their values and what is allowed."""
    bad = [k for k, ok in checks.items() if not ok]
    if bad:
        raise PoseauError(f"{what} config: invalid {', '.join(f'{k}={getattr(config, k)!r}' for k in bad)} ({hint})")


def to_dict(config) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(config).items()}


def save_config(config, path: str | os.PathLike) -> None:
    write_text_atomic(path, yaml.safe_dump({"config": type(config).__name__, **to_dict(config)}, sort_keys=False))


def load_config(cls, path: str | os.PathLike):
    with open(path) as file:
        data = yaml.safe_load(file)
    if data.pop("config", cls.__name__) != cls.__name__:
        raise PoseauError(f"{path}: not a {cls.__name__} file")
    return from_dict(cls, data, str(path))


def from_dict(cls, data: dict, source: str = "config"):
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise PoseauError(f"{source}: unknown {cls.__name__} keys {', '.join(unknown)}")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
