"""The torch Dataset over a frame store: what the training loop and the evaluation read."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from poseau.constants import MISSING
from poseau.data.sampling import Draw
from poseau.data.store import FrameStore, open_store
from poseau.scales import intensity_to_unit


class FrameDataset(Dataset):
    """Items of a store's rows (all, or a Draw's), each a dict of tensors:

    image   (1, S, S) uint8, the preprocessed grey frame (the model scales its pixels itself)
    target  (7,) float32 intensity / 5 in [0, 1], 0 where missing
    weight  (7,) float32 label weight (the draw's, else 1 where valid); 0 where missing (a draw's weights are
            too, poseau.data.sampling), so the loss skips it
    view    int64 FERA view 1-9, 0 when unknown;  pose  int64 pose group 0 up / 1 level / 2 down, -1 unknown
    row     int64 the store row
    landmarks  (68, 2) float32, where the store has them (poseau.data.store): fractions of the frame's side
    """

    def __init__(self, store: FrameStore | str, rows: np.ndarray | Draw | None = None):
        self.store = open_store(store)
        weights = None
        if isinstance(rows, Draw):
            rows, weights = rows.rows, rows.weights
        self.rows = np.arange(len(self.store)) if rows is None else np.asarray(rows, np.int64)
        labels = self.store.labels[self.rows]
        valid = labels != MISSING
        self.targets = np.where(valid, intensity_to_unit(labels), 0.0).astype(np.float32)
        self.weights = valid.astype(np.float32) if weights is None else np.asarray(weights, np.float32)
        self.views = self.store.views[self.rows]
        self.poses = self.store.pose_groups[self.rows]

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        image = torch.from_numpy(np.array(self.store.frames[self.rows[i]]))
        item = {
            "image": image.unsqueeze(0),
            "target": torch.from_numpy(self.targets[i]),
            "weight": torch.from_numpy(self.weights[i]),
            "view": torch.tensor(self.views[i]),
            "pose": torch.tensor(self.poses[i]),
            "row": torch.tensor(self.rows[i]),
        }
        if self.store.landmarks is not None:
            item["landmarks"] = torch.from_numpy(np.array(self.store.landmarks[self.rows[i]]))
        return item
