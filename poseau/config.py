"""Frozen configuration dataclasses, one per concern, saved as YAML beside every result, and their YAML I/O.

Each field carries its help text and the values it allows (poseau.options.option): the configs check
themselves with those rules and the command line is made from them (poseau.options.add_options).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

import yaml

from poseau.constants import (
    AUS,
    BACKBONE_NAMES,
    DATASETS,
    DEFAULT_CROP_SCALE,
    MODEL_KINDS,
    OPTIMIZERS,
    SCHEDULES,
    STAGES,
    VIEWS,
)
from poseau.errors import PoseauError
from poseau.fileio import write_text_atomic
from poseau.options import (
    ABOVE_0,
    AT_LEAST_0,
    AT_LEAST_1,
    EVEN_SIDE,
    FRACTION,
    OPEN_FRACTION,
    among,
    at_least,
    between,
    check_fields,
    one_of,
    option,
    parse_aus,
    parse_views,
    rule_help,
)

LOOKS: tuple[str, ...] = ("studio", "varied")  # presets of the synthetic renders (poseau.synth.variation)
ACTIVE_FRACTION = 0.45  # the share of frames in which a sequence's expression events move each AU (0: neutral)
LANDMARK_WEIGHT = 10.0  # of a landmark head's loss beside the AUs': the two about equal early in training
STAGE_NAMES = tuple(dict.fromkeys(s for stages in STAGES.values() for s in stages))


@dataclass(frozen=True)
class SynthConfig:
    """What `poseau synth` renders: subjects per partition, tasks, frames, image size, seed, realism."""

    train_subjects: int = option(2, "training subjects", rule=AT_LEAST_0)
    valid_subjects: int = option(1, "validation subjects", rule=AT_LEAST_0)
    test_subjects: int = option(0, "test subjects", rule=AT_LEAST_0)
    tasks: int = option(1, "tasks per subject", rule=between(1, 8))
    frames: int = option(100, "frames per sequence", rule=AT_LEAST_1)
    size: int = option(224, "image side in pixels", rule=EVEN_SIDE)
    seed: int = option(0, "the same seed gives the same labels and frames, whatever the number of workers")
    views: tuple[int, ...] = option(VIEWS, "views to render, e.g. 4,5,6", rule=among(VIEWS), parse=parse_views)
    distractors: bool = option(True, "blinks, jaw opening and outer brow raises (not among the 7 AUs)")
    missing_rate: float = option(0.0, "share of frames in runs labelled 9 (not coded)", rule=FRACTION)
    jitter_deg: float = option(1.5, "std of the per-frame head rotation jitter in degrees", rule=AT_LEAST_0,
                               flag="jitter")
    identity_modes: int = option(50, "identity modes of the face model drawn per subject", rule=AT_LEAST_0)
    supersample: int = option(1, "renders this many times larger and averages down (anti-aliasing; slower)",
                              rule=AT_LEAST_1)
    fps: int = option(25, "frame rate of the videos", rule=AT_LEAST_1)
    crf: int = option(18, "H.264 quality (0 lossless luma, 51 worst); the varied look draws its own")
    look: str = option("studio", "studio: one white light on a flat background; varied: lights, backgrounds, "
                       "pose, skin, creases and camera vary per sequence", rule=one_of(LOOKS))
    backgrounds: str = option("", "a folder of your own images to use as backgrounds (varied look)")
    active: float = option(ACTIVE_FRACTION, "share of frames in which each AU's expression events move it "
                           "(0: neutral faces)", rule=FRACTION)
    randomise: float = option(0.0, "share of sequences whose face is painted with random colours and patterns "
                              "instead of skin (domain randomisation; the varied look)", rule=between(0, 1))
    details: bool = option(False, "brows with hairs, lashes, lips and teeth as people have them, beards, fringes, "
                           "glasses, hands and microphones (poseau.synth.details; the varied look)")
    wrinkles: float = option(0.0, "depth of the wrinkles and bulges the AUs make, as lines the light rakes "
                             "across (poseau.synth.wrinkles; 0: none, 1: their typical depth)", rule=AT_LEAST_0)

    def __post_init__(self) -> None:
        check_config(self, "synth", {
            "test_subjects": self.train_subjects + self.valid_subjects + self.test_subjects > 0,
            "views": len(self.views) > 0}, "at least one subject, one view or more")


@dataclass(frozen=True)
class PrepareConfig:
    """What `poseau prepare` reads and how it preprocesses it; a store is defined by this and its index."""

    dataset: str = option("fera2017", "the dataset's layout", rule=one_of(DATASETS))
    root: str = option(".", "the dataset's folder (manifest: the CSV file or its folder)")
    size: int = option(224, "output side in pixels (the paper: 224)", rule=at_least(8))
    face_crop: bool = option(False, "crop around a detected face first (for faces not centred)")
    crop_scale: float = option(DEFAULT_CROP_SCALE, "crop side / detected face side", rule=ABOVE_0)
    views: tuple[int, ...] = option((), "keep only these views, e.g. 4,5,6 (default: all)", rule=among(VIEWS),
                                    parse=parse_views)
    partitions: tuple[str, ...] = option((), "keep only these partitions, e.g. train,valid (default: all)")
    every: int = option(1, "keep every k-th frame of each sequence", rule=AT_LEAST_1)
    skip_bad: bool = option(False, "leave bad files out (listed in the store) instead of stopping")
    landmarks: bool = option(False, "also store where the 68 landmarks fall in each frame, from the landmark "
                             "files `poseau synth` writes beside its videos (for a landmark head)")

    def __post_init__(self) -> None:
        check_config(self, "prepare")


@dataclass(frozen=True)
class ModelConfig:
    """An AU model's architecture: what `load_model` rebuilds from a checkpoint."""

    kind: str = option("pose-invariant", "the paper's pose-invariant model, or the pose-dependent one",
                       rule=one_of(MODEL_KINDS), flag="model")
    backbone: str = option("vgg16", "ImageNet backbone", rule=one_of(BACKBONE_NAMES))
    aus: tuple[str, ...] = option(("AU12",), "one AU as the paper (AU12), several (AU06,AU12), or all",
                                  rule=among(AUS), parse=parse_aus)
    size: int = option(224, "input side in pixels; must equal the store's", rule=at_least(32))
    hidden: int = option(256, "hidden units of each regressor", rule=AT_LEAST_1)
    reduce: int = option(0, "channels of a shared 1x1 convolution before the heads (0: none, the paper)",
                         rule=AT_LEAST_0)
    landmarks: bool = option(False, "a second head that finds the face's 68 landmarks, trained beside the AUs on a "
                             "store prepared with --landmarks (geometry as a second task)")

    def __post_init__(self) -> None:
        check_config(self, "model", {"aus": len(self.aus) > 0 and len(set(self.aus)) == len(self.aus)},
                 "one AU or more, each once")


@dataclass(frozen=True)
class TrainConfig:
    """How a model is trained (the paper's defaults): draws, stages, optimiser, early stopping."""

    stages: tuple[str, ...] = option((), "comma-separated stages to run; pose-dependent: "
                                     f"{','.join(STAGES['pose-dependent'])} (empty: all of the model's)",
                                     rule=among(STAGE_NAMES))
    weights: str = option("imagenet", "backbone start: imagenet, a weights file, or none (random)")
    per_class: int = option(0, "frames per view and class in the draw (0: 3000 for one AU, 430 for several)",
                            rule=AT_LEAST_0)
    val_per_class: int = option(0, "the same for the validation draw (0: as per_class)", rule=AT_LEAST_0)
    train_partition: str = option("train", "the store's partition that trains")
    val_partition: str = option("valid", "the partition that validates; without it, val_fraction of the "
                                "training subjects")
    val_fraction: float = option(0.2, "share of subjects that validate when the store has no validation "
                                 "partition", rule=OPEN_FRACTION)
    batch_size: int = option(32, "frames per training step (over all processes)", rule=AT_LEAST_1)
    optimizer: str = option("sgd", "sgd (the paper) or adam (converges in far fewer epochs)",
                            rule=one_of(OPTIMIZERS))
    lr: float = option(1e-4, "learning rate", rule=ABOVE_0)
    momentum: float = option(0.0, "SGD momentum", rule=FRACTION)
    weight_decay: float = option(0.0, "weight decay", rule=AT_LEAST_0)
    alpha: float = option(0.05, "weight of the pose cross-entropy in the joint stage", rule=AT_LEAST_0)
    landmark_weight: float = option(LANDMARK_WEIGHT, "weight of the landmark loss beside the AU loss, for a model "
                                    "with a landmark head (10: the two about equal early in training)",
                                    rule=AT_LEAST_0)
    augment: bool = option(False, "mirror and shift the training frames (poseau.train.augment)")
    degrade: bool = option(False, "vary the training frames' box scale and roll, blur, noise and JPEG as cameras "
                           "and detectors do (poseau.train.augment)")
    redraw: bool = option(False, "a fresh draw of the training frames every epoch (the paper: one draw)")
    ema: float = option(0.0, "decay of a moving average of the weights, updated every step, validated and kept "
                        "as each stage's model (0: none; 0.99 averages about the last 100 steps)", rule=FRACTION)
    schedule: str = option("constant", "learning rate over each stage's epochs: constant, or cosine down to 0",
                           rule=one_of(SCHEDULES))
    max_epochs: int = option(30, "epochs per stage", rule=AT_LEAST_1)
    patience: int = option(1, "epochs without a lower validation loss before a stage stops (the paper: 1)",
                           rule=AT_LEAST_1)
    seed: int = option(0, "sets the draws, the batches' order, augmentation and the initial head weights")

    def __post_init__(self) -> None:
        check_config(self, "train")

    def stages_for(self, kind: str) -> tuple[str, ...]:
        if not self.stages:
            return STAGES[kind]
        wrong = [s for s in self.stages if s not in STAGES[kind]]
        if wrong:
            raise PoseauError(f"stages {', '.join(wrong)} do not apply to a {kind} model "
                              f"(its stages: {', '.join(STAGES[kind])})")
        return tuple(s for s in STAGES[kind] if s in self.stages)


def check_config(config, what: str, checks: dict[str, bool] | None = None, hint: str = "") -> None:
    """One line naming every field that breaks its rule or a check of ``checks``, with their values and what
    is allowed."""
    by_rule = check_fields(config)
    bad = by_rule + [k for k, ok in (checks or {}).items() if not ok and k not in by_rule]
    if bad:
        allowed = "; ".join(filter(None, [rule_help(type(config), by_rule), hint if len(bad) > len(by_rule) else ""]))
        raise PoseauError(f"{what} config: invalid {', '.join(f'{k}={getattr(config, k)!r}' for k in bad)} "
                          f"({allowed})")


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
