"""Where a model reference points: the one place that turns a shipped model's name, a training run folder, a
model file or an exported .onnx file into the file to read, and the runtime that reads it."""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path

from poseau.errors import PoseauError
from poseau.models.runs import RunFiles
from poseau.models.shipped import SHIPPED, ShippedModel

ONNX_SUFFIX = ".onnx"


def shipped_model(model: str | os.PathLike) -> ShippedModel | None:
    """The shipped model ``model`` names, unless a path of that name exists."""
    return SHIPPED.get(str(model)) if not Path(model).exists() else None


def locate_model(model: str | os.PathLike) -> Path:
    """The file of ``model``: a shipped model's name (unless a path of that name exists), a run folder's
    model.pt, or ``model`` itself as a path (a model file, or an .onnx file)."""
    if (shipped := shipped_model(model)) is not None:
        if not shipped.path.is_file():
            raise PoseauError(f"{model}: the shipped model's file {shipped.path} is missing from this installation; "
                              "reinstall poseau, or give a model file with --model")
        return shipped.path
    if Path(model).is_dir() and RunFiles.is_run(model):
        return RunFiles(model).model
    return Path(model)


def is_onnx(model: str | os.PathLike) -> bool:
    return Path(model).suffix.lower() == ONNX_SUFFIX


def runtime_file(model: str | os.PathLike, runtime: str, device: str = "cpu") -> tuple[Path, str]:
    """The file that ``runtime`` ("auto", "torch" or "onnx") reads for ``model``, and the runtime it is read with
    ("torch" or "onnx"). "auto": a shipped model's ONNX file (model.onnx beside model.pt) where onnxruntime is
    installed and the device is the CPU, an .onnx file as it is, otherwise the PyTorch file; "onnx" on a PyTorch
    file: that file (exported in memory by the caller)."""
    if is_onnx(model):
        if runtime == "torch":
            raise PoseauError(f"{model}: an ONNX file runs on onnxruntime (--runtime auto or onnx), not torch")
        return Path(model), "onnx"
    shipped = shipped_model(model)
    if shipped is not None and runtime != "torch" and device == "cpu":
        if shipped.onnx.is_file() and find_spec("onnxruntime") is not None:
            return shipped.onnx, "onnx"
    return locate_model(model), "torch" if runtime == "auto" else runtime
