"""Agreement with OpenFace 2.x on real faces: `poseau predict` on the videos of ../shared/media/videos that
have a CSV of the same name in ../shared/media/reference/, rows matched by frame number
(poseau.infer.real_faces).

Pearson r per AU over all paired frames pooled (the headline: FERA scores a partition pooled) and per video
(a diagnostic: where OpenFace barely moves an AU in one video, that video's r is noise). OpenFace is a
reference, not ground truth. Also prints the predict rate of each video and the two strongest AUs of each
photo in ../shared/media/images.
Usage: python benchmarks/real_agreement.py [MODEL] [--media ../shared/media] [--median 1] [--csv out.csv]
MODEL: a model file, run folder, mixed model or shipped model's name (default: the shipped default).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from poseau.infer.predictor import Predictor
from poseau.infer.real_faces import agree_with_reference, strongest_aus
from poseau.models.shipped import DEFAULT_MODEL


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", nargs="?", default=DEFAULT_MODEL)
    parser.add_argument("--media", default=str(Path(__file__).resolve().parents[2] / "shared" / "media"))
    parser.add_argument("--median", type=int, default=1, help="median filter width along each face's frames")
    parser.add_argument("--csv", help="write the table here too")
    args = parser.parse_args()
    predictor = Predictor(args.model, median=args.median)  # loaded once for every video and photo
    found = agree_with_reference(predictor, args.media)
    for video, rate in found.rates.items():
        print(f"{video}: {int(found.table.loc['frames', video])} paired frames, predicted at {rate:.0f} frames/s")
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 200, "display.max_columns", 20):
        print(f"Pearson r with OpenFace 2.x, {args.model}")
        print(found.table)
    images = Path(args.media) / "images"
    if images.is_dir():
        for name, top in strongest_aus(predictor, images).items():
            print(f"{name}: strongest {', '.join(top)}")
    if args.csv:
        found.table.to_csv(args.csv, float_format="%.4f")


if __name__ == "__main__":
    main()
