"""What loading once buys: the shipped model on the short videos of ../shared/media, one `poseau.Predictor` for
all of them against `predict_video` per video (which loads and prepares the model each time), in one process.

Usage: python benchmarks/predictor_reuse.py [--media ../shared/media] [--videos 4] [--repeat 2]
Prints seconds per pass over the videos, the load time alone, and the ratio (one-call functions / Predictor).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from poseau.data.video import count_frames
from poseau.infer.predictor import Predictor, predict_video
from poseau.models.shipped import DEFAULT_MODEL


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--media", default=str(Path(__file__).resolve().parents[2] / "shared" / "media"))
    parser.add_argument("--videos", type=int, default=4, help="the shortest videos with a face")
    parser.add_argument("--repeat", type=int, default=2, help="passes over the videos per way")
    args = parser.parse_args()
    videos = sorted((p for p in (Path(args.media) / "videos").iterdir() if "no_face" not in p.name),
                    key=count_frames)[:args.videos]
    frames = sum(count_frames(v) for v in videos)
    load = seconds(lambda: Predictor(DEFAULT_MODEL))
    predictor = Predictor(DEFAULT_MODEL)
    for video in videos:
        predictor.video(video)  # warm-up: caches, the detector's first call
    reused = min(seconds(lambda: [predictor.video(v) for v in videos]) for _ in range(args.repeat))
    each = min(seconds(lambda: [predict_video(v) for v in videos]) for _ in range(args.repeat))
    print(f"{len(videos)} videos, {frames} frames ({', '.join(v.name for v in videos)})")
    print(f"loading and preparing {DEFAULT_MODEL}: {load:.2f} s")
    print(f"one Predictor for all: {reused:.2f} s ({frames / reused:.0f} frames/s)")
    print(f"predict_video per video: {each:.2f} s ({frames / each:.0f} frames/s)")
    print(f"ratio: {each / reused:.2f}x the time when the model is loaded per video")


if __name__ == "__main__":
    main()
