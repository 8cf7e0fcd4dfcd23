"""Face boxes (x, y, w, h) in pixels of the image they were found in: squaring, cropping, overlap."""

from __future__ import annotations

import numpy as np

Box = tuple[int, int, int, int]


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


def within(points: np.ndarray, box: Box) -> np.ndarray:
    """Points (..., 2) in the image's pixels as fractions of ``box`` (0-1 inside it, from its top left)."""
    x, y, w, h = box
    return ((np.asarray(points, np.float32) - np.array([x, y], np.float32)) / np.array([w, h], np.float32))


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes."""
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter) if inter else 0.0
