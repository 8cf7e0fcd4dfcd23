"""What runs the network during prediction, and the one place a model reference becomes one.

A runner is called with (B, S, S) uint8 faces made by its ``preprocessing`` and returns intensities
(B, n_aus) on 0-5 and pose group probabilities (B, 3) or None: the model's own ``predict``. It knows its
``aus``, input ``size`` and ``preprocessing``. Two runtimes: PyTorch (``TorchRunner``) and onnxruntime on an
exported file (``OnnxRunner``); ``load_runner`` takes any model reference to one of them.
"""

from __future__ import annotations

import json
import os
from copy import deepcopy

import numpy as np
import torch

from poseau.constants import RUNTIMES
from poseau.data.preprocess import Preprocessing
from poseau.errors import PoseauError
from poseau.models.checkpoint import load_model
from poseau.models.locate import is_onnx, locate_model
from poseau.models.model import IntensityModel
from poseau.models.onnx_graph import META_FORMAT, META_KEY, onnx_bytes


def inference_copy(model: IntensityModel) -> IntensityModel:
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

    def __init__(self, model: IntensityModel, device: str | torch.device = "cpu"):
        self.model = inference_copy(model).to(device, memory_format=torch.channels_last)
        self.aus, self.size, self.preprocessing = tuple(model.aus), model.size, model.preprocessing

    def __call__(self, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        return self.model.predict(faces)


class OnnxRunner:
    """An exported model (a file, or its bytes) on onnxruntime's CPU provider, with the model's ``aus``,
    ``size``, ``preprocessing`` and ``predict`` (``runner(faces)`` is the same)."""

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


def load_runner(model, *, runtime: str = "torch", device: str = "cpu") -> TorchRunner | OnnxRunner:
    """A runner for ``model``: a shipped model's name, a model file, a run folder, an .onnx file (runtime
    "onnx"), a model in memory, or a runner (returned as it is). ``runtime`` "onnx" on a PyTorch model exports
    it in memory first."""
    if isinstance(model, TorchRunner | OnnxRunner):
        return model
    if runtime not in RUNTIMES:
        raise PoseauError(f"unknown runtime {runtime!r} (known: {', '.join(RUNTIMES)})")
    if not isinstance(model, IntensityModel):
        if is_onnx(model):
            if runtime != "onnx":
                raise PoseauError(f"{model}: an ONNX file runs with --runtime onnx")
            return OnnxRunner(locate_model(model))
        model = load_model(model, device=device)
    return TorchRunner(model, device) if runtime == "torch" else OnnxRunner(onnx_bytes(model))
