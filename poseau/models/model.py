"""The assembled AU model, and the one path from preprocessed faces to intensities.

    faces (B, S, S) uint8, made by the model's own ``preprocessing`` (poseau.data.preprocess)
      -> predict / outputs: (B, 1, S, S) -> forward
      -> InputSpec.normalise: pixels / 255, then (B, 3, S, S) as the backbone's ImageNet weights expect
      -> backbone: (B, C, s, s), s = S / 32
      -> head: {"intensity": (B, n_aus) in [0, 1]}, and for the pose-dependent model also
         "per_group" (B, 3, n_aus) and "pose_logits" (B, 3); with a landmark head (ModelConfig.landmarks)
         "landmarks" (B, 68, 2), fractions of the face's side as the store keeps them
      -> outputs: intensities (B, n_aus) on FERA's 0-5, pose group probabilities (B, 3) or None

Training calls ``forward`` on uint8 frames of the store (the loss is on the 0-1 scale); everything else
(prediction, evaluation, saliency's choice of frames, the ONNX export) calls ``predict`` or ``outputs``.
"""

from __future__ import annotations

import math
import os

import numpy as np
import torch
from torch import nn

from poseau.config import ModelConfig
from poseau.constants import LANDMARK_SHAPE, MODEL_KINDS
from poseau.data.preprocess import Preprocessing
from poseau.errors import PoseauError
from poseau.models.backbones import BACKBONES, create_backbone
from poseau.models.heads import PoseDependentHead, PoseInvariantHead, regressor
from poseau.scales import unit_to_intensity

HEADS = dict(zip(MODEL_KINDS, (PoseInvariantHead, PoseDependentHead), strict=True))


class IntensityModel(nn.Module):
    """What every poseau network offers (an AUModel, or a MixedModel of several): ``aus`` (its outputs, in
    order), ``preprocessing`` (how its input is made), ``forward`` on pixels and the entry point ``predict``."""

    preprocessing: Preprocessing

    @property
    def aus(self) -> tuple[str, ...]:
        raise NotImplementedError

    @property
    def size(self) -> int:
        return self.preprocessing.size

    def outputs(self, faces: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(B, S, S) uint8 faces -> intensities (B, n_aus) on 0-5 and pose group probabilities (B, 3) or None.
        The function that the ONNX export writes out."""
        out = self(faces.unsqueeze(1))
        intensity = unit_to_intensity(out["intensity"].float())
        pose = torch.softmax(out["pose_logits"].float(), 1) if "pose_logits" in out else None
        return intensity, pose

    @torch.no_grad()
    def predict(self, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Intensities (B, n_aus) on 0-5 and pose group probabilities (B, 3) or None, for (B, S, S) uint8
        faces made by ``self.preprocessing``."""
        faces = np.asarray(faces)
        if faces.dtype != np.uint8 or faces.ndim != 3 or faces.shape[1:] != (self.size, self.size):
            raise PoseauError(f"predict takes (B, {self.size}, {self.size}) uint8 faces made by the model's "
                              f"preprocessing, got {faces.dtype} {faces.shape}")
        if not faces.flags.writeable:
            faces = faces.copy()
        device = next(self.parameters()).device
        intensity, pose = self.outputs(torch.from_numpy(faces).to(device))
        return intensity.cpu().numpy(), None if pose is None else pose.cpu().numpy()


def shared_input(members: list[IntensityModel], hint: str = "") -> IntensityModel:
    """The first of ``members``, after checking that every one takes the same input (the same preprocessing,
    so the same size); a ValueError naming ``hint`` (what to do instead) otherwise."""
    first = members[0]
    if any(m.preprocessing != first.preprocessing for m in members[1:]):
        raise ValueError(f"members take different inputs (size or preprocessing){hint}")
    return first


class AUModel(IntensityModel):
    def __init__(self, config: ModelConfig, *, preprocessing: Preprocessing | None = None,
                 weights: str | os.PathLike | None = None, progress: bool = True):
        """``preprocessing``: how its frames are made (default: the paper's, whole frame, at the config's size);
        ``weights``: the backbone's start ("imagenet", a file, or None for random, as when loading)."""
        super().__init__()
        preprocessing = preprocessing or Preprocessing(size=config.size)
        if preprocessing.size != config.size:
            raise PoseauError(f"the model takes {config.size}x{config.size} input, its preprocessing makes "
                              f"{preprocessing.size}x{preprocessing.size}")
        self.config = config
        self.preprocessing = preprocessing
        self.backbone = create_backbone(config.backbone, weights=weights, progress=progress)
        self.spec = self.backbone.spec
        side = BACKBONES[config.backbone].feature_side(config.size)
        channels = config.reduce or self.backbone.out_channels
        # the paper flattens VGG16's 512-channel map into FC 256; EfficientNet-Lite0's 1280 channels make that
        # head 5.2M weights at 64 px and 21M at 112 (four heads), so a 1x1 convolution may thin the map first
        self.reduce = (nn.Sequential(nn.Conv2d(self.backbone.out_channels, config.reduce, 1), nn.ReLU(inplace=True))
                       if config.reduce else nn.Identity())
        self.head = HEADS[config.kind](channels * side * side, len(config.aus), config.hidden)
        self.landmark_head = (regressor(channels * side * side, math.prod(LANDMARK_SHAPE), config.hidden)
                              if config.landmarks else None)

    @property
    def aus(self) -> tuple[str, ...]:
        return self.config.aus

    def forward_features(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.reduce(self.backbone(self.spec.normalise(pixels)))

    def forward_head(self, features: torch.Tensor) -> dict[str, torch.Tensor]:
        out = self.head(features)
        if self.landmark_head is not None:
            out["landmarks"] = 0.5 + self.landmark_head(features).view(-1, *LANDMARK_SHAPE)  # from the frame's centre
        return out

    def forward(self, pixels: torch.Tensor) -> dict[str, torch.Tensor]:
        """(B, 1, S, S) pixels on 0-255 (uint8, or float for gradients) -> the head's outputs on 0-1."""
        if pixels.shape[-2:] != (self.size, self.size):
            raise ValueError(f"input is {tuple(pixels.shape[-2:])}, the model takes {self.size}x{self.size}")
        return self.forward_head(self.forward_features(pixels))
