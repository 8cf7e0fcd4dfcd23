"""Face detectors that work offline once installed. Boxes are (x, y, w, h) in pixels of the image given.

- "yunet": libfacedetection's YuNet CNN, through the `yuface` wheel (the model is compiled into it).
  Finds faces turned far aside and gives a confidence; measured against Haar in benchmarks/face_detect_speed.py.
- "haar": OpenCV's Haar cascades (inside opencv-python-headless 4.x). The frontal cascade misses faces
  turned far aside, so the profile cascade runs as well, on the image and its mirror (it knows one side).
  No confidence (NaN).
Both search a copy shrunk to ``max_side`` pixels and return faces largest first. YuNet at 256 finds every
face of the sample media that it finds at 320 (down to faces of about 25 pixels there) at 1.8x the speed.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import cv2
import numpy as np

from poseau.errors import PoseauError
from poseau.faces.boxes import Box

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Face:
    box: Box
    confidence: float  # 0-1, NaN where the detector has none


def _shrink(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    scale = min(1.0, max_side / max(image.shape[:2]))
    if scale < 1:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return image, scale


def _largest_first(faces: list[Face]) -> list[Face]:
    return sorted(faces, key=lambda f: f.box[2] * f.box[3], reverse=True)


class _Detector:
    def detect_all(self, image: np.ndarray) -> list[Face]:
        raise NotImplementedError

    def detect(self, image: np.ndarray) -> Box | None:
        """The largest face's box, or None."""
        faces = self.detect_all(image)
        return faces[0].box if faces else None


class YuNetDetector(_Detector):
    """Faces in an RGB or grey uint8 image, with the detector's confidence (faces below ``threshold`` dropped)."""

    name = "yunet"

    def __init__(self, max_side: int = 256, threshold: float = 0.5):
        try:
            import yuface
        except ImportError as exc:
            raise PoseauError(f"the yunet face detector needs the yuface package ({exc}); "
                              "pip install yuface, or use the haar detector") from None
        self._detect = yuface.detect
        self.max_side, self.threshold = max_side, threshold

    def detect_all(self, image: np.ndarray) -> list[Face]:
        small, scale = _shrink(image, self.max_side)
        bgr = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR if small.ndim == 2 else cv2.COLOR_RGB2BGR)
        confs, boxes, _ = self._detect(np.ascontiguousarray(bgr), self.threshold)
        return _largest_first([Face(tuple(int(round(int(v) / scale)) for v in box), int(c) / 100.0)
                               for c, box in zip(confs, boxes, strict=True)])


class HaarFaceDetector(_Detector):
    """Faces in an RGB or grey uint8 image, searched at a working resolution of ``max_side`` pixels."""

    name = "haar"

    def __init__(self, max_side: int = 320, min_size: float = 0.15):
        paths = [cv2.data.haarcascades + f"haarcascade_{name}.xml" for name in ("frontalface_default", "profileface")]
        self._cascades = [cv2.CascadeClassifier(p) for p in paths]
        if any(c.empty() for c in self._cascades):
            raise PoseauError(f"{cv2.data.haarcascades}: OpenCV's Haar cascades are missing (opencv 4.x has them)")
        self.max_side = max_side
        self.min_size = min_size

    def detect_all(self, image: np.ndarray) -> list[Face]:
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
        small, scale = _shrink(grey, self.max_side)
        side = int(self.min_size * min(small.shape))
        boxes = []
        for k, cascade in enumerate(self._cascades):
            for mirrored in (False, True) if k == 1 else (False,):
                image = small[:, ::-1] if mirrored else small
                found = cascade.detectMultiScale(image, scaleFactor=1.1, minNeighbors=4, minSize=(side, side))
                for x, y, w, h in np.reshape(found, (-1, 4)):
                    boxes.append((small.shape[1] - x - w if mirrored else x, y, w, h))
            if boxes:  # the frontal cascade's answer is preferred when it has one
                break
        return _largest_first([Face(tuple(int(round(v / scale)) for v in b), math.nan) for b in boxes])


DETECTORS = {"yunet": YuNetDetector, "haar": HaarFaceDetector}


def face_detector_name() -> str:
    """What "auto" stands for here: yunet where yuface imports, else haar."""
    try:
        import yuface  # noqa: F401
    except ImportError:
        return "haar"
    return "yunet"


def make_detector(name="auto"):
    """The named detector ("auto": yunet where yuface is installed, else haar, with a warning), or ``name``
    itself when it is already a detector (anything with ``detect_all(image) -> list[Face]``)."""
    if not isinstance(name, str):
        return name
    if name == "auto":
        if face_detector_name() == "haar":
            log.warning("yuface is not installed: faces are found by OpenCV's Haar cascades")
        return DETECTORS[face_detector_name()]()
    if name not in DETECTORS:
        raise PoseauError(f"unknown face detector {name!r} (known: auto, {', '.join(DETECTORS)})")
    return DETECTORS[name]()
