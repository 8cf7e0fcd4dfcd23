"""`poseau demo`, the project's main job: the whole system on synthetic data, end to end.

    OUT/data/        the synthetic dataset (FERA 2017 layout, the varied look) and its contact sheet
    OUT/store/       its frame store at the models' size, cut around the face as `poseau predict` cuts
    OUT/runs/pose-invariant/, OUT/runs/pose-dependent/   the two training runs (all 7 AUs)
    OUT/valid/       both models on the validation subjects (Table I, Tables II-III, Fig. 2)
    OUT/mixed.pt     per AU, the model with the higher validation ICC
    OUT/test/        the three models on the held-out test subjects
    OUT/saliency/    the mixed model's saliency maps on the test subjects (Fig. 3)
    OUT/report.md, OUT/report.html, OUT/demo.yaml

Each step keeps what a previous run of the same config finished, so a killed demo continues.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from poseau.config import SynthConfig, load_config, save_config
from poseau.constants import MODEL_KINDS
from poseau.data.store import prepare
from poseau.errors import PoseauError
from poseau.evaluate.evaluation import Evaluation, compare, evaluate_model, write_evaluation
from poseau.evaluate.predictions import partition_rows
from poseau.evaluate.selection import mix
from poseau.explain.saliency import saliency_maps, saliency_title, write_saliency
from poseau.fileio import out_folder
from poseau.models.checkpoint import load_model
from poseau.options import RENDER_WORKERS
from poseau.recipes import DemoConfig
from poseau.report import write_report
from poseau.synth.generate import synthesize
from poseau.train.loop import train

log = logging.getLogger(__name__)


def render_once(config: SynthConfig, data: Path, face_model, workers: int, progress: bool) -> None:
    """Render ``config`` into ``data``, unless a finished rendering of the same config is there."""
    done = data / "synth_config.yaml"
    if done.is_file() and (data / "synth_info.json").is_file() and load_config(SynthConfig, done) == config:
        log.info("%s: already rendered", data)
        return
    synthesize(config, data, face_model=face_model, workers=workers, progress=progress)


def _evaluate(model: Path, store, partition: str, name: str, out: Path, config: DemoConfig, device: str,
              progress: bool) -> Evaluation:
    ev = evaluate_model(model, store, partition=partition, median=config.median, name=name, device=device,
                        progress=progress)
    write_evaluation(ev, out / partition / name)
    return ev


def claim_folder(config, out: str | os.PathLike) -> Path:
    """``out`` with ``config`` saved in it (its FILE), unless it holds a run of another config: a killed run of
    the same config continues there."""
    out = out_folder(out)
    if (out / config.FILE).is_file() and load_config(type(config), out / config.FILE) != config:
        raise PoseauError(f"{out}: holds a run of another config ({out / config.FILE}); choose another --out or "
                          "delete it")
    save_config(config, out / config.FILE)
    return out


def run_demo(config: DemoConfig | None = None, out: str | os.PathLike = "poseau-demo", *,
             face_model: str | os.PathLike | None = None, workers: int | None = None, device: str = "cpu",
             progress: bool = True) -> Path:
    """Run the demo into ``out``; the path of its report (HTML)."""
    config = config or DemoConfig()
    out = claim_folder(config, out)
    workers = workers or RENDER_WORKERS
    tic = time.perf_counter()
    render_once(config.synth(), out / "data", face_model, workers, progress)
    store = prepare(config.prepare(out / "data"), out / "store", workers=workers, progress=progress)
    log.info("frame store %s: %s", store.path, store.meta["summary"])
    models = {}
    for kind in MODEL_KINDS:
        models[kind] = train(config.model(kind), config.train(kind), store, out / "runs" / kind, device=device,
                             resume=True, progress=progress)
    evaluations = {}
    for partition in ("valid", "test"):
        for kind in MODEL_KINDS:
            evaluations[partition, kind] = _evaluate(models[kind], store, partition, kind, out, config, device,
                                                     progress)
        if partition == "valid":
            models["mixed"] = mix([evaluations["valid", k] for k in MODEL_KINDS], out / "mixed.pt", rule=config.mix,
                                  device=device)
    mixed = evaluations["test", "mixed"] = _evaluate(models["mixed"], store, "test", "mixed", out, config, device,
                                                     progress)
    for partition in ("valid", "test"):
        compare([e for (p, _), e in evaluations.items() if p == partition], out / partition)
    net = load_model(models["mixed"], device=device)
    maps = saliency_maps(net, store, mixed.table, partition_rows(store, "test"), frames=config.saliency_frames,
                         progress=progress)
    write_saliency(maps, out / "saliency", saliency_title("mixed", config.saliency_frames, "test"))
    _, page = write_report(out)
    for ev in evaluations.values():
        print(ev.summary())
        if ev.scores["views"]:
            print(ev.view_summary())
    print(maps.face_summary())
    log.info("demo finished in %.1f min", (time.perf_counter() - tic) / 60)
    return page
