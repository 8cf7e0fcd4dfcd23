"""A CSV manifest for anyone's own data: one row per labelled frame.

Columns (header names, case-insensitive):
    image                  an image file, or
    video, frame           a video and the frame's number among its decoded frames, counting from 1
    subject                required
    partition, task, view  optional: "all", the video's name (or "images"), 0 (unknown; 1-9 for FERA views)
    AU01 ... AU17          any of the 7 AUs (AU1, AU01 and AU01_r are all read as AU01): 0-5, 9 or empty
                           for missing; AUs without a column are missing
Paths are relative to the manifest's folder unless absolute; an image row's frame number, used to order
a sequence, is its 'frame' value when given, else its line number.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd

from poseau.constants import AUS, MISSING, VIEWS
from poseau.data.index import VALID_LABELS, Problems, au_column, make_index
from poseau.data.video import count_frames
from poseau.errors import PoseauError

log = logging.getLogger(__name__)
AU_RE = re.compile(r"^au0*(\d+)(_r)?$", re.IGNORECASE)


def read_manifest(path: str | Path, problems: Problems | None = None) -> pd.DataFrame:
    path = Path(path)
    problems = problems or Problems()
    if path.is_dir():
        path = path / "manifest.csv"
    if not path.is_file():
        raise PoseauError(f"{path}: no such manifest file")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise PoseauError(f"{path}: not a CSV table ({str(exc).splitlines()[0]})") from None
    table.columns = [c.strip() for c in table.columns]
    lower = {c.lower(): c for c in table.columns}
    has_image, has_video = "image" in lower, "video" in lower and "frame" in lower
    if "subject" not in lower or not (has_image or has_video):
        raise PoseauError(f"{path}: needs a 'subject' column and 'image' or 'video' + 'frame' columns, "
                          f"found {', '.join(table.columns)}")
    au_cols, other_aus = {}, []
    for c in table.columns:
        if (m := AU_RE.match(c)) and (au := au_column(int(m[1]))):
            au_cols[au] = c
        elif m:
            other_aus.append(c)
    if other_aus and not au_cols:
        raise PoseauError(f"{path}: no column of the 7 AUs poseau models ({', '.join(AUS)}); found only "
                          f"{', '.join(other_aus)}")
    if other_aus:
        log.warning("%s: columns %s are not among the 7 AUs poseau models and are left out", path,
                    ", ".join(other_aus))

    base = path.parent
    out = {"partition": [], "subject": [], "task": [], "view": [], "frame": [], "source": [], "position": [],
           **{au: [] for au in AUS}}
    seen: dict[tuple, int] = {}
    frame_counts: dict[str, int] = {}
    for i, row in enumerate(table.to_dict("records"), start=2):  # line 1 is the header
        where = f"{path} line {i}"
        parsed = _parse_row(row, lower, au_cols, base, frame_counts, i, where, problems)
        if parsed is None:
            continue
        source, position, frame, key, labels = parsed
        if (source, position) in seen:
            problems.report(where, f"{source} frame {frame} already appears on line {seen[(source, position)]}")
            continue
        seen[(source, position)] = i
        for col, value in zip(("partition", "subject", "task", "view"), key, strict=True):
            out[col].append(value)
        out["frame"].append(frame)
        out["source"].append(source)
        out["position"].append(position)
        for au in AUS:
            out[au].append(labels.get(au, MISSING))
    if not out["source"]:
        raise PoseauError(f"{path}: no usable rows")
    return make_index(out)


def _parse_row(row, lower, au_cols, base: Path, frame_counts: dict[str, int], line: int, where: str,
               problems: Problems):
    """(source, position, frame, sequence key, labels) of one manifest row, None when it is bad."""
    def get(name: str, default: str = "") -> str:
        return row[lower[name]].strip() if name in lower and row[lower[name]].strip() else default

    subject = get("subject")
    if not subject:
        return problems.report(where, "empty subject")
    try:
        view = int(get("view", "0"))
        values = {au: float(row[c]) if row[c].strip() else float(MISSING) for au, c in au_cols.items()}
    except ValueError:
        return problems.report(where, "view and AU values must be numbers")
    fractional = [au for au, v in values.items() if v != round(v)]
    if fractional:
        au = fractional[0]
        return problems.report(where, f"{au} = {row[au_cols[au]].strip()} is not a whole intensity (0-5, or "
                                      f"{MISSING} or empty for missing)")
    labels = {au: int(v) for au, v in values.items()}
    if view not in (0, *VIEWS):
        return problems.report(where, f"view {view} is not 1-9 (or 0 for unknown)")
    bad = [au for au, v in labels.items() if v not in VALID_LABELS]
    if bad:
        return problems.report(where, f"{bad[0]} = {labels[bad[0]]} is outside 0-5 and {MISSING} (missing)")
    if get("image"):
        file = base / get("image")
        if not file.is_file():
            return problems.report(where, f"image {file} does not exist")
        try:
            frame = int(get("frame", str(line - 1)))
        except ValueError:
            return problems.report(where, f"frame {get('frame')!r} is not a number")
        source, position, task = get("image"), -1, get("task", "images")
    else:
        file = base / get("video")
        try:
            frame = int(get("frame"))
            n = frame_counts.get(str(file)) or frame_counts.setdefault(str(file), count_frames(file))
        except ValueError:
            return problems.report(where, f"frame {get('frame')!r} is not a number")
        except PoseauError as exc:
            return problems.report(where, str(exc))
        if not 1 <= frame <= n:
            return problems.report(where, f"frame {frame} is outside 1-{n} of {file}")
        source, position, task = get("video"), frame - 1, get("task", file.stem)
    key = (get("partition", "all"), subject, task, view)
    return source, position, frame, key, labels
