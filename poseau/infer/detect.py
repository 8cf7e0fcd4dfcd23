"""Face detection with OpenCV's Haar cascades (shipped inside opencv-python-headless 4.x, no download).

The frontal cascade misses faces turned far aside, so the profile cascade runs as well, on the image and
on its mirror (it only knows faces turned one way). Boxes are (x, y, w, h) in pixels.
"""

from __future__ import annotations

import cv2
import numpy as np

from poseau.errors import PoseauError

Box = tuple[int, int, int, int]


class HaarFaceDetector:
    """Largest face in a greyscale image, searched at a working resolution of ``max_side`` pixels."""

    def __init__(self, max_side: int = 320, min_size: float = 0.15):
        paths = [cv2.data.haarcascades + f"haarcascade_{name}.xml" for name in ("frontalface_default", "profileface")]
        self._cascades = [cv2.CascadeClassifier(p) for p in paths]
        if any(c.empty() for c in self._cascades):
            raise PoseauError(f"{cv2.data.haarcascades}: OpenCV's Haar cascades are missing (opencv 4.x has them)")
        self.max_side = max_side
        self.min_size = min_size

    def detect(self, grey: np.ndarray) -> Box | None:
        scale = min(1.0, self.max_side / max(grey.shape))
        small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else grey
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
        if not boxes:
            return None
        x, y, w, h = max(boxes, key=lambda b: b[2] * b[3])
        return tuple(int(round(v / scale)) for v in (x, y, w, h))


def square_box(box: Box, scale: float) -> Box:
    """A square of side ``scale`` x the box's larger side, centred on the box."""
    x, y, w, h = box
    side = int(round(max(w, h) * scale))
    cx, cy = x + w / 2, y + h / 2
    return int(round(cx - side / 2)), int(round(cy - side / 2)), side, side


def crop(image: np.ndarray, box: Box) -> np.ndarray:
    """The box's pixels; parts outside the image are filled by repeating the edge."""
    x, y, w, h = box
    H, W = image.shape[:2]
    pads = (max(0, -y), max(0, y + h - H)), (max(0, -x), max(0, x + w - W))
    if any(p for pair in pads for p in pair):
        image = np.pad(image, pads + ((0, 0),) * (image.ndim - 2), mode="edge")
        x, y = x + pads[1][0], y + pads[0][0]
    return image[y:y + h, x:x + w]
