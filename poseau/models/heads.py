"""The paper's heads on the backbone's feature map (flattened, as VGG16's 7x7x512 in the paper).

- PoseInvariantHead: FC 256 -> ReLU -> FC n_aus -> sigmoid (one AU as in the paper, or all 7 at once).
- PoseDependentHead: three such regressors (pitch up / level / down) and a pose estimator (FC 256 ->
  ReLU -> FC 3, softmax). The output is the dot product of the winner-take-all (one-hot arg-max) pose
  vector with the three estimates: the estimate of the most probable pose group.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from poseau.constants import POSE_GROUPS


def regressor(features: int, outputs: int, hidden: int = 256) -> nn.Sequential:
    return nn.Sequential(nn.Flatten(), nn.Linear(features, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, outputs))


class PoseInvariantHead(nn.Module):
    def __init__(self, features: int, n_aus: int = 1, hidden: int = 256):
        super().__init__()
        self.regressor = regressor(features, n_aus, hidden)

    def forward(self, fmap: torch.Tensor) -> dict[str, torch.Tensor]:  # (B, C, h, w) -> intensity (B, n_aus)
        return {"intensity": torch.sigmoid(self.regressor(fmap))}


class PoseDependentHead(nn.Module):
    def __init__(self, features: int, n_aus: int = 1, hidden: int = 256):
        super().__init__()
        self.regressors = nn.ModuleList(regressor(features, n_aus, hidden) for _ in POSE_GROUPS)
        self.pose = regressor(features, len(POSE_GROUPS), hidden)

    def forward(self, fmap: torch.Tensor) -> dict[str, torch.Tensor]:
        per_group = torch.stack([torch.sigmoid(r(fmap)) for r in self.regressors], 1)  # (B, 3, n_aus)
        pose_logits = self.pose(fmap)                                                  # (B, 3)
        winner = F.one_hot(pose_logits.argmax(1), len(POSE_GROUPS)).to(per_group.dtype)
        intensity = torch.einsum("bg,bga->ba", winner, per_group)                     # (B, n_aus)
        return {"intensity": intensity, "per_group": per_group, "pose_logits": pose_logits}
