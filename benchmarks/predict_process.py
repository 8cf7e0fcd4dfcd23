"""`poseau predict VIDEO --out DIR` as a user runs it: the whole process, start-up, model loading and the PNG
included, in frames of the video per second of wall time. Each variant runs --repeats times, alternating,
and the best run counts; the ratio is against the first variant (the baseline, here detection on every
frame as before following the face was added).

Usage: python benchmarks/predict_process.py [--video ../shared/media/videos/openface__default.wmv]
       [--model poseau-au7-v1] [--repeats 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from poseau.data.video import count_frames
from poseau.models.shipped import DEFAULT_MODEL

VARIANTS = {
    "detect every frame (baseline)": ["--detect-every", "1"],
    "default (follow the face)": [],
    "default, onnxruntime": ["--runtime", "onnx"],
}


def run(video: Path, model: str, extra: list[str]) -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "poseau", "-q", "predict", str(video), "--model", model, "--out", out,
                        *extra], check=True, capture_output=True)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--video", default=str(Path(__file__).resolve().parents[2] / "shared" / "media" / "videos"
                                               / "openface__default.wmv"))
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    video = Path(args.video)
    frames = count_frames(video)
    best = {name: float("inf") for name in VARIANTS}
    for _ in range(args.repeats):
        for name, extra in VARIANTS.items():
            best[name] = min(best[name], run(video, args.model, extra))
    baseline = frames / best[next(iter(VARIANTS))]
    print(f"{video.name}: {frames} frames, model {args.model}; whole process, best of {args.repeats}")
    for name, seconds in best.items():
        print(f"  {name:32s} {seconds:6.2f} s  {frames / seconds:6.1f} frames/s  {frames / seconds / baseline:5.2f}x")


if __name__ == "__main__":
    main()
