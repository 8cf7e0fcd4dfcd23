"""A video to look at: every frame of the input with what `predict` measured drawn on it.

Each face's box, and a panel per face of the seven AU intensities as labelled bars on 0-5 (its value beside
it), the pose group the model ranked first where it has a pose estimator, and the frame's time; a frame
without a face says so. Drawn with OpenCV on the decoded frames, written as H.264 through PyAV at the input's
frame rate, one output frame per input frame.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np

from poseau.constants import POSE_COLUMNS, POSE_GROUPS, intensity_column
from poseau.data.video import VideoWriter, frame_rate
from poseau.fileio import atomic_path
from poseau.infer.predict import BOX_COLUMNS
from poseau.infer.sources import video_frames
from poseau.scales import intensity_to_unit, unit_to_pixels


def colour(red: float, green: float, blue: float) -> tuple[int, int, int]:
    """An RGB colour given on 0-1, in pixel values."""
    return tuple(int(v) for v in unit_to_pixels(np.array([red, green, blue])))


BAR = colour(1.0, 0.55, 0.0)    # the bars: one colour that stays apart from skin after compression
BOX = colour(0.0, 0.86, 0.35)
NO_FACE = colour(1.0, 0.16, 0.16)
TEXT = colour(1.0, 1.0, 1.0)
PANEL_ALPHA = 0.55      # how dark the panel behind the bars is
FONT = cv2.FONT_HERSHEY_SIMPLEX


def layout(height: int) -> dict[str, int]:
    """The panel's measures in pixels for a frame ``height`` high: a row per AU, its bar's start and full length
    (intensity 5). One place, so that a reader of the overlay can measure the bars back."""
    row = max(12, round(height / 26))
    return {"row": row, "left": row // 2, "top": row // 2, "label": row * 3, "bar": row * 6,
            "value": round(row * 2.2)}


def draw_frame(image: np.ndarray, faces: Sequence[dict], aus: Sequence[str], timestamp: float | None = None) -> \
        np.ndarray:
    """A copy of an (H, W, 3) RGB uint8 frame with its rows of the predict table drawn on it (``faces``: one
    dict per face, as the table's rows; a row with success 0, or none, says that no face was found)."""
    out = np.ascontiguousarray(image).copy()
    size = layout(out.shape[0])
    scale, thick = size["row"] / 30, max(1, size["row"] // 12)
    found = [f for f in faces if f.get("success", 0) == 1]
    panel_width = size["label"] + size["bar"] + size["value"] + size["left"]
    for k, face in enumerate(found):
        x, y, w, h = (int(face[c]) for c in BOX_COLUMNS)
        cv2.rectangle(out, (x, y), (x + w, y + h), BOX, thick + 1)
        if len(found) > 1:
            cv2.putText(out, str(int(face.get("face_id", k))), (x + 3, y + size["row"]), FONT, scale, BOX, thick)
        _panel(out, face, aus, k * (panel_width + size["left"]), size, scale, thick)
    if not found:
        cv2.putText(out, "no face", (size["left"], size["top"] + size["row"]), FONT, scale * 1.3, NO_FACE,
                    thick + 1)
    if timestamp is not None and np.isfinite(timestamp):
        cv2.putText(out, f"{timestamp:.2f} s", (size["left"], out.shape[0] - size["row"] // 2), FONT, scale,
                    TEXT, thick)
    return out


def _panel(out: np.ndarray, face: dict, aus: Sequence[str], left: int, size: dict, scale: float, thick: int) -> None:
    row, top = size["row"], size["top"]
    pose = [face.get(c) for c in POSE_COLUMNS]
    has_pose = all(p is not None and np.isfinite(p) for p in pose)
    x0, x1 = left + size["left"], left + size["left"] + size["label"] + size["bar"] + size["value"]
    y1 = top + row * (len(aus) + (1 if has_pose else 0)) + row // 3
    shade = out[top:y1, x0:x1]
    shade[:] = (shade * (1 - PANEL_ALPHA)).astype(np.uint8)
    for i, au in enumerate(aus):
        value = float(face.get(intensity_column(au), np.nan))
        y = top + i * row
        cv2.putText(out, au, (x0 + 2, y + row - row // 4), FONT, scale, TEXT, thick)
        start = x0 + size["label"]
        if np.isfinite(value):
            length = round(size["bar"] * float(np.clip(intensity_to_unit(value), 0, 1)))  # pixels
            if length:
                cv2.rectangle(out, (start, y + row // 5), (start + length - 1, y + row - row // 5), BAR, -1)
            cv2.putText(out, f"{value:.1f}", (start + size["bar"] + 3, y + row - row // 4), FONT, scale,
                        TEXT, thick)
    if has_pose:
        group = int(np.argmax(pose))
        cv2.putText(out, f"pose {POSE_GROUPS[group]} {pose[group]:.2f}",
                    (x0 + 2, top + len(aus) * row + row - row // 4), FONT, scale, TEXT, thick)


def overlay_frames(frames: Iterable, table, aus: Sequence[str]) -> Iterator[np.ndarray]:
    """Each of ``frames`` (poseau.infer.sources.Frame: number, timestamp, image) drawn with its rows of
    ``table``."""
    rows = defaultdict(list)
    for row in table.to_dict("records"):
        rows[int(row["frame"])].append(row)
    for frame in frames:
        yield draw_frame(frame.image, rows.get(frame.number, []), aus, frame.timestamp)


def write_overlay(video: str | os.PathLike, table, out: str | os.PathLike, aus: Sequence[str]) -> Path:
    """``out``: the video with its predict ``table`` drawn on every frame (same frames, same rate), written whole
    or not at all. Odd frame sides lose their last row or column (H.264 needs even ones)."""
    with atomic_path(out) as tmp:
        writer = None
        try:
            for image in overlay_frames(video_frames(video), table, aus):
                if writer is None:
                    height, width = (image.shape[0] // 2) * 2, (image.shape[1] // 2) * 2
                    writer = VideoWriter(tmp, (width, height), frame_rate(video), crf=23)
                writer.write(image[:height, :width])
        finally:
            if writer is not None:
                writer.close()
    return Path(out)
