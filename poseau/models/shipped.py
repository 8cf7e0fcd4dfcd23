"""The models that ship inside the package, by name: ``load_model("poseau-au7-v3")``, `poseau models`, and the
default model of `poseau predict`.

Each lives in its own folder of poseau/weights/:
    model.pt       the model file (large weights in int8, the rest in half precision; `load_model` reads it)
    model.onnx     the same network for onnxruntime, its int8 weights the same (`poseau predict`'s default path)
    MODEL_CARD.md  what it was trained on, how to make it again, licences, intended use, limits and scores
    scores.json    the scores the card shows, as its recipe (`poseau pretrain`) measured them
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"
MODEL_FILE, ONNX_FILE, CARD_FILE, SCORES_FILE = "model.pt", "model.onnx", "MODEL_CARD.md", "scores.json"


@dataclass(frozen=True)
class ShippedModel:
    name: str
    licence: str
    summary: str

    @property
    def folder(self) -> Path:
        return WEIGHTS_DIR / self.name

    @property
    def path(self) -> Path:
        return self.folder / MODEL_FILE

    @property
    def onnx(self) -> Path:
        return self.folder / ONNX_FILE

    @property
    def card(self) -> Path:
        return self.folder / CARD_FILE

    def scores(self) -> dict:
        """The recipe's measured scores (empty when the file is absent)."""
        path = self.folder / SCORES_FILE
        return json.loads(path.read_text()) if path.is_file() else {}


SHIPPED: dict[str, ShippedModel] = {m.name: m for m in (
    ShippedModel("poseau-au7-v3", "MIT",
                 "7 AUs (1, 4, 6, 10, 12, 14, 17), 0-5; v2's recipe with its two models' intensities averaged "
                 "rather than each AU taken from one; trained only on renders of the MIT-licensed ICT face model"),
    ShippedModel("poseau-au7-v2", "MIT",
                 "7 AUs (1, 4, 6, 10, 12, 14, 17), 0-5; v1's recipe with wrinkles and bulges in the renders and a "
                 "moving average of the weights; trained only on renders of the MIT-licensed ICT face model"),
    ShippedModel("poseau-au7-v1", "MIT",
                 "7 AUs (1, 4, 6, 10, 12, 14, 17), 0-5; trained only on renders of the MIT-licensed ICT face model"),
)}
DEFAULT_MODEL = "poseau-au7-v3"  # on real faces, pooled r and within video: v1 0.43, 0.43; v2 0.45, 0.52; v3 0.49, 0.54

