"""Frames per second of `prepare` from H.264 at 224x224, and of reading the store through the Dataset.

Renders a small synthetic FERA 2017 dataset first (not timed), then measures, in one process:
  decode only        PyAV decoding of every video to RGB, one process: the baseline (ratio 1.00)
  prepare, 1 worker  index + decode + grey + equalise + write to the memory map
  prepare, N workers the same with N processes (default: all cores)
  Dataset, direct    FrameDataset items in random order, one process
  DataLoader         batches of 64 of a balanced draw, N loader workers
Usage: python benchmarks/prepare_speed.py [--face-model NPZ] [--frames 150] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from poseau.config import PrepareConfig, SynthConfig
from poseau.data.dataset import FrameDataset
from poseau.data.sampling import balanced_draw
from poseau.data.store import prepare
from poseau.data.video import decode
from poseau.synth.generate import synthesize


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--face-model")
    parser.add_argument("--frames", type=int, default=150, help="frames per video (2 subjects x 9 views)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = synthesize(SynthConfig(train_subjects=2, valid_subjects=0, frames=args.frames), tmp / "data",
                          face_model=args.face_model, workers=args.workers, contact_sheet=False, progress=False)
        videos = sorted(data.rglob("*.mp4"))
        n = sum(1 for v in videos for _ in decode(v))  # also warms the file cache
        print(f"{len(videos)} videos, {n} frames of 224x224 H.264; {args.workers} workers")

        def decode_all():
            for v in videos:
                for frame in decode(v):
                    frame.to_ndarray(format="rgb24")

        config = PrepareConfig(dataset="fera2017", root=str(data))
        base = n / timed(decode_all)
        rows = [("decode only (1 process)", base)]
        rows.append(("prepare, 1 worker", n / timed(lambda: prepare(config, tmp / "s1", workers=1, progress=False))))
        rows.append((f"prepare, {args.workers} workers",
                     n / timed(lambda: prepare(config, tmp / "s2", workers=args.workers, progress=False))))

        dataset = FrameDataset(tmp / "s2")
        order = np.random.default_rng(0).permutation(len(dataset))
        rows.append(("Dataset, direct, random order", len(order) / timed(lambda: [dataset[i] for i in order])))
        draw = balanced_draw(dataset.store.labels, dataset.store.views, n=50)
        loader = torch.utils.data.DataLoader(FrameDataset(tmp / "s2", draw), batch_size=64, shuffle=True,
                                             num_workers=args.workers)
        rows.append((f"DataLoader, batch 64, {args.workers} workers",
                     len(draw.rows) / timed(lambda: [b["image"].shape for b in loader])))
        for name, value in rows:
            print(f"{name:34s} {value:8.0f} frames/s   ratio {value / base:5.2f}")


if __name__ == "__main__":
    main()
