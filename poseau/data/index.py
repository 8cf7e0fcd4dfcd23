"""The frame index: one row per labelled frame, the common form every dataset reader produces.

Columns (in this order):
    partition  train / valid / test for FERA 2017, "all" where a dataset has no official split
    subject    subject ID as the dataset names it (key subjects by partition *and* subject)
    task       task or sequence name (T1..T8 in FERA 2017 and BP4D, the camera in DISFA)
    view       FERA 2017 view 1-9, 0 when unknown
    frame      frame number as the labels give it
    source     the video or image holding the pixels, relative to the dataset root
    position   0-based position of the frame among the video's decoded frames, -1 for an image file
    AU01..AU17 intensity 0-5, 9 = missing (not coded)
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from poseau.constants import AUS, INTENSITY_MAX, MISSING, VIEW_POSE_GROUP
from poseau.data.video import count_frames
from poseau.errors import PoseauError

log = logging.getLogger(__name__)

KEY_COLUMNS = ("partition", "subject", "task", "view")
INDEX_COLUMNS = (*KEY_COLUMNS, "frame", "source", "position", *AUS)
VALID_LABELS = frozenset([*range(INTENSITY_MAX + 1), MISSING])


@dataclass
class Problems:
    """Bad input found while reading: raised at once, or with ``skip_bad`` kept as (file, reason) and left out."""

    skip_bad: bool = False
    bad: list[tuple[str, str]] = field(default_factory=list)

    def report(self, path: str | os.PathLike, reason: str) -> None:
        if not self.skip_bad:
            raise PoseauError(f"{path}: {reason}")
        log.warning("skipped %s: %s", path, reason)
        self.bad.append((str(path), reason))


def au_column(number: int) -> str | None:
    """'AU01' for 1 when AU1 is one of the intensity AUs, else None."""
    name = f"AU{number:02d}"
    return name if name in AUS else None


def read_label_file(path: Path, problems: Problems) -> tuple[np.ndarray, np.ndarray] | None:
    """(frame numbers, intensities) of a headerless ``frame,intensity`` file; None when it is bad."""
    if path.is_file() and path.stat().st_size == 0:
        problems.report(path, "the label file is empty")
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numpy warns of a file without data rows; the report says it
            table = np.loadtxt(path, delimiter=",", ndmin=2)
    except (ValueError, OSError) as exc:
        problems.report(path, f"not a 'frame,intensity' table ({str(exc).splitlines()[0]})")
        return None
    if table.shape[1] != 2 or len(table) == 0:
        problems.report(path, f"expected 2 columns 'frame,intensity', found {table.shape[1]} columns "
                              f"and {len(table)} rows")
        return None
    frames, values = table[:, 0], table[:, 1]
    if np.any(frames != np.round(frames)) or np.any(values != np.round(values)):
        problems.report(path, "frame numbers and intensities must be whole numbers")
        return None
    values = values.astype(np.int64)
    bad = ~np.isin(values, list(VALID_LABELS))
    if bad.any():
        row = int(np.argmax(bad))
        problems.report(path, f"row {row + 1}: intensity {values[row]} is outside 0-5 and {MISSING} (missing)")
        return None
    if len(np.unique(frames)) != len(frames):
        problems.report(path, "a frame number appears twice")
        return None
    return frames.astype(np.int64), values


def read_label_set(files: dict[str, Path], problems: Problems) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
    """(frame numbers, {AU: intensities}) of one sequence's per-AU label files, which must list the same
    frames; None when a file is bad."""
    frames, values = None, {}
    for au, path in sorted(files.items()):
        table = read_label_file(path, problems)
        if table is None:
            return None
        if frames is None:
            frames, first = table[0], path
        elif len(table[0]) != len(frames) or np.any(table[0] != frames):
            problems.report(path, f"its frame numbers differ from those of {first.name}")
            return None
        values[au] = table[1]
    return frames, values


def frame_count(video: Path, problems: Problems, label_rows: int | None = None, labels: str = "") -> int | None:
    """The video's frame count from its container; None (and a report) when it cannot be opened or, given
    ``label_rows``, when the count differs from the rows of ``labels``."""
    try:
        n = count_frames(video)
    except PoseauError as exc:
        problems.report(video, str(exc).removeprefix(f"{video}: "))
        return None
    if label_rows is not None and n != label_rows:
        problems.report(video, f"{n} frames but {label_rows} label rows in {labels}")
        return None
    return n


def make_index(rows: dict[str, list | np.ndarray]) -> pd.DataFrame:
    """A frame index from column lists, with the dtypes and the row order (by sequence, then frame) fixed."""
    df = pd.DataFrame({c: rows[c] for c in INDEX_COLUMNS})
    df = df.astype({"partition": str, "subject": str, "task": str, "view": np.int64, "frame": np.int64,
                    "source": str, "position": np.int64, **{au: np.int64 for au in AUS}})
    df = df.sort_values([*KEY_COLUMNS, "frame"], kind="stable").reset_index(drop=True)
    return df


def empty_rows() -> dict[str, list]:
    return {c: [] for c in INDEX_COLUMNS}


def add_sequence(rows: dict[str, list], key: tuple[str, str, str, int], frames: np.ndarray, sources: list[str],
                 positions: np.ndarray, labels: dict[str, np.ndarray]) -> None:
    """Append one sequence's frames; AUs absent from ``labels`` are filled with MISSING."""
    n = len(frames)
    for col, value in zip(KEY_COLUMNS, key, strict=True):
        rows[col].extend([value] * n)
    rows["frame"].extend(np.asarray(frames).tolist())
    rows["source"].extend(sources)
    rows["position"].extend(np.asarray(positions).tolist())
    for au in AUS:
        rows[au].extend(np.asarray(labels.get(au, np.full(n, MISSING))).tolist())


def check_duplicates(found: dict, key, path: Path, problems: Problems) -> bool:
    """Record ``path`` under ``key``; False (and a report) when another file already has that key."""
    if key in found:
        parts = key if isinstance(key, tuple) else (key,)
        problems.report(path, f"duplicate of {found[key]} (same {'/'.join(map(str, parts))})")
        return False
    found[key] = path
    return True


def filter_index(index: pd.DataFrame, views=None, partitions=None, every: int = 1) -> pd.DataFrame:
    """Keep some views, some partitions, and every k-th frame of each sequence (by position in it)."""
    keep = np.ones(len(index), bool)
    if views:
        keep &= index["view"].isin(list(views)).to_numpy()
    if partitions:
        keep &= index["partition"].isin(list(partitions)).to_numpy()
    if every > 1:
        rank = index.groupby(list(KEY_COLUMNS), sort=False).cumcount().to_numpy()
        keep &= rank % every == 0
    return index[keep].reset_index(drop=True)


def labels_of(index: pd.DataFrame) -> np.ndarray:
    """(N, 7) int array of intensities, MISSING where not coded."""
    return index[list(AUS)].to_numpy(np.int64)


def pose_groups(views: np.ndarray) -> np.ndarray:
    """Pose group (0 up, 1 level, 2 down) per view; -1 for an unknown view (0)."""
    lut = np.full(max(VIEW_POSE_GROUP) + 1, -1, np.int64)
    for v, g in VIEW_POSE_GROUP.items():
        lut[v] = g
    return lut[np.asarray(views)]


def summary(index: pd.DataFrame) -> str:
    seqs = index.groupby(list(KEY_COLUMNS), sort=False).ngroups
    missing = int((labels_of(index) == MISSING).sum())
    subjects = index.groupby(["partition", "subject"]).ngroups
    return (f"{len(index)} frames in {seqs} sequences of {subjects} subjects, "
            f"{missing} missing AU labels")
