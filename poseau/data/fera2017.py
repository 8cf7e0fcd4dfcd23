"""FERA 2017 as distributed: multi-view videos and per-AU intensity files, found by their names.

    <root>/**/FERA17_<PP>_<SUBJ>_<TASK>_<VIEW>.mp4      PP = TR (train), VA (valid), TE (test), ...
    <root>/**/FERA17_<PP>_<SUBJ>_<TASK>_AU<N>_Int.csv   no header, rows 'frame,intensity', 9 = missing

Files are found by pattern anywhere under the root (the test partition's folder names are not public).
The 9 views of a subject/task share one set of label files; label rows pair with the decoded frames by
position, so each video's frame count must equal the label rows (checked here against the container's
count, and again on decoding in `prepare`). Subjects are keyed by partition and ID, because training and
validation reuse IDs for different people. Tasks are whatever exists on disk.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from poseau.constants import FERA_PARTITIONS, VIEWS
from poseau.data.index import (
    Problems,
    add_sequence,
    au_column,
    check_duplicates,
    empty_rows,
    frame_count,
    make_index,
    read_label_set,
)
from poseau.errors import PoseauError

log = logging.getLogger(__name__)

VIDEO_RE = re.compile(r"^FERA17_([A-Z]{2})_([A-Za-z0-9]+)_(T\d+)_(\d)\.mp4$")
LABEL_RE = re.compile(r"^FERA17_([A-Z]{2})_([A-Za-z0-9]+)_(T\d+)_AU(\d+)_Int\.csv$")
PARTITION_OF_CODE = {v["prefix"].split("_")[1]: k for k, v in FERA_PARTITIONS.items()}


def landmarks_path(video: Path) -> Path:
    """Where `poseau synth` writes a video's landmarks: (frames, 68, 2) float32, the face model's 68 landmarks
    in each frame's pixels (real FERA 2017 has none)."""
    return video.with_suffix(".landmarks.npy")


def _partition(code: str) -> str:
    return PARTITION_OF_CODE.get(code, code.lower())


def read_fera2017(root: str | Path, problems: Problems | None = None) -> pd.DataFrame:
    """The frame index of a FERA 2017 tree; a sequence without any label file is a problem (reported, or left
    out with --skip-bad)."""
    root = Path(root)
    problems = problems or Problems()
    if not root.is_dir():
        raise PoseauError(f"{root}: no such folder (expected the FERA 2017 root)")
    videos: dict[tuple, Path] = {}
    labels: dict[tuple, Path] = {}
    for path in sorted(root.rglob("FERA17_*")):
        if m := VIDEO_RE.match(path.name):
            view = int(m[4])
            if view not in VIEWS:
                problems.report(path, f"view {view} is not a FERA 2017 view (1-9)")
                continue
            check_duplicates(videos, (_partition(m[1]), m[2], m[3], view), path, problems)
        elif (m := LABEL_RE.match(path.name)) and (au := au_column(int(m[4]))):
            check_duplicates(labels, (_partition(m[1]), m[2], m[3], au), path, problems)
    if not videos:
        raise PoseauError(f"{root}: no FERA 2017 videos (FERA17_<TR|VA|TE>_<subject>_<task>_<view>.mp4) in it")

    rows = empty_rows()
    sequences = sorted({k[:3] for k in videos})
    for seq in sequences:
        label_files = {k[3]: p for k, p in labels.items() if k[:3] == seq}
        if not label_files:
            first = next(videos[(*seq, v)] for v in VIEWS if (*seq, v) in videos)
            problems.report(first, f"no label files for {'_'.join(seq)} (FERA17_..._AUxx_Int.csv); a sequence "
                                   "without labels can neither train nor score a model")
            continue
        table = read_label_set(label_files, problems)
        if table is None:
            continue
        frames, values = table
        for view in VIEWS:
            video = videos.get((*seq, view))
            if video is None:
                continue
            n = frame_count(video, problems, len(frames), next(iter(label_files.values())).name)
            if n is None:
                continue
            add_sequence(rows, (*seq, view), frames, [str(video.relative_to(root))] * n, np.arange(n), values)
    orphans = sorted({k[:3] for k in labels} - set(sequences))
    if orphans:
        log.warning("%d labelled sequences have no video, e.g. %s", len(orphans), "_".join(orphans[0]))
    return make_index(rows)

