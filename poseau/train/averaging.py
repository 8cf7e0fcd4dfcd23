"""Weight averaging (TrainConfig.ema): an exponential moving average of a model's weights and buffers, updated
after every training step; each epoch validates the averaged weights and a stage keeps its best average.

The average warms up as timm's ModelEmaV2 does: step n uses min(decay, (1 + n) / (10 + n)), so the first epoch's
average follows the fast-moving weights instead of holding on to the ImageNet start (without it, early stopping
met a lucky early average: measured in benchmarks/README.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn


class WeightAverage:
    """avg <- d x avg + (1 - d) x weights for every floating tensor of the state dict, d the warmed-up decay;
    integer buffers (batch norm's step count) are copied. ``saved``: what ``saved()`` returned (resume)."""

    def __init__(self, model: nn.Module, decay: float, saved: dict | None = None):
        self.decay, self.steps = decay, saved["steps"] if saved else 0
        start = saved["weights"] if saved else model.state_dict()
        self.state = {k: start[k].detach().to(v.device).clone() for k, v in model.state_dict().items()}

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        decay = min(self.decay, (1 + self.steps) / (10 + self.steps))
        self.steps += 1
        for key, value in model.state_dict().items():
            average = self.state[key]
            if average.is_floating_point():
                average.mul_(decay).add_(value.detach(), alpha=1 - decay)
            else:
                average.copy_(value)

    @contextmanager
    def applied(self, model: nn.Module) -> Iterator[None]:
        """The model holds the averaged weights inside the block and its own again after it."""
        own = {k: v.detach().clone() for k, v in model.state_dict().items()}
        model.load_state_dict(self.state)
        try:
            yield
        finally:
            model.load_state_dict(own)

    def saved(self) -> dict:
        return {"weights": {k: v.detach().cpu().clone() for k, v in self.state.items()}, "steps": self.steps}
