"""A model as an ONNX graph: the model's own entry point (``IntensityModel.outputs``) with poseau's metadata.

The graph takes "faces" (B, S, S) uint8, made by the model's preprocessing, with a dynamic batch, and returns
"intensity" (B, n_aus) on 0-5 and, for models with a pose estimator, "pose" (B, 3) probabilities. The file's
metadata (key META_KEY) holds the AU names and the preprocessing record, so prediction with onnxruntime
(poseau.infer.onnx_runner.OnnxRunner) needs nothing beside it.

With ``int8``, the graph's large weights (INT8_MIN_SIZE values or more, those a shipped model file keeps in int8:
poseau.models.checkpoint.compact_record) are stored as int8 with a scale per output channel, each read through a
DequantizeLinear node: a quarter of the bytes. From a shipped model file, whose weights are on that int8 grid
already, the result is the file's network again (the shipped model: at most 1.2e-6 apart on 0-5 in `poseau
export`'s parity check); from float weights, an int8 rounding of them. onnxruntime folds the nodes back into
float weights when the session starts (OnnxRunner turns its QDQ rewriting off): as fast as a float file.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

from poseau.errors import PoseauError
from poseau.models.checkpoint import kept_in_int8
from poseau.models.model import IntensityModel
from poseau.models.onnx_meta import META_FORMAT, META_KEY

OPSET = 18


class _Graph(nn.Module):
    def __init__(self, model: IntensityModel):
        super().__init__()
        self.model = model

    def forward(self, faces: torch.Tensor):
        intensity, pose = self.model.outputs(faces)
        return intensity if pose is None else (intensity, pose)


def _has_pose(model: IntensityModel) -> bool:
    return model.predict(np.zeros((1, model.size, model.size), np.uint8))[1] is not None


def onnx_bytes(model: IntensityModel, int8: bool = False) -> bytes:
    """The ONNX file of ``model`` (an AUModel or MixedModel), with poseau's metadata, as bytes; ``int8``: its
    large weights in int8 (see above)."""
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
    if int8:
        _int8_weights(proto)
    meta = {"format": META_FORMAT, "aus": list(model.aus), "preprocessing": model.preprocessing.to_dict(),
            "outputs": outputs}
    entry = proto.metadata_props.add()
    entry.key, entry.value = META_KEY, json.dumps(meta)
    return proto.SerializeToString()


def _int8_weights(proto) -> None:
    """Each large float weight of ``proto`` as int8 values and a scale per output channel (axis 0), as
    compact_record makes them, dequantized by a node that gives the weight's own name."""
    from onnx import helper, numpy_helper

    nodes = []
    for init in list(proto.graph.initializer):
        weight = numpy_helper.to_array(init)
        if weight.dtype != np.float32 or not kept_in_int8(weight.shape):
            continue
        scale = (np.abs(weight.reshape(len(weight), -1)).max(1).clip(1e-12) / 127).astype(np.float32)
        values = np.round(weight / scale.reshape(-1, *[1] * (weight.ndim - 1))).clip(-127, 127).astype(np.int8)
        proto.graph.initializer.remove(init)
        proto.graph.initializer.extend([numpy_helper.from_array(values, f"{init.name}_int8"),
                                        numpy_helper.from_array(scale, f"{init.name}_scale")])
        nodes.append(helper.make_node("DequantizeLinear", [f"{init.name}_int8", f"{init.name}_scale"], [init.name],
                                      axis=0, name=f"{init.name}_dequantize"))
    graph = nodes + list(proto.graph.node)  # a node before the nodes that read its output
    del proto.graph.node[:]
    proto.graph.node.extend(graph)
