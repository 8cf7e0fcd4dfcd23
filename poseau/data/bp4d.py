"""BP4D-Spontaneous as distributed: frame images per subject and task, one intensity file per AU.

    <root>/AU_INT/AU06/F001_T1_AU06.csv     no header, rows 'frame,intensity', 9 = missing
    <root>/**/F001/T1/<frame>.jpg           the frame number is the image's name (any zero padding)

Only coded frames (those with a row in some AU file) enter the index; AUs without a file (BP4D codes
intensity for AU06, 10, 12, 14 and 17) are missing. A labelled frame without its image is bad input.
BP4D has no official split and one frontal camera: partition "all", view 0 (unknown).
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

from poseau.constants import IMAGE_SUFFIXES, MISSING
from poseau.data.index import (
    Problems,
    add_sequence,
    au_column,
    check_duplicates,
    empty_rows,
    make_index,
    read_label_file,
)
from poseau.errors import PoseauError

LABEL_RE = re.compile(r"^([A-Za-z0-9]+)_(T\d+)_AU(\d+)\.csv$")
SUBJECT_RE = re.compile(r"^[FM]\d{3}$")
TASK_RE = re.compile(r"^T\d+$")


def read_bp4d(root: str | Path, problems: Problems | None = None) -> pd.DataFrame:
    root = Path(root)
    problems = problems or Problems()
    int_dir = root / "AU_INT"
    if not int_dir.is_dir():
        raise PoseauError(f"{int_dir}: no such folder (expected BP4D's AU_INT/AUxx/<subject>_<task>_AUxx.csv)")
    labels: dict[tuple, Path] = {}
    for path in sorted(int_dir.glob("AU*/*.csv")):
        if (m := LABEL_RE.match(path.name)) and (au := au_column(int(m[3]))):
            check_duplicates(labels, (m[1], m[2], au), path, problems)
    if not labels:
        raise PoseauError(f"{int_dir}: no intensity files (<subject>_<task>_AUxx.csv) for AU01-AU17")
    folders = _image_folders(root, problems)

    rows = empty_rows()
    by_sequence = defaultdict(dict)
    for (subject, task, au), path in labels.items():
        by_sequence[(subject, task)][au] = path
    for (subject, task), files in sorted(by_sequence.items()):
        folder = folders.get((subject, task))
        if folder is None:
            problems.report(next(iter(files.values())), f"no image folder {subject}/{task} under {root}")
            continue
        coded = _merge_labels(files, problems)
        if coded is None:
            continue
        images = _images_by_frame(folder, problems)
        if images is None:
            continue
        frames = np.array(sorted(coded))
        absent = [f for f in frames if f not in images]
        if absent:
            problems.report(folder, f"{len(absent)} labelled frames have no image, e.g. frame {absent[0]}")
            continue
        values = {au: np.array([coded[f].get(au, MISSING) for f in frames]) for au in files}
        sources = [str(images[f].relative_to(root)) for f in frames]
        add_sequence(rows, ("all", subject, task, 0), frames, sources, np.full(len(frames), -1), values)
    return make_index(rows)


def _image_folders(root: Path, problems: Problems) -> dict[tuple[str, str], Path]:
    found: dict[tuple[str, str], Path] = {}
    for folder in sorted(p for p in root.rglob("T*") if p.is_dir() and TASK_RE.match(p.name)):
        if SUBJECT_RE.match(folder.parent.name) and any(f.suffix.lower() in IMAGE_SUFFIXES for f in folder.iterdir()):
            check_duplicates(found, (folder.parent.name, folder.name), folder, problems)
    return found


def _merge_labels(files: dict[str, Path], problems: Problems) -> dict[int, dict[str, int]] | None:
    coded: dict[int, dict[str, int]] = defaultdict(dict)
    for au, path in sorted(files.items()):
        table = read_label_file(path, problems)
        if table is None:
            return None
        for f, v in zip(*table, strict=True):
            coded[int(f)][au] = int(v)
    return coded


def _images_by_frame(folder: Path, problems: Problems) -> dict[int, Path] | None:
    images: dict[int, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in IMAGE_SUFFIXES and path.stem.isdigit():
            if not check_duplicates(images, int(path.stem), path, problems):
                return None
    return images
