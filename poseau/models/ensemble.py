"""An ensemble: the mean of several models' intensities, as one model. Its members are models of one recipe
trained with different seeds (poseau.pretrain with ``ensemble``); they take the same input and give the same AUs.

    pixels (B, 1, S, S) -> every member -> {"intensity": the members' mean (B, n_aus), "pose_logits": the log
    of the members' mean pose probabilities (B, 3), where every member has a pose estimator}
"""

from __future__ import annotations

import torch
from torch import nn

from poseau.models.model import IntensityModel, shared_input


class EnsembleModel(IntensityModel):
    def __init__(self, members: list[IntensityModel], seeds: list[int] | None = None):
        """``members``: AUModels or MixedModels; ``seeds``: the seed each was trained with (kept for reports)."""
        super().__init__()
        if len(members) < 2:
            raise ValueError("an ensemble needs two or more models")
        first = shared_input(members)
        for m in members[1:]:
            if m.aus != first.aus:
                raise ValueError(f"members give different AUs ({', '.join(first.aus)} against {', '.join(m.aus)})")
        if seeds is not None and len(seeds) != len(members):
            raise ValueError(f"{len(seeds)} seeds for {len(members)} members")
        self.members = nn.ModuleList(members)
        self.seeds = list(seeds) if seeds is not None else None
        self.preprocessing = first.preprocessing
        self.spec = first.spec

    @property
    def aus(self) -> tuple[str, ...]:
        return self.members[0].aus

    def forward(self, pixels: torch.Tensor) -> dict[str, torch.Tensor]:
        outs = [m(pixels) for m in self.members]
        result = {"intensity": torch.stack([o["intensity"] for o in outs]).mean(0)}
        if all("pose_logits" in o for o in outs):
            probabilities = torch.stack([torch.softmax(o["pose_logits"].float(), 1) for o in outs]).mean(0)
            result["pose_logits"] = probabilities.log()
        return result
