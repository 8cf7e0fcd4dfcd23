"""Frozen configuration dataclasses, one per concern, saved as YAML beside every result."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

import yaml

from poseau.constants import VIEWS
from poseau.errors import PoseauError
from poseau.fileio import write_text_atomic


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
    crf: int = 18                  # H.264 quality (0 = lossless luma, 51 = worst)

    def __post_init__(self) -> None:
        checks = {
            "train_subjects": self.train_subjects >= 0, "valid_subjects": self.valid_subjects >= 0,
            "test_subjects": self.test_subjects >= 0, "tasks": 1 <= self.tasks <= 8,
            "frames": self.frames >= 1, "size": self.size >= 16 and self.size % 2 == 0,
            "views": len(self.views) > 0 and set(self.views) <= set(VIEWS),
            "missing_rate": 0.0 <= self.missing_rate < 1.0, "supersample": self.supersample >= 1,
            "identity_modes": self.identity_modes >= 0, "jitter_deg": self.jitter_deg >= 0,
        }
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise PoseauError(f"synth config: invalid {', '.join(f'{k}={getattr(self, k)!r}' for k in bad)} "
                              "(tasks 1-8, size even and >= 16, views among 1-9)")


DATASETS = ("fera2017", "bp4d", "disfa", "manifest")


@dataclass(frozen=True)
class PrepareConfig:
    """What `poseau prepare` reads and how it preprocesses it; a store is defined by this and its index."""

    dataset: str = "fera2017"
    root: str = "."
    size: int = 224                      # output side in pixels (the paper: 224)
    face_crop: bool = False              # crop around a detected face first (for faces not centred)
    crop_scale: float = 1.4              # crop side / detected face side
    views: tuple[int, ...] = ()          # keep only these views (empty: all)
    partitions: tuple[str, ...] = ()     # keep only these partitions (empty: all)
    every: int = 1                       # keep every k-th frame of each sequence
    skip_bad: bool = False               # leave bad files out (listed in the store) instead of stopping

    def __post_init__(self) -> None:
        checks = {
            "dataset": self.dataset in DATASETS, "size": self.size >= 8, "every": self.every >= 1,
            "crop_scale": self.crop_scale > 0, "views": set(self.views) <= set(VIEWS),
        }
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise PoseauError(f"prepare config: invalid {', '.join(f'{k}={getattr(self, k)!r}' for k in bad)} "
                              f"(dataset one of {', '.join(DATASETS)}, size >= 8, every >= 1, views among 1-9)")


def to_dict(config) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(config).items()}


def save_config(config, path: str | os.PathLike) -> None:
    write_text_atomic(path, yaml.safe_dump({"kind": type(config).__name__, **to_dict(config)}, sort_keys=False))


def load_config(cls, path: str | os.PathLike):
    data = yaml.safe_load(open(path))
    data.pop("kind", None)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise PoseauError(f"{path}: unknown {cls.__name__} keys {', '.join(unknown)}")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
