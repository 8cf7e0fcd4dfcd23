"""The two scales that cross layers, each converted here and nowhere else.

- pixels: frames are uint8 0-255; a network sees them on 0-1 (then its backbone's own normalisation).
- intensities: labels and predictions are FERA's 0-5; a network learns and outputs them on 0-1.

Each function takes a numpy array or a torch tensor.
"""

from __future__ import annotations

import numpy as np

from poseau.constants import INTENSITY_MAX

PIXEL_MAX = 255.0


def pixels_to_unit(pixels):
    """0-255 pixel values (uint8 or float) -> float 0-1."""
    return (pixels.float() if hasattr(pixels, "float") else pixels.astype("float32")) / PIXEL_MAX


def unit_to_pixels(unit: np.ndarray) -> np.ndarray:
    """A float image on 0-1 (a render) -> uint8 pixels, rounded to the nearest."""
    return (np.clip(unit, 0, 1) * PIXEL_MAX + 0.5).astype(np.uint8)


def intensity_to_unit(intensity):
    """FERA intensities 0-5 -> the 0-1 scale a network is trained on."""
    return intensity / INTENSITY_MAX


def unit_to_intensity(unit):
    """A network's 0-1 output -> FERA intensities 0-5."""
    return unit * INTENSITY_MAX
