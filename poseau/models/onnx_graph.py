"""A model as an ONNX graph: the model's own entry point (``IntensityModel.outputs``) with poseau's metadata.

The graph takes "faces" (B, S, S) uint8, made by the model's preprocessing, with a dynamic batch, and returns
"intensity" (B, n_aus) on 0-5 and, for models with a pose estimator, "pose" (B, 3) probabilities. The file's
metadata (key META_KEY) holds the AU names and the preprocessing record, so prediction with onnxruntime
(poseau.infer.runners.OnnxRunner) needs nothing beside it.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

from poseau.errors import PoseauError
from poseau.models.model import IntensityModel

OPSET = 18
META_KEY = "poseau"
META_FORMAT = 2  # 2: uint8 faces in, 0-5 out (1 took float frames on 0-1)


class _Graph(nn.Module):
    def __init__(self, model: IntensityModel):
        super().__init__()
        self.model = model

    def forward(self, faces: torch.Tensor):
        intensity, pose = self.model.outputs(faces)
        return intensity if pose is None else (intensity, pose)


def _has_pose(model: IntensityModel) -> bool:
    return model.predict(np.zeros((1, model.size, model.size), np.uint8))[1] is not None


def onnx_bytes(model: IntensityModel) -> bytes:
    """The ONNX file of ``model`` (an AUModel or MixedModel), with poseau's metadata, as bytes."""
    try:
        import onnx
    except ImportError:
        raise PoseauError("ONNX export needs onnx and onnxscript: pip install 'poseau[onnx]'") from None
    model = model.eval()
    graph = _Graph(model).eval()  # eval before export: the exporter restores the wrapper's mode afterwards
    outputs = ["intensity", "pose"] if _has_pose(model) else ["intensity"]
    example = torch.randint(0, 256, (2, model.size, model.size), dtype=torch.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.onnx"
        torch.onnx.export(graph, (example,), str(path), input_names=["faces"], output_names=outputs,
                          dynamic_shapes=({0: torch.export.Dim("batch")},), opset_version=OPSET, dynamo=True,
                          verbose=False, external_data=False)
        proto = onnx.load(str(path))
    meta = {"format": META_FORMAT, "aus": list(model.aus), "preprocessing": model.preprocessing.to_dict(),
            "outputs": outputs}
    entry = proto.metadata_props.add()
    entry.key, entry.value = META_KEY, json.dumps(meta)
    return proto.SerializeToString()
