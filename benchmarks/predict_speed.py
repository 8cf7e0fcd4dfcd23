"""`poseau predict` end to end on the sample videos in ../shared/media: frames per second for PyTorch and
onnxruntime, beside the model alone.

A random-weight pose-invariant EfficientNet-Lite0 for the 7 AUs at --size (the demo's 64, the paper's 224).
Per runtime and video, timed in one process after a warm-up:
  decode       decoding alone (PyAV)
  + detect     decoding and face detection (YuNet)
  end to end   predict_video: decode, detect, crop and preprocess, the model in batches, the table
  model alone  the runner on as many preprocessed faces, in predict's batches (the baseline, 1.00)
Usage: python benchmarks/predict_speed.py [--media ../shared/media] [--sizes 64,224]
"""

from __future__ import annotations

import argparse
import time
from functools import partial
from pathlib import Path

import numpy as np
import torch

from poseau.config import ModelConfig
from poseau.constants import AUS
from poseau.data.video import iter_frames
from poseau.faces.detect import make_detector
from poseau.infer.onnx_runner import OnnxRunner
from poseau.infer.predict import default_batch
from poseau.infer.predictor import predict_video
from poseau.infer.runners import TorchRunner
from poseau.models.model import AUModel
from poseau.models.onnx_graph import onnx_bytes


def rate(fn, frames: int) -> float:
    start = time.perf_counter()
    fn()
    return frames / (time.perf_counter() - start)


def detect_all(detector, frames: list) -> None:
    for frame in frames:
        detector.detect_all(frame)


def in_batches(runner, faces: np.ndarray, batch: int) -> None:
    for i in range(0, len(faces), batch):
        runner(faces[i:i + batch])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--media", default=str(Path(__file__).resolve().parents[2] / "shared" / "media"))
    parser.add_argument("--sizes", default="64,224")
    args = parser.parse_args()
    detector = make_detector("yunet")
    videos = [v for v in sorted((Path(args.media) / "videos").iterdir()) if "no_face" not in v.name]
    print(f"threads {torch.get_num_threads()}; frames/s; ratio = end to end / model alone")
    print(f"{'video':26s} {'size':>4s} {'runtime':8s} {'decode':>7s} {'+detect':>8s} {'end2end':>8s} "
          f"{'model':>7s} {'ratio':>6s}")
    for size in (int(s) for s in args.sizes.split(",")):
        torch.manual_seed(0)
        model = AUModel(ModelConfig(backbone="efficientnet_lite0", aus=AUS, size=size)).eval()
        runners = {"torch": TorchRunner(model), "onnx": OnnxRunner(onnx_bytes(model))}
        for video in videos:
            frames = list(iter_frames(video))
            n = len(frames)
            decode = rate(partial(list, iter_frames(video)), n)
            detect = 1 / (1 / decode + 1 / rate(partial(detect_all, detector, frames), n))
            faces = np.random.default_rng(0).integers(0, 256, (n, size, size), dtype=np.uint8)
            for name, runner in runners.items():
                predict_video(video, runner, detector=detector)  # warm-up
                end = rate(partial(predict_video, video, runner, detector=detector), n)
                alone = rate(partial(in_batches, runner, faces, default_batch(size)), n)
                print(f"{video.name:26s} {size:4d} {name:8s} {decode:7.0f} {detect:8.0f} {end:8.0f} {alone:7.0f} "
                      f"{end / alone:6.2f}", flush=True)

if __name__ == "__main__":
    main()
