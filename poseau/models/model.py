"""The assembled AU model: grey frame -> backbone's own input normalisation -> backbone -> head.

    x (B, 1, S, S) in [0, 1], the store's preprocessed frame
      -> InputSpec.normalise: (B, 3, S, S) as the backbone's ImageNet weights expect
      -> backbone: (B, C, s, s), s = S / 32
      -> head: {"intensity": (B, n_aus) in [0, 1]}, and for the pose-dependent model also
         "per_group" (B, 3, n_aus) and "pose_logits" (B, 3)

Intensities are on the label scale / 5; ``intensity * 5`` gives FERA's 0-5.
"""

from __future__ import annotations

import os

import torch
from torch import nn

from poseau.config import ModelConfig
from poseau.models.heads import PoseDependentHead, PoseInvariantHead
from poseau.models.weights import BACKBONES, create_backbone

HEADS = {"pose-invariant": PoseInvariantHead, "pose-dependent": PoseDependentHead}


class AUModel(nn.Module):
    def __init__(self, config: ModelConfig, weights: str | os.PathLike | None = None, progress: bool = True):
        """``weights``: the backbone's start ("imagenet", a file, or None for random, as when loading)."""
        super().__init__()
        self.config = config
        self.backbone = create_backbone(config.backbone, weights, progress)
        self.spec = self.backbone.spec
        side = BACKBONES[config.backbone].feature_side(config.size)
        self.head = HEADS[config.kind](self.backbone.out_channels * side * side, len(config.aus), config.hidden)
        self.preprocessing: dict = {}  # how frames are made from images; set from the store or the model file

    @property
    def aus(self) -> tuple[str, ...]:
        return self.config.aus

    @property
    def size(self) -> int:
        return self.config.size

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(self.spec.normalise(x))

    def forward_head(self, features: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.head(features)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        if x.shape[-2:] != (self.config.size, self.config.size):
            raise ValueError(f"input is {tuple(x.shape[-2:])}, the model takes {self.config.size}x{self.config.size}")
        return self.forward_head(self.forward_features(x))
