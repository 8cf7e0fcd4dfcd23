"""Small random-weight AU models for tests whose outputs vary from frame to frame (default initialisation
of a deep network fed random weights gives nearly constant outputs)."""

import torch
from torch import nn

from poseau.config import ModelConfig
from poseau.models.model import AUModel


def random_model(kind: str, aus: tuple[str, ...], seed: int, size: int = 32, preprocessing: dict | None = None):
    torch.manual_seed(seed)
    model = AUModel(ModelConfig(kind=kind, backbone="efficientnet_lite0", aus=aus, size=size, hidden=16))
    for module in model.modules():
        if isinstance(module, nn.Conv2d | nn.Linear):
            nn.init.kaiming_normal_(module.weight)
    model.preprocessing = dict(preprocessing or {"grey": "ITU-R BT.601 luma", "equalize_histogram": True,
                                                 "size": size})
    return model.eval()
