"""The paper's preprocessing as one record that is also the function: what made a model's training frames
is what makes its input from a camera frame.

    image (H, W, 3) RGB or (H, W) grey uint8, and a detected face box or None
      -> grey (ITU-R BT.601 luma, as OpenCV)
      -> with face_crop and a box: the square of crop_scale x the box's larger side around it (edges repeated)
      -> histogram equalisation (over the crop, so the histogram is the face's own)
      -> (size, size) uint8: area averaging to shrink, bilinear to enlarge

No alignment, as the paper. `prepare` writes the record into the store, the model is built with it and its
file carries it, so `predict`, `evaluate`, `saliency` and the ONNX export all take it from the model.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np

from poseau.constants import DEFAULT_CROP_SCALE
from poseau.errors import PoseauError
from poseau.faces.boxes import Box, crop, square_box
from poseau.faces.detect import make_detector
from poseau.options import RULES

GREY = "ITU-R BT.601 luma"


def to_grey(image: np.ndarray) -> np.ndarray:
    """uint8 greyscale of an (H, W, 3) RGB image (ITU-R BT.601 luma, as OpenCV), or the image if already grey."""
    if image.ndim == 2:
        return image
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def equalize_resize(grey: np.ndarray, size: int, equalize: bool = True) -> np.ndarray:
    """Histogram-equalise, then resize to (size, size): area averaging to shrink, bilinear to enlarge."""
    eq = cv2.equalizeHist(np.ascontiguousarray(grey)) if equalize else np.ascontiguousarray(grey)
    if eq.shape == (size, size):
        return eq
    shrink = size < min(eq.shape)
    return cv2.resize(eq, (size, size), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


@dataclass(frozen=True)
class Preprocessing:
    """How a model's input is made from an image. ``face_crop`` False: the whole frame (renders and datasets
    whose faces fill it); True: a square of ``crop_scale`` x the face box found by ``detector``."""

    size: int = 224
    equalize_histogram: bool = True
    face_crop: bool = False
    crop_scale: float = DEFAULT_CROP_SCALE
    face_detector: str = ""          # the detector that found the training boxes ("yunet", "haar"); "" uncropped

    def __post_init__(self) -> None:
        if self.size < 8:
            raise PoseauError(f"preprocessing: invalid size {self.size} (size >= 8)")
        RULES["crop_scale"].check("preprocessing crop_scale", self.crop_scale)

    def __call__(self, image: np.ndarray, box: Box | None = None) -> np.ndarray:
        """(size, size) uint8 from an RGB or grey uint8 image; with face_crop, cut around the face ``box``
        (None: the whole image, as where no face was found)."""
        return equalize_resize(crop(to_grey(image), self.region(image.shape, box)), self.size, self.equalize_histogram)

    def region(self, shape: tuple[int, ...], box: Box | None = None) -> Box:
        """The part (x, y, w, h) of an image of ``shape`` that the call with ``box`` turns into the output."""
        if self.face_crop and box is not None:
            return square_box(box, self.crop_scale)
        return 0, 0, shape[1], shape[0]

    def for_faces(self, crop_scale: float | None = None) -> Preprocessing:
        """The framing `predict` uses on a camera frame: the model's own when its frames were face crops; for a
        whole-frame model a face crop all the same, of the record's crop_scale (DEFAULT_CROP_SCALE unless
        prepare was given another), since a camera frame is not framed as a render is. ``crop_scale``
        overrides the scale in both cases."""
        if self.face_crop and crop_scale is None:
            return self
        return dataclasses.replace(self, face_crop=True, crop_scale=crop_scale or self.crop_scale)

    def to_dict(self) -> dict:
        return {"grey": GREY, **dataclasses.asdict(self)}

    @classmethod
    def from_dict(cls, record: dict, source: str = "preprocessing") -> Preprocessing:
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(record) - fields - {"grey"})
        if unknown or record.get("grey", GREY) != GREY:
            raise PoseauError(f"{source}: preprocessing this poseau cannot do ({', '.join(unknown) or record['grey']})")
        return cls(**{k: v for k, v in record.items() if k in fields})


class FaceFramer:
    """``preprocessing`` applied to the frames of one sequence in order: with face_crop, the face is found by
    the record's detector, and a frame without a face keeps the previous frame's box (before any, the whole
    image). ``region`` is the last frame's part that became its output (Preprocessing.region)."""

    def __init__(self, preprocessing: Preprocessing):
        self.preprocessing = preprocessing
        self.detector = make_detector(preprocessing.face_detector or "auto") if preprocessing.face_crop else None
        self.box: Box | None = None
        self.region: Box | None = None

    def __call__(self, image: np.ndarray) -> np.ndarray:
        if self.detector is not None:
            found = self.detector.detect(image)
            if found is not None:
                self.box = found
        self.region = self.preprocessing.region(image.shape, self.box)
        return self.preprocessing(image, self.box)
