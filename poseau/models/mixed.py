"""The paper's mixed model: for each AU, the output of the member model chosen for it (by validation ICC,
see poseau.evaluate.selection), or the mean of the outputs of the members chosen for it (the rule "mean").
Members must take the same input: the same preprocessing.

    pixels (B, 1, S, S) -> each member that some AU uses -> {"intensity": (B, n_aus)} in poseau.constants.AUS
    order, plus "pose_logits" (B, 3) of the first pose-dependent member used
"""

from __future__ import annotations

import torch
from torch import nn

from poseau.constants import AUS
from poseau.models.model import AUModel, IntensityModel, shared_input


class MixedModel(IntensityModel):
    def __init__(self, members: list[AUModel], pick: dict[str, int | list[int]], selection: dict | None = None):
        """``pick``: AU -> index of the member whose output it takes, or the indices of the members whose mean it
        takes; ``selection``: why (kept for reports)."""
        super().__init__()
        if not pick:
            raise ValueError("a mixed model needs at least one AU")
        pick = {au: (i,) if isinstance(i, int) else tuple(i) for au, i in pick.items()}
        for au, chosen in pick.items():
            if not chosen:
                raise ValueError(f"{au} takes no member")
            for i in chosen:
                if not 0 <= i < len(members) or au not in members[i].aus:
                    raise ValueError(f"{au} is not an output of member {i}")
        first = shared_input(members, "; mix models of one store")
        used = sorted({i for chosen in pick.values() for i in chosen})
        self.members = nn.ModuleList(members[i] for i in used)
        self.pick = {au: tuple(used.index(i) for i in pick[au]) for au in AUS if au in pick}
        self.selection = dict(selection or {})
        self.preprocessing = first.preprocessing
        self.spec = first.spec

    @property
    def aus(self) -> tuple[str, ...]:
        return tuple(self.pick)

    def forward(self, pixels: torch.Tensor) -> dict[str, torch.Tensor]:
        outs = [m(pixels) for m in self.members]
        intensity = torch.stack([torch.stack([outs[i]["intensity"][:, self.members[i].aus.index(au)] for i in chosen]
                                             ).mean(0) for au, chosen in self.pick.items()], 1)
        result = {"intensity": intensity}
        pose = next((o["pose_logits"] for o in outs if "pose_logits" in o), None)
        if pose is not None:
            result["pose_logits"] = pose
        return result
