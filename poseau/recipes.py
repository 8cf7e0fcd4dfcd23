"""The recipes of `poseau demo` (poseau.demo) and `poseau pretrain` (poseau.pretrain): what each renders,
prepares, trains and measures, as the configs those commands save (demo.yaml, pretrain.yaml) and take their
options from."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import ClassVar

from poseau.config import (
    ACTIVE_FRACTION,
    LANDMARK_WEIGHT,
    LOOKS,
    ModelConfig,
    PrepareConfig,
    SynthConfig,
    TrainConfig,
    check_config,
)
from poseau.constants import AUS, BACKBONE_NAMES, MIX_RULES, MODEL_KINDS, OPTIMIZERS, SCHEDULES, STAGES
from poseau.options import (
    ABOVE_0,
    AT_LEAST_0,
    AT_LEAST_1,
    FRACTION,
    MEDIAN_WIDTH,
    RULES,
    among,
    at_least,
    one_of,
    option,
)

PRECISIONS = ("half", "int8")  # of a shipped model's weights (poseau.models.checkpoint.compact_record)


@dataclass(frozen=True)
class DemoConfig:
    """What `poseau demo` runs: a synthetic dataset with held-out subjects, both of the paper's models for all
    7 AUs on the light backbone at a CPU-friendly size, the mixed model, scores, saliency and the report."""

    FILE: ClassVar[str] = "demo.yaml"    # saved in the output folder; a rerun continues only with the same config

    train_subjects: int = option(60, "training identities: many with few frames each, so the network cannot "
                                 "memorise them", rule=AT_LEAST_1)
    valid_subjects: int = option(10, "identities that pick the mixed model", rule=AT_LEAST_1)
    test_subjects: int = option(10, "held-out identities that score the models", rule=AT_LEAST_1)
    frames: int = option(20, "frames per sequence (one task per subject, 9 views)", rule=at_least(3))
    render_size: int = option(112, "rendered video side in pixels")
    look: str = option("varied", "the renders' variety (poseau.synth.variation)", rule=one_of(LOOKS))
    wrinkles: float = option(0.0, "depth of the AUs' wrinkles and bulges in the renders (0: none)",
                             rule=AT_LEAST_0)
    details: bool = option(False, "brows, lashes, lips, beards, fringes, glasses and occluders in the renders")
    face_crop: bool = option(True, "frames cut around the detected face, as `poseau predict` cuts them")
    size: int = option(64, "the store's and the models' input side (32 to render_size)", rule=at_least(32))
    backbone: str = option("efficientnet_lite0", "ImageNet backbone", rule=one_of(BACKBONE_NAMES))
    reduce: int = option(0, "channels of a 1x1 convolution before the heads (0: the paper's head)",
                         rule=AT_LEAST_0)
    landmarks: bool = option(False, "a landmark head trained beside the AUs on where the renders' 68 landmarks "
                             "fall (geometry as a second task)")
    landmark_weight: float = option(LANDMARK_WEIGHT, "weight of the landmark head's loss beside the AUs'",
                                    rule=AT_LEAST_0)
    weights: str = option("imagenet", "backbone start: imagenet, a weights file, or none")
    per_class: int = option(30, "frames per view, AU and class in a training draw (30: 3780 frames an epoch)",
                            rule=AT_LEAST_1)
    val_per_class: int = option(10, "the same for validation (10: 1260 frames; fewer made early stopping a "
                                "coin toss)", rule=AT_LEAST_1)
    optimizer: str = option("adam", "SGD at the paper's 1e-4 needs far more epochs than a demo has",
                            rule=one_of(OPTIMIZERS))
    lr: float = option(1e-3, "learning rate", rule=ABOVE_0)
    max_epochs: int = option(10, "epochs per stage", rule=AT_LEAST_1)
    patience: int = option(3, "epochs without a lower validation loss before a stage stops", rule=AT_LEAST_1)
    dependent_stages: tuple[str, ...] = option(("routed", "pose"), "the pose-dependent model's stages (the "
                                               "paper's choice for all AUs but AU12)",
                                               rule=among(STAGES["pose-dependent"]))
    augment: bool = option(True, "mirror and shift the training frames")
    degrade: bool = option(False, "vary box scale and roll, blur, noise and JPEG of the training frames")
    ema: float = option(0.0, "decay of a moving average of the weights kept as the model (0: none)",
                        rule=FRACTION)
    redraw: bool = option(True, "a fresh draw every epoch: the 10 epochs see most of the 10800 frames")
    schedule: str = option("cosine", "learning rate over the epochs (cosine: test ICC 0.453 -> 0.466, RMSE "
                           "1.44 -> 1.33 with redraw, pose-invariant)", rule=one_of(SCHEDULES))
    mix: str = option("best", "how the mixed model takes each AU: best (the paper: the model with the higher "
                      "validation ICC) or mean (both models' mean)", rule=one_of(MIX_RULES))
    saliency_frames: int = option(20, "frames with the highest predictions per AU and view in the saliency "
                                  "maps", rule=AT_LEAST_1)
    median: int = option(MEDIAN_WIDTH, "median filter width before scoring", rule=RULES["median"])
    seed: int = option(0, "renders, draws and training")

    def __post_init__(self) -> None:
        check_config(self, "demo", {"size": self.size <= self.render_size,
                                "dependent_stages": len(self.dependent_stages) > 0},
                 "size at most render_size; one stage or more")
        self.synth()  # the configs it makes check the rest: one clear error now, not after rendering
        for kind in MODEL_KINDS:
            self.model(kind)
            self.train(kind)

    def synth(self) -> SynthConfig:
        return SynthConfig(train_subjects=self.train_subjects, valid_subjects=self.valid_subjects,
                           test_subjects=self.test_subjects, frames=self.frames, size=self.render_size,
                           seed=self.seed, look=self.look, wrinkles=self.wrinkles, details=self.details)

    def prepare(self, root: str | os.PathLike) -> PrepareConfig:
        """How its renders in ``root`` become a store: at the models' size, cut as predict cuts a face."""
        return PrepareConfig(dataset="fera2017", root=str(root), size=self.size, face_crop=self.face_crop,
                             landmarks=self.landmarks)

    def model(self, kind: str) -> ModelConfig:
        return ModelConfig(kind=kind, backbone=self.backbone, aus=AUS, size=self.size, reduce=self.reduce,
                           landmarks=self.landmarks)

    def train(self, kind: str) -> TrainConfig:
        return TrainConfig(weights=self.weights, per_class=self.per_class, val_per_class=self.val_per_class,
                           optimizer=self.optimizer, lr=self.lr, max_epochs=self.max_epochs,
                           patience=self.patience, seed=self.seed, augment=self.augment, degrade=self.degrade,
                           ema=self.ema, redraw=self.redraw, schedule=self.schedule,
                           landmark_weight=self.landmark_weight,
                           stages=self.dependent_stages if kind == "pose-dependent" else ())


@dataclass(frozen=True)
class PretrainConfig(DemoConfig):
    """What `poseau pretrain` runs: the recipe of the shipped model (poseau.models.shipped). The demo's steps at
    a larger scale (many more identities, fewer frames each, longer training, a thinner head), then scores on
    synthetic faces rendered with seeds the recipe never trains or selects on, and the model file to ship."""

    FILE: ClassVar[str] = "pretrain.yaml"
    name: str = option("poseau-au7-v3", "the shipped model's name (a folder name)")
    train_subjects: int = option(400, "training identities", rule=AT_LEAST_1)
    valid_subjects: int = option(40, "identities that pick the mixed model", rule=AT_LEAST_1)
    test_subjects: int = option(40, "the recipe's own test identities", rule=AT_LEAST_1)
    frames: int = option(12, "frames per sequence", rule=at_least(3))
    reduce: int = option(128, "2x2x1280 -> 2x2x128 before FC 256: 0.13M weights per head, not 1.3M",
                         rule=AT_LEAST_0)
    wrinkles: float = option(1.5, "depth of the AUs' wrinkles and bulges in the renders (v2; v1 had none)",
                             rule=AT_LEAST_0)
    ema: float = option(0.99, "decay of a moving average of the weights kept as the model (v2; v1 had none)",
                        rule=FRACTION)
    mix: str = option("mean", "how the mixed model takes each AU: mean (v3: both models' mean; real-face r "
                      "0.45 -> 0.49 pooled, 0.52 -> 0.54 within video) or best (v2, the paper: the model with the "
                      "higher validation ICC)", rule=one_of(MIX_RULES))
    per_class: int = option(60, "7560 frames per epoch, drawn afresh each epoch from 43200", rule=AT_LEAST_1)
    val_per_class: int = option(20, "the same for validation", rule=AT_LEAST_1)
    max_epochs: int = option(20, "epochs per stage", rule=AT_LEAST_1)
    patience: int = option(5, "epochs without a lower validation loss before a stage stops", rule=AT_LEAST_1)
    holdout_subjects: int = option(20, "identities of the held-out synthetic test set (FERA layout)",
                                   rule=AT_LEAST_1)
    neutral_subjects: int = option(10, "identities of the neutral faces (every AU at 0)", rule=AT_LEAST_1)
    holdout_seed: int = option(1000, "seed of the held-out set, and holdout_seed + 1 of the neutral faces")
    precision: str = option("int8", "of the shipped weights: half (15.5 MB for both members) or int8 (8)",
                            rule=one_of(PRECISIONS))
    seed: int = option(1, "renders, draws and training")
    ensemble: int = option(1, "the recipe run with seeds seed, seed + 1, ... and their mixed models averaged "
                           "(1: one model)", rule=AT_LEAST_1)

    def __post_init__(self) -> None:
        super().__post_init__()
        held_out = {self.holdout_seed, self.holdout_seed + 1}
        check_config(self, "pretrain", {"name": bool(self.name) and "/" not in self.name,
                                    "holdout_seed": not held_out & set(self.seeds)},
                 "a plain name; held-out seeds that differ from the recipe's seeds")

    @property
    def seeds(self) -> tuple[int, ...]:
        """The seeds of the ensemble's members (one seed without an ensemble)."""
        return tuple(range(self.seed, self.seed + self.ensemble))

    def member(self, seed: int) -> PretrainConfig:
        """The config of the ensemble's member trained with ``seed``."""
        return dataclasses.replace(self, seed=seed, ensemble=1)

    def holdout(self, neutral: bool = False) -> SynthConfig:
        """The held-out test set (or the neutral faces): test subjects only, from seeds training never sees."""
        return SynthConfig(train_subjects=0, valid_subjects=0, frames=self.frames, size=self.render_size,
                           look=self.look, wrinkles=self.wrinkles, details=self.details,
                           test_subjects=self.neutral_subjects if neutral else self.holdout_subjects,
                           seed=self.holdout_seed + int(neutral), active=0.0 if neutral else ACTIVE_FRACTION)
