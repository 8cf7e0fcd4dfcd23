"""An exported model on onnxruntime's CPU provider: prediction without importing torch (`poseau predict`'s
default path for a model that has an ONNX file, poseau.infer.runners.load_runner)."""

from __future__ import annotations

import json
import os

import numpy as np

from poseau.data.preprocess import Preprocessing
from poseau.errors import PoseauError
from poseau.models.onnx_meta import META_FORMAT, META_KEY


class OnnxRunner:
    """An exported model (a file, or its bytes) with the model's ``aus``, ``size``, ``preprocessing`` and
    ``predict`` (``runner(faces)`` is the same)."""

    def __init__(self, path: str | os.PathLike | bytes):
        try:
            import onnxruntime as ort
        except ImportError:
            raise PoseauError("the onnx runtime needs onnxruntime: pip install onnxruntime") from None
        source = path if isinstance(path, bytes) else str(path)
        where = "the exported model" if isinstance(path, bytes) else str(path)
        options = ort.SessionOptions()
        # the process's share of the cores, as poseau.threads.limit_threads says it to OpenMP libraries; else
        # onnxruntime's default, every physical core
        options.intra_op_num_threads = int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
        # no busy-waiting between calls: the decoding and detection thread needs those cycles (measured)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # int8 weights (onnx_graph's int8 files) folded into float ones once, at the start, not run as QDQ
        options.add_session_config_entry("session.disable_quant_qdq", "1")
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
