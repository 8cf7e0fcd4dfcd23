"""`poseau export`: a model file as ONNX, checked against PyTorch on the same inputs.

The graph takes "frames" (B, 1, S, S) float32 in [0, 1], the preprocessed faces, with a dynamic batch, and
returns "intensity" (B, n_aus) on 0-5 and, for models with a pose estimator, "pose" (B, 3) probabilities.
The file's metadata (key "poseau") holds the AU names, input size and preprocessing, so onnxruntime
prediction needs nothing beside it.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

from poseau.errors import PoseauError
from poseau.fileio import atomic_path
from poseau.models.checkpoint import load_model

log = logging.getLogger(__name__)
OPSET = 18


class _Graph(nn.Module):
    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, frames: torch.Tensor):
        out = self.model(frames)
        intensity = out["intensity"] * 5.0
        if "pose_logits" in out:
            return intensity, torch.softmax(out["pose_logits"], 1)
        return intensity


def _has_pose(model: nn.Module) -> bool:
    with torch.no_grad():
        return "pose_logits" in model(torch.zeros(1, 1, model.size, model.size))


def onnx_bytes(model: nn.Module) -> bytes:
    """The ONNX file of ``model`` (an AUModel or MixedModel), with poseau's metadata, as bytes."""
    try:
        import onnx
    except ImportError:
        raise PoseauError("ONNX export needs onnx and onnxscript: pip install 'poseau[onnx]'") from None
    model = model.eval()
    graph = _Graph(model).eval()  # eval before export: the exporter restores the wrapper's mode afterwards
    outputs = ["intensity", "pose"] if _has_pose(model) else ["intensity"]
    example = torch.rand(2, 1, model.size, model.size)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.onnx"
        torch.onnx.export(graph, (example,), str(path), input_names=["frames"], output_names=outputs,
                          dynamic_shapes=({0: torch.export.Dim("batch")},), opset_version=OPSET, dynamo=True,
                          verbose=False, external_data=False)
        proto = onnx.load(str(path))
    meta = {"aus": list(model.aus), "size": model.size, "preprocessing": dict(model.preprocessing),
            "outputs": outputs}
    entry = proto.metadata_props.add()
    entry.key, entry.value = "poseau", json.dumps(meta)
    return proto.SerializeToString()


def parity(model: nn.Module, onnx_model: bytes | str | os.PathLike, frames: np.ndarray | None = None,
           seed: int = 0) -> float:
    """Largest absolute difference between PyTorch and onnxruntime over the outputs, on ``frames``
    ((B, S, S) uint8; default: 8 random frames)."""
    from poseau.infer.runners import OnnxRunner, TorchRunner

    if frames is None:
        frames = np.random.default_rng(seed).integers(0, 256, (8, model.size, model.size), dtype=np.uint8)
    ours = OnnxRunner(onnx_model)(frames)
    theirs = TorchRunner(model)(frames)
    return max(float(np.abs(a - b).max()) for a, b in zip(ours, theirs, strict=True) if a is not None)


def export_onnx(model: str | os.PathLike, out: str | os.PathLike, frames: np.ndarray | None = None) -> float:
    """Export the model file ``model`` to ``out`` and return the parity check's largest difference."""
    net = load_model(model)
    data = onnx_bytes(net)
    with atomic_path(out) as tmp:
        tmp.write_bytes(data)
    difference = parity(net, out, frames)
    log.info("%s -> %s: largest |onnxruntime - torch| %.3g", model, out, difference)
    return difference
