"""What each stage trains, its optimiser and learning rate, and the order of an epoch's batches."""

from __future__ import annotations

import math

import numpy as np
import torch

from poseau.config import TrainConfig
from poseau.models.model import AUModel
from poseau.train import distributed as dist


def set_trainable(model: AUModel, stage: str) -> None:
    """What each stage trains: the pose estimator alone on a frozen bottom in "pose"; no pose estimator in
    "routed" (the known pose routes); everything in "regress" and "joint"."""
    for p in model.parameters():
        p.requires_grad_(stage != "pose")
    if model.config.kind == "pose-dependent":
        for p in model.head.pose.parameters():
            p.requires_grad_(stage in ("pose", "joint"))


def make_optimizer(model: AUModel, config: TrainConfig) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)


def epoch_lr(config: TrainConfig, epoch: int) -> float:
    """The learning rate of an epoch (from 0): constant, or cosine from lr down towards 0 over max_epochs."""
    if config.schedule == "cosine":
        return config.lr * 0.5 * (1 + math.cos(math.pi * epoch / config.max_epochs))
    return config.lr


def epoch_batches(n: int, batch_size: int, seed: int, stage: int, epoch: int, world: dist.World) -> list[list[int]]:
    """This process's slice of each batch of an epoch, in an order set by (seed, stage, epoch) only."""
    order = np.random.default_rng([seed, stage, epoch]).permutation(n)
    return [dist.shard(order[i:i + batch_size].tolist(), world) for i in range(0, n - batch_size + 1, batch_size)]
