"""Reading PyTorch files: tensors and plain containers only, with one clear error naming the file."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from poseau.errors import PoseauError


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
