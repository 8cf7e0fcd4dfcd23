"""`poseau evaluate`: score models on a partition of a frame store, as the paper reports them.

For each model, a folder NAME/ with
    predictions.csv      one row per frame: keys, labels (9 = missing), AU12_r (median-filtered when asked),
                         AU12_raw (before the filter), pose group probabilities for a pose-dependent model
    metrics.json         per AU pooled, per view, means over AUs, what was undefined and why
    views_icc|views_rmse|views_pcc .md/.csv/.tex   Tables II-III: per AU and view, and all views pooled
    view_icc.png         Fig. 2: the ICC matrix between views, per AU
    view_scores.png      ICC per AU and view
and beside them models.md/.csv/.tex, Table I: the models side by side.
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from poseau.constants import POSE_COLUMNS, VIEW_POSE_GROUP, intensity_column, intensity_columns, raw_column
from poseau.data.smoothing import smooth_sequences
from poseau.data.store import FrameStore, open_store
from poseau.errors import PoseauError
from poseau.evaluate.figures import plot_view_icc, plot_view_scores
from poseau.evaluate.predictions import partition_rows, predict_store
from poseau.evaluate.scores import score_table
from poseau.evaluate.tables import models_table, views_table, write_table
from poseau.fileio import atomic_path, out_folder, write_text_atomic
from poseau.models.checkpoint import load_model
from poseau.models.model import IntensityModel
from poseau.models.runs import RunFiles
from poseau.options import EVAL_BATCH, EVAL_PARTITION, MEDIAN_WIDTH, check_options

log = logging.getLogger(__name__)


@dataclass
class Evaluation:
    name: str
    model: str            # the model file, or "" for a model passed in memory
    store: str
    partition: str
    median: int           # the median filter's width (1: none)
    aus: list[str]
    table: pd.DataFrame   # the predictions table
    scores: dict          # poseau.evaluate.scores.score_table, plus pose_accuracy where there is one

    def summary(self) -> str:
        mean = self.scores["mean"]
        return (f"{self.name} on {self.partition}: mean ICC {mean['icc']:.3f}, PCC {mean['pcc']:.3f}, "
                f"RMSE {mean['rmse']:.3f} over {', '.join(self.aus)}")

    def view_summary(self) -> str:
        views = self.scores["views"]
        return "  mean ICC per view: " + ", ".join(f"{v} {s['mean']['icc']:.3f}" for v, s in sorted(views.items()))


def model_name(path: str | os.PathLike) -> str:
    """A run's model file takes its run folder's name (runs/inv/model.pt -> inv); other files their stem."""
    run = RunFiles.run_of(path)
    return run.name if run is not None else Path(path).stem


def model_names(models: list, names: list[str] | None) -> list[str]:
    """One distinct name per model: ``names``, else each file's ``model_name``."""
    names = list(names) if names else [model_name(m) for m in models]
    if len(names) != len(models):
        raise PoseauError(f"{len(names)} names for {len(models)} models")
    if len(set(names)) < len(names):
        raise PoseauError(f"models share a name ({', '.join(names)}); name them with --name")
    return names


def evaluate_model(model: str | os.PathLike | IntensityModel, store: FrameStore | str, *,
                   partition: str = EVAL_PARTITION, median: int = MEDIAN_WIDTH, name: str | None = None,
                   device: str = "cpu", batch_size: int = EVAL_BATCH,
                   progress: bool = True) -> Evaluation:
    """Predict every frame of ``partition`` (or "all"), median-filter each sequence (``median`` = 1: no
    filter) and score the result."""
    check_options(median=median, batch_size=batch_size)
    store = open_store(store)
    source = "" if isinstance(model, IntensityModel) else str(model)
    net = model if isinstance(model, IntensityModel) else load_model(model, device=device)
    net.to(device).eval()
    rows = partition_rows(store, partition)
    log.info("predicting %d frames of %s (%s) with %s", len(rows), store.path, partition, source or "a model")
    table = predict_store(net, store, rows, batch_size=batch_size, progress=progress)
    aus = list(net.aus)
    columns = intensity_columns(aus)
    if median > 1:
        for au in aus:
            table[raw_column(au)] = table[intensity_column(au)]
        table = smooth_sequences(table, columns, median)
    scores = score_table(table, aus)
    if set(POSE_COLUMNS) <= set(table.columns):
        truth = table["view"].map(VIEW_POSE_GROUP)
        known = truth.notna().to_numpy()
        guessed = table[list(POSE_COLUMNS)].to_numpy().argmax(1)
        scores["pose_accuracy"] = float((guessed[known] == truth[known]).mean()) if known.any() else float("nan")
    if getattr(net, "selection", None):
        scores["selection"] = net.selection
    name = name or (model_name(source) if source else "model")
    return Evaluation(name, source, str(store.path), partition, median, aus, table, scores)


def _json_safe(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def write_evaluation(ev: Evaluation, folder: str | os.PathLike) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / "predictions.csv") as tmp:
        ev.table.to_csv(tmp, index=False, float_format="%.4f")
    meta = {"name": ev.name, "model": ev.model, "store": ev.store, "partition": ev.partition,
            "median_width": ev.median}
    write_text_atomic(folder / "metrics.json", json.dumps(_json_safe({**meta, **ev.scores}), indent=1) + "\n")
    for metric in ("icc", "rmse", "pcc"):
        title = f"{ev.name}: {metric.upper()} per view, {ev.partition} partition"
        write_table(views_table(ev.scores, metric, title), folder / f"views_{metric}")
    title = f"{ev.name}, {ev.partition} partition"
    if len(ev.scores["views"]) > 1:  # data of one view (BP4D, DISFA, a manifest) has no matrix between views
        plot_view_icc(ev.table, ev.aus, folder / "view_icc.png",
                      f"{title}: ICC between the predictions of two views")
    plot_view_scores(ev.scores, folder / "view_scores.png", f"{title}: ICC per view")
    return folder


def compare(evaluations: list[Evaluation], out: str | os.PathLike) -> list[Path]:
    """Table I: the evaluations' models side by side, as ``out``/models.md, .csv and .tex."""
    partitions = sorted({ev.partition for ev in evaluations})
    title = f"Results on the {' and '.join(partitions)} partition" + ("s" if len(partitions) > 1 else "")
    return write_table(models_table({ev.name: ev.scores for ev in evaluations}, title), Path(out) / "models")


def evaluate_models(models: list[str | os.PathLike], store: FrameStore | str, out: str | os.PathLike, *,
                    partition: str = EVAL_PARTITION, names: list[str] | None = None, median: int = MEDIAN_WIDTH,
                    device: str = "cpu", batch_size: int = EVAL_BATCH, progress: bool = True) -> list[Evaluation]:
    """Evaluate each model file into ``out``/NAME/ and write Table I into ``out``."""
    out = out_folder(out)
    names = model_names(models, names)
    store = open_store(store)
    evaluations = []
    for path, name in zip(models, names, strict=True):
        ev = evaluate_model(path, store, partition=partition, median=median, name=name, device=device,
                            batch_size=batch_size, progress=progress)
        write_evaluation(ev, Path(out) / name)
        log.info("%s", ev.summary())
        evaluations.append(ev)
    compare(evaluations, out)
    return evaluations

