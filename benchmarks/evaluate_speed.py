"""What evaluation costs beside the network: smoothing, scoring, tables and figures, and saliency maps.

Renders a small synthetic dataset (one subject per partition) and prepares it at 64 px (not timed). On the
validation partition, with a random-weight pose-dependent EfficientNet-Lite0 for all 7 AUs, it times in
one process:
  predict     the network over every frame (predict_store): the baseline, 1.00
  smooth      the median filter of width 3 along each of the 9 sequences
  score       ICC, PCC and RMSE per AU, pooled and per view (score_table)
  write       predictions.csv, metrics.json, 3 tables in 3 formats, 2 figures (write_evaluation)
  saliency    the gradient maps of the top 10 frames per AU and view (630 backward passes)
and, per frame, saliency against prediction. Each ratio is that step's time over predict's.
Usage: python benchmarks/evaluate_speed.py [--face-model NPZ] [--frames 60] [--size 64]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from poseau.config import ModelConfig, PrepareConfig, SynthConfig
from poseau.constants import AUS
from poseau.data.smoothing import smooth_sequences
from poseau.data.store import prepare
from poseau.evaluate.evaluation import Evaluation, write_evaluation
from poseau.evaluate.predictions import partition_rows, predict_store
from poseau.evaluate.scores import score_table
from poseau.explain.saliency import saliency_maps
from poseau.models.model import AUModel
from poseau.synth.generate import synthesize


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--face-model")
    parser.add_argument("--frames", type=int, default=60, help="frames per sequence")
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        config = SynthConfig(train_subjects=0, valid_subjects=1, frames=args.frames, size=max(96, args.size))
        data = synthesize(config, tmp / "data", face_model=args.face_model, workers=2, contact_sheet=False,
                          progress=False)
        store = prepare(PrepareConfig(root=str(data), size=args.size), tmp / "store", workers=2, progress=False)
        torch.manual_seed(0)
        model = AUModel(ModelConfig(kind="pose-dependent", backbone="efficientnet_lite0", aus=AUS, size=args.size))
        model.eval()
        rows = partition_rows(store, "valid")
        predict_store(model, store, rows[:64], progress=False)  # warm-up
        table, predict = timed(lambda: predict_store(model, store, rows, progress=False))
        columns = [f"{au}_r" for au in AUS]
        smoothed, smooth = timed(lambda: smooth_sequences(table, columns, 3))
        scores, score = timed(lambda: score_table(smoothed, AUS))
        ev = Evaluation("bench", "", str(store.path), "valid", 3, list(AUS), smoothed, scores)
        _, write = timed(lambda: write_evaluation(ev, tmp / "eval"))
        _, saliency = timed(lambda: saliency_maps(model, store, table, rows, frames=10, progress=False))
    n = len(rows)
    print(f"threads {torch.get_num_threads()}, {n} frames at {args.size} px, pose-dependent Lite0, 7 AUs")
    print(f"{'step':10s} {'seconds':>8s} {'ratio':>6s}")
    for name, seconds in (("predict", predict), ("smooth", smooth), ("score", score), ("write", write),
                          ("saliency", saliency)):
        print(f"{name:10s} {seconds:8.3f} {seconds / predict:6.2f}")
    per_frame = (saliency / (10 * 9 * len(AUS))) / (predict / n)
    print(f"predict {n / predict:.0f} frames/s; a saliency frame costs {per_frame:.1f} predicted frames")


if __name__ == "__main__":
    main()
