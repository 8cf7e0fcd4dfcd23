"""VGG16's five convolutional stages (13 conv layers + 5 max pools), as the paper's shared bottom.

Parameter names follow torchvision's `vgg16` (`features.N.weight`), so its ImageNet file loads as is.
At 224x224 the output is (B, 512, 7, 7), what the paper's regressors see.
"""

from __future__ import annotations

import torch
from torch import nn

from poseau.models.input_spec import InputSpec

# channels per conv layer, "M" = 2x2 max pool: configuration D of Simonyan & Zisserman
VGG16_LAYERS = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")
IMAGENET = InputSpec(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))


class VGG16Features(nn.Module):
    out_channels = 512
    spec = IMAGENET

    def __init__(self):
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for item in VGG16_LAYERS:
            if item == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(channels, item, 3, padding=1), nn.ReLU(inplace=True)]
                channels = item
        self.features = nn.Sequential(*layers)

    @staticmethod
    def feature_side(size: int) -> int:  # five 2x2 pools, each rounding down
        return size // 32

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 3, H, W) -> (B, 512, H/32, W/32)
        return self.features(x)
