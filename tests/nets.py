"""Small random-weight AU models for tests whose outputs vary from frame to frame (default initialisation
of a deep network fed random weights gives nearly constant outputs)."""

import torch
from torch import nn

from poseau.config import ModelConfig
from poseau.data.preprocess import Preprocessing
from poseau.models.model import AUModel


def random_model(kind: str, aus: tuple[str, ...], seed: int, size: int = 32,
                 preprocessing: Preprocessing | None = None):
    torch.manual_seed(seed)
    model = AUModel(ModelConfig(kind=kind, backbone="efficientnet_lite0", aus=aus, size=size, hidden=16),
                    preprocessing=preprocessing)
    for module in model.modules():
        if isinstance(module, nn.Conv2d | nn.Linear):
            nn.init.kaiming_normal_(module.weight)
    return model.eval()
