"""Training-time variation of the store's frames, drawn per frame from (seed, stage, epoch, store row) alone,
so that a resumed or data-parallel run sees exactly what an uninterrupted one does.

- mirror: half the frames flipped left to right. An AU's intensity does not depend on the side, and the
  pose groups are pitch groups, which a mirror keeps.
- shift: each frame moved by up to ``shift`` pixels (edges repeated), as a face detector's box does not sit
  the same way on every face.
- degrade (TrainConfig.degrade): what a camera and a detector do to a real face that the renders do not, each
  drawn per frame: the box's scale (0.92-1.08: the spread of the eye distance in `predict`'s crops of the real
  videos, benchmarks/face_framing.py) and roll (up to 8 degrees); defocus blur, sensor noise and JPEG
  compression, each in half the frames; then histogram equalisation again, as `Preprocessing` equalises
  after the camera. Contrast and gamma are left out: equalisation undoes any monotonic change of grey levels.

A frame's landmarks (fractions of its side, poseau.data.store), where given, move with it: shifted, mirrored
(and renumbered, constants.MIRROR68) and turned and scaled as its pixels are.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from poseau.constants import MIRROR68
from poseau.scales import PIXEL_MAX

SCALE = (0.92, 1.08)
ROLL_DEGREES = 8.0
BLUR_SIGMA = (0.3, 1.2)     # pixels at the store's size
NOISE_SD = (2.0, 10.0)      # grey levels
JPEG_QUALITY = (30, 90)


def augment(images: torch.Tensor, rows: torch.Tensor, *, seed: int, stage: int, epoch: int, shift: int = 3,
            mirror: bool = True, degrade: bool = False,
            landmarks: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(B, 1, S, S) uint8 frames -> the same, mirrored and shifted (``mirror``), and degraded (``degrade``),
    per frame; and their (B, 68, 2) ``landmarks`` moved with them (None without)."""
    size = images.shape[-1]
    padded = F.pad(images.float(), (shift,) * 4, mode="replicate")
    out = torch.empty_like(images)
    points = None if landmarks is None else landmarks.numpy() * size - 0.5  # in pixels, as cv2 counts them
    for i, row in enumerate(rows.tolist()):
        rng = np.random.default_rng([seed, stage, epoch, row])
        dy, dx = (int(v) for v in rng.integers(0, 2 * shift + 1, 2))
        flip = rng.random() < 0.5
        frame = padded[i, :, dy:dy + size, dx:dx + size] if mirror else images[i].float()
        frame = (frame.flip(-1) if flip and mirror else frame).to(images.dtype)
        if points is not None and mirror:
            points[i] -= (dx - shift, dy - shift)
            if flip:
                points[i] = points[i][list(MIRROR68)]
                points[i][:, 0] = size - 1 - points[i][:, 0]
        if degrade:
            image, matrix = degraded(frame[0].numpy(), rng)
            out[i] = torch.from_numpy(image)[None]
            if points is not None:
                points[i] = points[i] @ matrix[:, :2].T + matrix[:, 2]
        else:
            out[i] = frame
    return out, None if points is None else torch.from_numpy((points + 0.5) / size).float()


def degraded(frame: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One (S, S) uint8 frame with the box's scale and roll, blur, noise and JPEG drawn from ``rng``, equalised;
    and the (2, 3) affine map of its pixel positions."""
    size = frame.shape[0]
    scale, roll = rng.uniform(*SCALE), rng.uniform(-ROLL_DEGREES, ROLL_DEGREES)
    blur, noise, jpeg = rng.random(3) < 0.5
    sigma, sd, quality = rng.uniform(*BLUR_SIGMA), rng.uniform(*NOISE_SD), int(rng.integers(*JPEG_QUALITY))
    matrix = cv2.getRotationMatrix2D(((size - 1) / 2, (size - 1) / 2), roll, scale)
    image = cv2.warpAffine(frame, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    if blur:
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    if noise:
        image = np.clip(image + rng.normal(0, sd, image.shape), 0, PIXEL_MAX).astype(np.uint8)
    if jpeg:
        image = cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], cv2.IMREAD_GRAYSCALE)
    return cv2.equalizeHist(image), matrix
