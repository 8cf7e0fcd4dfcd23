"""Training-time variation of the store's frames, drawn per frame from (seed, stage, epoch, store row) alone,
so that a resumed or data-parallel run sees exactly what an uninterrupted one does.

- mirror: half the frames flipped left to right. An AU's intensity does not depend on the side, and the
  pose groups are pitch groups, which a mirror keeps.
- shift: each frame moved by up to ``shift`` pixels (edges repeated), as a face detector's box does not sit
  the same way on every face.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def augment(images: torch.Tensor, rows: torch.Tensor, *, seed: int, stage: int, epoch: int,
            shift: int = 3) -> torch.Tensor:
    """(B, 1, S, S) frames -> the same, mirrored and shifted per frame."""
    size = images.shape[-1]
    padded = F.pad(images.float(), (shift,) * 4, mode="replicate")
    out = torch.empty_like(images)
    for i, row in enumerate(rows.tolist()):
        rng = np.random.default_rng([seed, stage, epoch, row])
        dy, dx = (int(v) for v in rng.integers(0, 2 * shift + 1, 2))
        frame = padded[i, :, dy:dy + size, dx:dx + size]
        out[i] = (frame.flip(-1) if rng.random() < 0.5 else frame).to(images.dtype)
    return out
