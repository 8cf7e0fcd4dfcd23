"""What runs the network during prediction: PyTorch, or onnxruntime on an exported file.

A runner takes (B, S, S) uint8 preprocessed faces and returns intensities (B, n_aus) on 0-5 and pose group
probabilities (B, 3) or None; it knows its ``aus``, input ``size`` and ``preprocessing``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch

from poseau.errors import PoseauError
from poseau.evaluate.predictions import model_outputs
from poseau.models.checkpoint import load_model

RUNTIMES = ("torch", "onnx")
ONNX_META_KEY = "poseau"


class TorchRunner:
    """A model in memory, in eval mode. Its weights are converted to channels-last: 1.4-1.6x faster on a CPU
    (EfficientNet-Lite0 at 64 and 224 px, measured)."""

    def __init__(self, model: torch.nn.Module, device: str | torch.device = "cpu"):
        self.model = model.to(device, memory_format=torch.channels_last).eval()
        self.device = torch.device(device)
        self.aus, self.size = tuple(model.aus), model.size
        self.preprocessing = dict(model.preprocessing)

    def __call__(self, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        images = torch.from_numpy(faces).unsqueeze(1).to(self.device).float().div_(255.0)
        return model_outputs(self.model, images)


class OnnxRunner:
    """An exported model (poseau export) on onnxruntime's CPU provider."""

    def __init__(self, path: str | os.PathLike | bytes):
        try:
            import onnxruntime as ort
        except ImportError:
            raise PoseauError("the onnx runtime needs onnxruntime: pip install 'poseau[onnx]'") from None
        source = path if isinstance(path, bytes) else str(path)
        where = "the exported model" if isinstance(path, bytes) else str(path)
        options = ort.SessionOptions()
        # no busy-waiting between calls: the decoding and detection thread needs those cycles (measured)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise PoseauError(f"{where}: not an ONNX model ({str(exc).splitlines()[0]})") from None
        meta = self.session.get_modelmeta().custom_metadata_map.get(ONNX_META_KEY)
        if meta is None:
            raise PoseauError(f"{where}: an ONNX file without poseau's metadata; export it with `poseau export`")
        info = json.loads(meta)
        self.aus, self.size, self.preprocessing = tuple(info["aus"]), int(info["size"]), info["preprocessing"]
        self.outputs = [o.name for o in self.session.get_outputs()]

    def __call__(self, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        images = faces[:, None].astype(np.float32) / 255.0
        result = dict(zip(self.outputs, self.session.run(None, {"frames": images}), strict=True))
        return result["intensity"], result.get("pose")


def load_runner(model, runtime: str = "torch", device: str = "cpu"):
    """A runner for ``model``: a runner, a model in memory, a model file or run folder, or an .onnx file.
    ``runtime`` "onnx" exports a PyTorch model file in memory first."""
    if isinstance(model, TorchRunner | OnnxRunner):
        return model
    if runtime not in RUNTIMES:
        raise PoseauError(f"unknown runtime {runtime!r} (known: {', '.join(RUNTIMES)})")
    if isinstance(model, torch.nn.Module):
        return TorchRunner(model, device) if runtime == "torch" else OnnxRunner(_exported(model))
    if Path(model).suffix == ".onnx":
        if runtime != "onnx":
            raise PoseauError(f"{model}: an ONNX file runs with --runtime onnx")
        return OnnxRunner(model)
    net = load_model(model, device)
    return TorchRunner(net, device) if runtime == "torch" else OnnxRunner(_exported(net))


def _exported(model: torch.nn.Module) -> bytes:
    from poseau.export.onnx import onnx_bytes

    return onnx_bytes(model)
