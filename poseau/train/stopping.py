"""Early stopping: the paper stops "when the validation loss starts to increase" (patience 1)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass


@dataclass
class EarlyStopping:
    patience: int = 1
    best: float = math.inf
    best_epoch: int = -1
    bad_epochs: int = 0

    def step(self, epoch: int, val_loss: float) -> bool:
        """Record an epoch's validation loss; True when it is the lowest so far."""
        if val_loss < self.best:
            self.best, self.best_epoch, self.bad_epochs = val_loss, epoch, 0
            return True
        self.bad_epochs += 1
        return False

    @property
    def stop(self) -> bool:
        return self.bad_epochs >= self.patience

    def state(self) -> dict:
        return asdict(self)
