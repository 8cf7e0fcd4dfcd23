"""The paper's mixed model: for each AU, the candidate model with the higher validation ICC(3,1) (the rule
"best"), or the mean of every candidate that outputs it (the rule "mean").

Candidates may cover different AUs (one network per AU, as the paper, or one for all); each AU is taken
from the best candidate that outputs it. Ties go to the earlier candidate; an AU whose ICC is undefined
for every candidate goes to the first that outputs it, with a warning.
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path

from poseau.constants import AUS, MIX_RULES
from poseau.data.store import FrameStore, open_store
from poseau.errors import PoseauError
from poseau.evaluate.evaluation import Evaluation, evaluate_model, model_names
from poseau.fileio import out_file
from poseau.models.checkpoint import load_model, mixed_record, save_atomic
from poseau.models.mixed import MixedModel
from poseau.options import EVAL_BATCH, EVAL_PARTITION, MEDIAN_WIDTH

log = logging.getLogger(__name__)


def choose(iccs: dict[str, dict[str, float]]) -> dict[str, str]:
    """AU -> the name of the candidate with the highest ICC, from {candidate: {AU: ICC}}."""
    chosen = {}
    for au in AUS:
        having = [(name, s[au]) for name, s in iccs.items() if au in s]
        if not having:
            continue
        defined = [(name, v) for name, v in having if not math.isnan(v)]
        if not defined:
            log.warning("%s: validation ICC undefined for every model; taking %s", au, having[0][0])
        chosen[au] = max(defined, key=lambda nv: nv[1])[0] if defined else having[0][0]
    return chosen


def mix(evaluations: list[Evaluation], out: str | os.PathLike, *, rule: str = "best", device: str = "cpu") -> Path:
    """The mixed model of the evaluated model files (each Evaluation's ``model``) by ``rule`` (MIX_RULES),
    saved at ``out``."""
    if rule not in MIX_RULES:
        raise PoseauError(f"unknown mix rule {rule!r} (known: {', '.join(MIX_RULES)})")
    if any(not ev.model for ev in evaluations):
        raise PoseauError("the mixed model is made from model files; evaluate the files, not models in memory")
    iccs = {ev.name: {au: ev.scores["pooled"][au]["icc"] for au in ev.aus} for ev in evaluations}
    chosen = choose(iccs) if rule == "best" else {au: [n for n, s in iccs.items() if au in s]
                                                  for au in AUS if any(au in s for s in iccs.values())}
    names = [ev.name for ev in evaluations]
    members = [load_model(ev.model, device=device) for ev in evaluations]
    for ev, member in zip(evaluations, members, strict=True):
        if isinstance(member, MixedModel):
            raise PoseauError(f"{ev.model}: is a mixed model; mix the models it was made of")
    selection = {"partition": evaluations[0].partition, "store": evaluations[0].store,
                 "median_width": evaluations[0].median, "candidates": {ev.name: ev.model for ev in evaluations},
                 "icc": iccs, "rule": rule, "chosen": chosen}
    takes = {au: [c] if isinstance(c, str) else c for au, c in chosen.items()}  # AU -> the candidates it averages
    pick = {au: [names.index(n) for n in ns] for au, ns in takes.items()}
    try:
        model = MixedModel(members, pick, selection)
    except ValueError as exc:
        raise PoseauError(f"cannot mix {', '.join(ev.model for ev in evaluations)}: {exc}") from None
    save_atomic(mixed_record(model), out)
    log.info("mixed model %s: %s", out, ", ".join(f"{au} from {' and '.join(ns)}" for au, ns in takes.items()))
    return Path(out)


def select_mixed(models: list[str | os.PathLike], store: FrameStore | str, out: str | os.PathLike, *,
                 partition: str = EVAL_PARTITION, names: list[str] | None = None, median: int = MEDIAN_WIDTH,
                 rule: str = "best", device: str = "cpu", batch_size: int = EVAL_BATCH, progress: bool = True) -> Path:
    """Evaluate each model file on ``partition`` and save their mixed model by ``rule`` at ``out``."""
    out = out_file(out)
    if len(models) < 2:
        raise PoseauError("a mixed model needs two or more model files")
    names = model_names(models, names)
    store = open_store(store)
    evaluations = [evaluate_model(m, store, partition=partition, median=median, name=n, device=device,
                                  batch_size=batch_size, progress=progress) for m, n in zip(models, names, strict=True)]
    return mix(evaluations, out, rule=rule, device=device)
