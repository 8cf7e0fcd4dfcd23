"""Where a model reference points: the one place that turns a shipped model's name, a training run folder, a
model file or an exported .onnx file into the file to read."""

from __future__ import annotations

import os
from pathlib import Path

from poseau.errors import PoseauError
from poseau.models.runs import RunFiles
from poseau.models.shipped import SHIPPED

ONNX_SUFFIX = ".onnx"


def locate_model(model: str | os.PathLike) -> Path:
    """The file of ``model``: a shipped model's name (unless a path of that name exists), a run folder's
    model.pt, or ``model`` itself as a path (a model file, or an .onnx file)."""
    name = str(model)
    if name in SHIPPED and not Path(name).exists():
        path = SHIPPED[name].path
        if not path.is_file():
            raise PoseauError(f"{name}: the shipped model's file {path} is missing from this installation; "
                              "reinstall poseau, or give a model file with --model")
        return path
    if Path(model).is_dir() and RunFiles.is_run(model):
        return RunFiles(model).model
    return Path(model)


def is_onnx(model: str | os.PathLike) -> bool:
    return Path(model).suffix.lower() == ONNX_SUFFIX
