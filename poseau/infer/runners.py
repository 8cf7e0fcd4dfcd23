"""What runs the network during prediction, and the one place a model reference becomes one.

A runner is called with (B, S, S) uint8 faces made by its ``preprocessing`` and returns intensities
(B, n_aus) on 0-5 and pose group probabilities (B, 3) or None: the model's own ``predict``. It knows its
``aus``, input ``size`` and ``preprocessing``. Two runtimes: PyTorch (``TorchRunner``) and onnxruntime on an
exported file (poseau.infer.onnx_runner.OnnxRunner); ``load_runner`` takes any model reference to one of them.
torch is imported only where a runner needs it, so that a model with an ONNX file predicts without it.
"""

from __future__ import annotations

import os
from copy import deepcopy

import numpy as np

from poseau.constants import RUNTIMES
from poseau.errors import PoseauError
from poseau.infer.onnx_runner import OnnxRunner
from poseau.models.locate import is_onnx, runtime_file


def inference_copy(model):
    """A copy of ``model`` in eval mode for prediction only: batch norm folded into the convolutions where the
    backbone can (the same outputs up to rounding)."""
    copy = deepcopy(model).eval()
    for module in copy.modules():
        if hasattr(module, "fold_batchnorm"):
            module.fold_batchnorm()
    return copy


class TorchRunner:
    """A model in memory, copied for inference (``inference_copy``). Its weights are converted to channels-last:
    1.4-1.6x faster on a CPU (EfficientNet-Lite0 at 64 and 224 px, measured)."""

    def __init__(self, model, device="cpu"):
        import torch

        self.model = inference_copy(model).to(device, memory_format=torch.channels_last)
        self.aus, self.size, self.preprocessing = tuple(model.aus), model.size, model.preprocessing

    def __call__(self, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        return self.model.predict(faces)


def load_runner(model, *, runtime: str = "auto", device: str = "cpu") -> TorchRunner | OnnxRunner:
    """A runner for ``model``: a shipped model's name, a model file, a run folder, an .onnx file, a model in
    memory, or a runner (returned as it is). ``runtime`` "auto": onnxruntime on the model's ONNX file where it
    has one (an .onnx file; a shipped model's model.onnx) and the device is the CPU, else PyTorch; "torch";
    "onnx" (a PyTorch model file or model is exported in memory first)."""
    if isinstance(model, TorchRunner | OnnxRunner):
        return model
    if runtime not in RUNTIMES:
        raise PoseauError(f"unknown runtime {runtime!r} (known: {', '.join(RUNTIMES)})")
    if isinstance(model, str | os.PathLike):
        path, runtime = runtime_file(model, runtime, device)
        if runtime == "onnx" and is_onnx(path):
            return OnnxRunner(path)
        from poseau.models.checkpoint import load_model

        model = load_model(path, device=device)
    elif runtime == "auto":
        runtime = "torch"
    if runtime == "torch":
        return TorchRunner(model, device)
    from poseau.models.onnx_graph import onnx_bytes

    return OnnxRunner(onnx_bytes(model))

