"""File names and label files of the FERA 2017 layout (ARCHITECTURE.md), as the generator writes them.

  <videos>/<prefix>_<SUBJ>_<TASK>_<VIEW>.mp4         one video per subject, task and view
  <int>/<prefix>_<SUBJ>_<TASK>_<AU>_Int.csv          no header; rows `frame,intensity` (0-5, 9 missing)
  <occ>/<prefix>_<SUBJ>_<TASK>.csv                   header `Frame,1,4,...`; rows `frame,0/1/9,...`
  <Part>_Truth/<prefix>_<SUBJ>_<TASK>.csv            generator only: continuous truth, head jitter
  <videos>/<prefix>_<SUBJ>_<TASK>_<VIEW>.landmarks.npy  generator only: (frames, 68, 2) float32, where the face
                                                     model's 68 landmarks fall in each frame, in pixels
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from poseau.constants import AUS, FERA_PARTITIONS, MISSING, OCCURRENCE_AUS
from poseau.fileio import write_text_atomic


def subject_ids(n: int) -> list[str]:
    """BP4D-style IDs, women and men alternating: F001, M001, F002, ..."""
    return [f"{'FM'[i % 2]}{i // 2 + 1:03d}" for i in range(n)]


def video_path(root: Path, partition: str, subject: str, task: str, view: int) -> Path:
    p = FERA_PARTITIONS[partition]
    return root / p["videos"] / f"{p['prefix']}_{subject}_{task}_{view}.mp4"


def intensity_path(root: Path, partition: str, subject: str, task: str, au: str) -> Path:
    p = FERA_PARTITIONS[partition]
    return root / p["int"] / f"{p['prefix']}_{subject}_{task}_{au}_Int.csv"


def occurrence_path(root: Path, partition: str, subject: str, task: str) -> Path:
    p = FERA_PARTITIONS[partition]
    return root / p["occ"] / f"{p['prefix']}_{subject}_{task}.csv"


def truth_path(root: Path, partition: str, subject: str, task: str) -> Path:
    p = FERA_PARTITIONS[partition]
    return root / p["int"].replace("_Int", "_Truth") / f"{p['prefix']}_{subject}_{task}.csv"


def write_labels(root: Path, partition: str, subject: str, task: str, labels: np.ndarray) -> None:
    """Intensity files (one per AU) and the occurrence file for labels (T, 7), frames numbered from 1."""
    frames = np.arange(1, len(labels) + 1)
    for k, au in enumerate(AUS):
        rows = "".join(f"{f},{v}\n" for f, v in zip(frames, labels[:, k], strict=True))
        write_text_atomic(intensity_path(root, partition, subject, task, au), rows)
    occ = np.full((len(labels), len(OCCURRENCE_AUS)), MISSING, np.int16)  # AUs not rendered stay 9
    for k, au in enumerate(AUS):
        col = OCCURRENCE_AUS.index(int(au[2:]))
        occ[:, col] = np.where(labels[:, k] == MISSING, MISSING, labels[:, k] >= 1)
    header = "Frame," + ",".join(str(a) for a in OCCURRENCE_AUS) + "\n"
    body = "".join(f"{f}," + ",".join(map(str, row)) + "\n" for f, row in zip(frames, occ, strict=True))
    write_text_atomic(occurrence_path(root, partition, subject, task), header + body)


def write_truth(path: Path, columns: dict[str, np.ndarray]) -> None:
    names = list(columns)
    n = len(next(iter(columns.values())))
    lines = ["frame," + ",".join(names)]
    data = np.stack([np.asarray(columns[k], np.float64) for k in names], 1)
    lines += [f"{i + 1}," + ",".join(f"{x:.4f}" for x in row) for i, row in enumerate(data)]
    assert len(lines) == n + 1
    write_text_atomic(path, "\n".join(lines) + "\n")
