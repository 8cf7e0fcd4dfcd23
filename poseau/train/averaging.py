"""Weight averaging (TrainConfig.ema): an exponential moving average of a model's weights and buffers, updated
after every training step; each epoch validates the averaged weights and a stage keeps its best average."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn


class WeightAverage:
    """avg <- decay x avg + (1 - decay) x weights, for every floating tensor of the state dict; integer buffers
    (batch norm's step count) are copied. ``state``: a saved average to continue from (resume)."""

    def __init__(self, model: nn.Module, decay: float, state: dict[str, torch.Tensor] | None = None):
        self.decay = decay
        start = state if state is not None else model.state_dict()
        self.state = {k: start[k].detach().to(v.device).clone() for k, v in model.state_dict().items()}

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        for key, value in model.state_dict().items():
            average = self.state[key]
            if average.is_floating_point():
                average.mul_(self.decay).add_(value.detach(), alpha=1 - self.decay)
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

    def saved(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().cpu().clone() for k, v in self.state.items()}
