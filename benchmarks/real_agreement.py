"""Agreement with OpenFace 2.x on real faces: `poseau predict` on the videos of ../shared/media/videos that
have a CSV of the same name in ../shared/media/reference/, rows matched by frame number.

Pearson r per AU over all paired frames pooled (the headline: FERA scores a partition pooled) and per video
(a diagnostic: where OpenFace barely moves an AU in one video, that video's r is noise). OpenFace is a
reference, not ground truth. Also prints the predict rate of each video.
Usage: python benchmarks/real_agreement.py MODEL [--media ../shared/media] [--median 1] [--csv out.csv]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from poseau.evaluate.agreement import agreement, paired, read_reference
from poseau.infer.predict import predict_video
from poseau.infer.runners import load_runner


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", help="a model file, run folder or mixed model")
    parser.add_argument("--media", default=str(Path(__file__).resolve().parents[2] / "shared" / "media"))
    parser.add_argument("--median", type=int, default=1, help="median filter width along each face's frames")
    parser.add_argument("--csv", help="write the table here too")
    args = parser.parse_args()
    media = Path(args.media)
    runner = load_runner(args.model)
    pairs = {}
    for reference in sorted((media / "reference").glob("*.csv")):
        video = next((v for v in (media / "videos").glob(reference.stem + ".*")), None)
        if video is None:
            continue
        start = time.perf_counter()
        ours = predict_video(video, runner, median=args.median)
        rate = len(ours["frame"].unique()) / (time.perf_counter() - start)
        pairs[video.name] = paired(ours, read_reference(reference), runner.aus)
        print(f"{video.name}: {len(pairs[video.name])} paired frames, predicted at {rate:.0f} frames/s")
    table = agreement(pairs, runner.aus)
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 200, "display.max_columns", 20):
        print(f"Pearson r with OpenFace 2.x, {args.model}")
        print(table)
    if args.csv:
        table.to_csv(args.csv, float_format="%.4f")


if __name__ == "__main__":
    main()
