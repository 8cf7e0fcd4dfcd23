"""The device a model runs on, checked before any work: one clear error where it does not exist here."""

from __future__ import annotations

import torch

from poseau.errors import PoseauError


def torch_device(name: str | torch.device) -> torch.device:
    """``name`` ("cpu", "cuda", "cuda:1", "mps") as a torch device that this machine has, else a PoseauError."""
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise PoseauError(f"--device {name}: not a device (cpu, cuda, cuda:N, mps)") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise PoseauError(f"--device {name}: CUDA is not available here (torch {torch.__version__}); use --device "
                              "cpu")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise PoseauError(f"--device {name}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise PoseauError(f"--device {name}: MPS is not available here; use --device cpu")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise PoseauError(f"--device {name}: not a device poseau runs on (cpu, cuda, cuda:N, mps)")
    return device
