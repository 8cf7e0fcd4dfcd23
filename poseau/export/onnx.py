"""`poseau export`: a model file as ONNX (poseau.models.onnx_graph), checked against PyTorch on the same
inputs with onnxruntime (poseau.infer.onnx_runner.OnnxRunner)."""

from __future__ import annotations

import logging
import os

import numpy as np

from poseau.fileio import atomic_path, out_file
from poseau.infer.onnx_runner import OnnxRunner
from poseau.models.checkpoint import load_model
from poseau.models.model import IntensityModel
from poseau.models.onnx_graph import onnx_bytes

log = logging.getLogger(__name__)


def parity(model: IntensityModel, onnx_model: bytes | str | os.PathLike, frames: np.ndarray | None = None,
           seed: int = 0) -> float:
    """Largest absolute difference between PyTorch and onnxruntime over the outputs, on ``frames``
    ((B, S, S) uint8; default: 8 random frames)."""
    if frames is None:
        frames = np.random.default_rng(seed).integers(0, 256, (8, model.size, model.size), dtype=np.uint8)
    ours = OnnxRunner(onnx_model).predict(frames)
    theirs = model.eval().predict(frames)
    return max(float(np.abs(a - b).max()) for a, b in zip(ours, theirs, strict=True) if a is not None)


def export_onnx(model: str | os.PathLike, out: str | os.PathLike, *, frames: np.ndarray | None = None,
                int8: bool = False) -> float:
    """Export the model file ``model`` to ``out`` (``int8``: its large weights in int8, poseau.models.onnx_graph)
    and return the parity check's largest difference."""
    out = out_file(out)
    net = load_model(model)
    data = onnx_bytes(net, int8=int8)
    with atomic_path(out) as tmp:
        tmp.write_bytes(data)
    difference = parity(net, out, frames)
    log.info("%s -> %s: largest |onnxruntime - torch| %.3g", model, out, difference)
    return difference
