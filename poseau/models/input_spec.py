"""What every backbone carries: how it wants its input, so that training and inference cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from poseau.scales import pixels_to_unit


@dataclass(frozen=True)
class InputSpec:
    """How a backbone wants its input: x = (pixel on 0-1 - mean) / std per channel, ``channels`` channels.

    Grey frames are repeated into ``channels`` equal channels.
    """

    mean: tuple[float, ...]
    std: tuple[float, ...]
    channels: int = 3
    size: int = 224  # the size its weights were trained at; other sizes work too

    def normalise(self, pixels: torch.Tensor) -> torch.Tensor:
        """(B, 1 or channels, H, W) pixels on 0-255 -> (B, channels, H, W) normalised; one channel is repeated."""
        x = pixels_to_unit(pixels).expand(-1, self.channels, -1, -1)
        mean = torch.tensor(self.mean, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
        std = torch.tensor(self.std, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
        return (x - mean) / std
