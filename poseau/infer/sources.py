"""Where frames come from: videos (upright, with their own timestamps), images and image sequences."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from poseau.data.images import images_in
from poseau.data.video import decode_from, frame_rate
from poseau.errors import PoseauError


@dataclass
class Frame:
    number: int         # 1-based, in decoding order
    timestamp: float    # seconds
    image: np.ndarray   # (H, W, 3) RGB uint8
    file: str = ""


def video_frames(path: str | os.PathLike, start: int = 0, stop: int | None = None) -> Iterator[Frame]:
    """Decoded frames, upright as a player shows them (a phone's display rotation applied), with their
    presentation times; a frame without one is placed 1 / frame rate after the previous. ``start``, ``stop``:
    only the frames at those 0-based positions (stop excluded), numbered and timed as in the whole video
    (decoded from the keyframe before ``start``, poseau.data.video.decode_from)."""
    rate = frame_rate(path)
    last = -1.0 / rate
    for i, frame in decode_from(path, start):
        if stop is not None and i >= stop:
            return
        if i < start:
            last = float(frame.time) if frame.time is not None else last + 1.0 / rate
            continue
        image = frame.to_ndarray(format="rgb24")
        if frame.rotation:  # degrees counterclockwise, as FFmpeg's display matrix says
            image = np.ascontiguousarray(np.rot90(image, round(frame.rotation / 90)))
        last = float(frame.time) if frame.time is not None else last + 1.0 / rate
        yield Frame(i + 1, last, image)


def existing_file(path: str | os.PathLike) -> Path:
    """``path``, which must be a file (a video or an image): else one error saying there is none."""
    path = Path(path)
    if not path.is_file():
        raise PoseauError(f"{path}: no such file")
    return path


def read_image(path: str | os.PathLike) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise PoseauError(f"{path}: cannot be read as an image (empty, damaged or not an image)")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def image_frames(files: list[Path], fps: float, unreadable: list[PoseauError] | None = None) -> Iterator[Frame]:
    """Frame i of a sequence of image files at ``fps``. With ``unreadable`` (a list), a file that cannot be
    read is left out (its number and time stay unused) and its error appended; without, it stops the sequence."""
    for i, path in enumerate(files):
        try:
            image = read_image(path)
        except PoseauError as exc:
            if unreadable is None:
                raise
            unreadable.append(exc)
            continue
        yield Frame(i + 1, i / fps, image, path.name)


def image_files(path: Path) -> list[Path]:
    return images_in(path) if path.is_dir() else [existing_file(path)]
