"""DISFA as distributed: one video per subject and camera, one label file per AU.

    <root>/ActionUnit_Labels/SN001/SN001_au1.txt     no header, rows 'frame,intensity' (frames from 1)
    <root>/**/LeftVideoSN001_comp.avi, RightVideoSN001_comp.avi

DISFA codes AU1, 2, 4, 5, 6, 9, 12, 15, 17, 20, 25, 26; of the FERA 2017 AUs, AU10 and AU14 are missing.
Label rows pair with decoded frames by position, so each video's frame count must equal the label rows.
No official split and no FERA view: partition "all", view 0; the camera ("left" / "right") is the task.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

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

LABEL_RE = re.compile(r"^(SN\d+)_au(\d+)\.txt$", re.IGNORECASE)
VIDEO_RE = re.compile(r"^(Left|Right)Video(SN\d+)(_comp)?\.(avi|mp4|mkv)$", re.IGNORECASE)


def read_disfa(root: str | Path, problems: Problems | None = None) -> pd.DataFrame:
    root = Path(root)
    problems = problems or Problems()
    label_dir = root / "ActionUnit_Labels"
    if not label_dir.is_dir():
        raise PoseauError(f"{label_dir}: no such folder (expected DISFA's ActionUnit_Labels/SNxxx/SNxxx_auN.txt)")
    labels: dict[str, dict[str, Path]] = {}
    found: dict[tuple, Path] = {}
    for path in sorted(label_dir.glob("*/*.txt")):
        if (m := LABEL_RE.match(path.name)) and (au := au_column(int(m[2]))):
            if check_duplicates(found, (m[1].upper(), au), path, problems):
                labels.setdefault(m[1].upper(), {})[au] = path
    videos: dict[tuple, Path] = {}
    for path in sorted(root.rglob("*Video*")):
        if m := VIDEO_RE.match(path.name):
            check_duplicates(videos, (m[2].upper(), m[1].lower()), path, problems)
    if not labels or not videos:
        raise PoseauError(f"{root}: no DISFA {'label files' if not labels else 'videos'} "
                          "(ActionUnit_Labels/SNxxx/SNxxx_auN.txt, LeftVideoSNxxx_comp.avi)")

    rows = empty_rows()
    for (subject, camera), video in sorted(videos.items()):
        files = labels.get(subject)
        if not files:
            problems.report(video, f"no label files for {subject} in {label_dir}")
            continue
        table = read_label_set(files, problems)
        if table is None:
            continue
        frames, values = table
        n = frame_count(video, problems, len(frames), f"{subject}'s label files")
        if n is None:
            continue
        add_sequence(rows, ("all", subject, camera, 0), frames, [str(video.relative_to(root))] * n,
                     np.arange(n), values)
    return make_index(rows)

