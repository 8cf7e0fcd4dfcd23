"""The paper's preprocessing: greyscale, histogram equalisation, resize to a square; no alignment.

An optional face crop (for data whose faces are not centred) cuts a square around the detected face
before equalising, so the histogram is the face's own. In a sequence, a frame where no face is found
keeps the previous frame's box; before any detection, the whole image is used.
"""

from __future__ import annotations

import cv2
import numpy as np

from poseau.infer.detect import Box, crop, make_detector, square_box


def to_grey(image: np.ndarray) -> np.ndarray:
    """uint8 greyscale of an (H, W, 3) RGB image (ITU-R BT.601 luma, as OpenCV), or the image if already grey."""
    if image.ndim == 2:
        return image
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def equalize_resize(grey: np.ndarray, size: int) -> np.ndarray:
    """Histogram-equalise, then resize to (size, size): area averaging to shrink, bilinear to enlarge."""
    eq = cv2.equalizeHist(np.ascontiguousarray(grey))
    if eq.shape == (size, size):
        return eq
    shrink = size < min(eq.shape)
    return cv2.resize(eq, (size, size), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def preprocess(image: np.ndarray, size: int = 224, box: Box | None = None) -> np.ndarray:
    """(size, size) uint8 model input from an RGB or grey uint8 image, optionally cropped to ``box`` first."""
    grey = to_grey(image)
    if box is not None:
        grey = crop(grey, box)
    return equalize_resize(grey, size)


class Preprocessor:
    """Preprocessing of the frames of one sequence in order, tracking the face box when cropping."""

    def __init__(self, size: int = 224, face_crop: bool = False, crop_scale: float = 1.4):
        self.size = size
        self.detector = make_detector("auto") if face_crop else None  # the detector `poseau predict` uses
        self.crop_scale = crop_scale
        self.box: Box | None = None

    def __call__(self, image: np.ndarray) -> np.ndarray:
        grey = to_grey(image)
        if self.detector is not None:
            found = self.detector.detect(image)
            if found is not None:
                self.box = square_box(found, self.crop_scale)
        return preprocess(grey, self.size, self.box)
