"""`poseau pretrain`: the recipe of the shipped model (poseau.models.shipped), end to end; a killed run continues.

    OUT/data, store, runs, valid, test, mixed.pt, saliency, report.*   the demo's steps (poseau.demo) at the
                     recipe's scale: render, prepare, train both models, pick the mixed model on the
                     validation subjects, score on the recipe's test subjects, saliency maps
    OUT/holdout/     a synthetic test set rendered with a seed the recipe never uses (FERA 2017 layout), its
                     store, and the mixed model's scores on it (mixed/)
    OUT/neutral/     faces with every AU at 0 (another unused seed): the mean predicted intensity
    OUT/NAME/        what ships in poseau/weights/NAME/: model.pt (int8 or half precision), and the scores of
                     that file (not of the float32 mixed.pt) in scores.json and MODEL_CARD.md

With ``ensemble`` above 1 the demo's steps run once per seed, each in OUT/seedS/ (S = seed, seed + 1, ...), and
what ships is OUT/ensemble.pt, the mean of their mixed models (poseau.models.ensemble); it is scored on the first
seed's test subjects.

With ``media`` (a folder with videos/, reference/ and images/, as ../shared/media), the model is also scored
against OpenFace 2.x's output on the videos, and the strongest AUs of each photo are recorded.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from poseau.card import write_model_card
from poseau.config import to_dict
from poseau.constants import intensity_column
from poseau.data.store import FrameStore, prepare
from poseau.demo import claim_folder, render_once, run_demo
from poseau.evaluate.evaluation import evaluate_model, write_evaluation
from poseau.evaluate.predictions import partition_rows, predict_store
from poseau.export.onnx import export_onnx
from poseau.fileio import write_text_atomic
from poseau.infer.real_faces import agree_with_reference, strongest_aus
from poseau.models.checkpoint import compact_record, load_model, read_checkpoint, save_atomic, save_ensemble
from poseau.models.shipped import CARD_FILE, MODEL_FILE, ONNX_FILE, SCORES_FILE
from poseau.options import RENDER_WORKERS
from poseau.recipes import PretrainConfig

log = logging.getLogger(__name__)


def score_summary(scores: dict) -> dict:
    """Mean ICC, PCC and RMSE, per AU, and the mean ICC per view, of an evaluation's scores (or its metrics.json)."""
    return {**scores["mean"], "aus": {au: scores["pooled"][au] for au in scores["aus"]},
            "views": {str(v): scores["views"][v]["mean"]["icc"] for v in sorted(scores["views"], key=int)},
            "frames": scores["frames"]}


def _store(config: PretrainConfig, data: Path, out: Path, workers: int, progress: bool) -> FrameStore:
    return prepare(config.prepare(data), out, workers=workers, progress=progress)


def neutral_intensity(model, store: FrameStore, progress: bool) -> dict:
    """The mean predicted intensity (0-5) per AU, and over all, on the store's test frames (all AUs at 0)."""
    table = predict_store(model, store, partition_rows(store, "test"), progress=progress)
    means = {au: float(table[intensity_column(au)].mean()) for au in model.aus}
    return {"mean": float(np.mean(list(means.values()))), "aus": means, "frames": len(table)}


def _measure(config: PretrainConfig, out: Path, path: Path, face_model, workers: int, device: str, media,
             progress: bool) -> dict:
    """The scores of the model file at ``path`` (the one that ships, in its stored precision)."""
    model = load_model(path, device=device)
    store = FrameStore(member_folder(config, out, config.seed) / "store")
    test = evaluate_model(model, store, partition="test", median=config.median, name=config.name,
                          device=device, progress=progress)
    scores = {"synthetic_test": score_summary(test.scores)}
    holdout = out / "holdout"
    render_once(config.holdout(), holdout / "data", face_model, workers, progress)
    ev = evaluate_model(model, _store(config, holdout / "data", holdout / "store", workers, progress),
                        partition="test", median=config.median, name="mixed", device=device, progress=progress)
    write_evaluation(ev, holdout / "mixed")
    scores["synthetic_holdout"] = score_summary(ev.scores)
    neutral = out / "neutral"
    render_once(config.holdout(neutral=True), neutral / "data", face_model, workers, progress)
    scores["neutral"] = neutral_intensity(model, _store(config, neutral / "data", neutral / "store", workers,
                                                        progress), progress)
    if media:
        found = agree_with_reference(model, media)
        pooled = found.table["pooled"]
        scores["real"] = {"reference": "OpenFace 2.x", "media": str(media), "frames": int(pooled["frames"]),
                          "mean": float(pooled["mean"]), "aus": {au: float(pooled[au]) for au in model.aus},
                          "videos": list(found.table.columns[:-1]),
                          "within": {au: _number(found.within.loc[au, "r"]) for au in model.aus},
                          "within_mean": _number(found.within.loc["mean", "r"])}
        if (Path(media) / "images").is_dir():
            scores["images_top2"] = strongest_aus(model, Path(media) / "images")
    return scores


def _number(value) -> float | None:
    """A score for JSON: None where it is undefined."""
    return None if pd.isna(value) else float(value)


def training_minutes(out: Path) -> float:
    """The minutes both training runs spent in their epochs (validation included), from their train.csv."""
    return sum(float(pd.read_csv(csv)["seconds"].sum()) for csv in sorted(out.glob("**/runs/*/train.csv"))) / 60


def member_folder(config: PretrainConfig, out: Path, seed: int) -> Path:
    """Where the demo's steps of ``seed`` run: OUT itself without an ensemble, else OUT/seedS."""
    return out if config.ensemble == 1 else out / f"seed{seed}"


def train_members(config: PretrainConfig, out: Path, face_model, workers: int, device: str, progress: bool) -> Path:
    """The demo's steps for each seed of the recipe; the model to ship in float32 (OUT/mixed.pt, or the
    ensemble of every seed's mixed.pt at OUT/ensemble.pt)."""
    if config.ensemble == 1:
        run_demo(config, out, face_model=face_model, workers=workers, device=device, progress=progress)
        return out / "mixed.pt"
    claim_folder(config, out)
    for seed in config.seeds:
        log.info("ensemble member seed %d of %s", seed, ", ".join(map(str, config.seeds)))
        run_demo(config.member(seed), member_folder(config, out, seed), face_model=face_model, workers=workers,
                 device=device, progress=progress)
    return save_ensemble([member_folder(config, out, s) / "mixed.pt" for s in config.seeds], out / "ensemble.pt",
                         seeds=list(config.seeds))


def write_model(config: PretrainConfig, source: Path, out: Path) -> Path:
    """OUT/NAME/model.pt: the model file ``source`` in the config's precision; and beside it model.onnx, the
    same network for onnxruntime (int8 weights where model.pt has them), parity-checked."""
    path = save_atomic(compact_record(read_checkpoint(source), config.precision), out / config.name / MODEL_FILE)
    export_onnx(path, path.with_name(ONNX_FILE), int8=config.precision == "int8")
    return path


def write_scores(config: PretrainConfig, path: Path, scores: dict, device: str) -> None:
    """Beside the model file: scores.json and MODEL_CARD.md."""
    out = path.parent.parent
    scores = {**scores, "model_mb": path.stat().st_size / 2**20, "train_minutes": training_minutes(out),
              "train_device": f"{device}, {torch.get_num_threads()} threads",
              "recipe": {"config": type(config).__name__, **to_dict(config)}}
    write_text_atomic(path.parent / SCORES_FILE, json.dumps(scores, indent=1) + "\n")
    write_model_card(config, scores, path.parent / CARD_FILE)


def run_pretrain(config: PretrainConfig | None = None, out: str | os.PathLike = "poseau-pretrain", *,
                 face_model: str | os.PathLike | None = None, workers: int | None = None, device: str = "cpu",
                 media: str | os.PathLike | None = None, progress: bool = True) -> Path:
    """Run the recipe into ``out``; the folder of the model to ship (OUT/NAME)."""
    config = config or PretrainConfig()
    out = Path(out)
    workers = workers or RENDER_WORKERS
    tic = time.perf_counter()
    path = write_model(config, train_members(config, out, face_model, workers, device, progress), out)
    write_scores(config, path, _measure(config, out, path, face_model, workers, device, media, progress), device)
    log.info("pretrain finished in %.1f min; the model to ship: %s", (time.perf_counter() - tic) / 60, path.parent)
    return path.parent
