"""`poseau export`: a model file as ONNX, checked against PyTorch on the same inputs; and the runner of such
a file on onnxruntime.

The graph is the model's own entry point (``IntensityModel.outputs``): it takes "faces" (B, S, S) uint8, made
by the model's preprocessing, with a dynamic batch, and returns "intensity" (B, n_aus) on 0-5 and, for
models with a pose estimator, "pose" (B, 3) probabilities. The file's metadata (key "poseau") holds the AU
names and the preprocessing record, so prediction with onnxruntime needs nothing beside it.
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

from poseau.data.preprocess import Preprocessing
from poseau.errors import PoseauError
from poseau.fileio import atomic_path, out_file
from poseau.models.checkpoint import load_model
from poseau.models.model import IntensityModel

log = logging.getLogger(__name__)
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


class OnnxRunner:
    """An exported model on onnxruntime's CPU provider, with the model's ``aus``, ``size``, ``preprocessing``
    and ``predict`` (``runner(faces)`` is the same)."""

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
        meta = self.session.get_modelmeta().custom_metadata_map.get(META_KEY)
        if meta is None:
            raise PoseauError(f"{where}: an ONNX file without poseau's metadata; export it with `poseau export`")
        info = json.loads(meta)
        if info.get("format") != META_FORMAT:
            raise PoseauError(f"{where}: exported by an older poseau (format {info.get('format', 1)}); "
                              "export the model file again with `poseau export`")
        self.aus = tuple(info["aus"])
        self.preprocessing = Preprocessing.from_dict(info["preprocessing"], where)
        self.size = self.preprocessing.size
        self.outputs = [o.name for o in self.session.get_outputs()]

    def predict(self, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """As ``IntensityModel.predict``: (B, S, S) uint8 faces -> intensities 0-5, pose probabilities or None."""
        result = dict(zip(self.outputs, self.session.run(None, {"faces": np.ascontiguousarray(faces)}), strict=True))
        return result["intensity"], result.get("pose")

    __call__ = predict


def parity(model: IntensityModel, onnx_model: bytes | str | os.PathLike, frames: np.ndarray | None = None,
           seed: int = 0) -> float:
    """Largest absolute difference between PyTorch and onnxruntime over the outputs, on ``frames``
    ((B, S, S) uint8; default: 8 random frames)."""
    if frames is None:
        frames = np.random.default_rng(seed).integers(0, 256, (8, model.size, model.size), dtype=np.uint8)
    ours = OnnxRunner(onnx_model).predict(frames)
    theirs = model.eval().predict(frames)
    return max(float(np.abs(a - b).max()) for a, b in zip(ours, theirs, strict=True) if a is not None)


def export_onnx(model: str | os.PathLike, out: str | os.PathLike, *, frames: np.ndarray | None = None) -> float:
    """Export the model file ``model`` to ``out`` and return the parity check's largest difference."""
    out = out_file(out)
    net = load_model(model)
    data = onnx_bytes(net)
    with atomic_path(out) as tmp:
        tmp.write_bytes(data)
    difference = parity(net, out, frames)
    log.info("%s -> %s: largest |onnxruntime - torch| %.3g", model, out, difference)
    return difference
