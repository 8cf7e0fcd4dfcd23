"""What every backbone carries: its input preprocessing, so that training and inference cannot drift apart."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from poseau.errors import PoseauError
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


def torch_load(path: str | os.PathLike, what: str):
    """``torch.load`` of tensors and plain containers only, or one clear error naming the file."""
    path = Path(path)
    if not path.is_file():
        raise PoseauError(f"{path}: no such {what}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for a file that is not a checkpoint
        raise PoseauError(f"{path}: not a {what} ({str(exc).splitlines()[0]})") from None


def load_matching(module: torch.nn.Module, state: dict[str, torch.Tensor], source: str,
                  ignore_prefixes: tuple[str, ...] = ()) -> None:
    """Load ``state`` into ``module`` requiring every key and shape to match (keys under ignore_prefixes,
    such as a classifier the backbone drops, are left out)."""
    state = {k: v for k, v in state.items() if not k.startswith(ignore_prefixes)}
    own = module.state_dict()
    missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
    wrong = [k for k in set(own) & set(state) if own[k].shape != state[k].shape]
    if missing or unexpected or wrong:
        raise PoseauError(f"{source}: weights do not fit {type(module).__name__}: missing {missing[:3]}, "
                          f"unexpected {unexpected[:3]}, wrong shape {wrong[:3]}")
    module.load_state_dict(state)
