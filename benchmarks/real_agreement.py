"""Agreement with OpenFace 2.x on real faces: `poseau predict` on the videos of ../shared/media/videos that
have a CSV of the same name in ../shared/media/reference/, rows matched by frame number
(poseau.infer.real_faces).

Pearson r per AU over all paired frames pooled (FERA scores a partition pooled), per video, and the mean
within-video r per AU over the videos where OpenFace moves that AU (its SD there at least
poseau.evaluate.agreement.MOVES_SD; elsewhere a video's r is noise). OpenFace is a reference, not ground
truth. Also prints the predict rate of each video and the two strongest AUs of each photo in
../shared/media/images.

Usage: python benchmarks/real_agreement.py [MODEL] [--media ../shared/media] [--median 1] [--csv out.csv]
       python benchmarks/real_agreement.py --watch RUN [--every 4]
MODEL: a model file, run folder, mixed model or shipped model's name (default: the shipped default).
--every K scores every K-th frame only (a quick look). --watch RUN is the quick mode beside a training run:
each time the run finishes an epoch (its last.pt changes) the newest weights are scored on every K-th frame
and a row is added to RUN/real_agreement.csv (stage, epoch, pooled and within-video r per AU and their
means), until the run's model.pt is there and scored; epochs that end while one is being scored are skipped.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from poseau.infer.predictor import Predictor
from poseau.infer.real_faces import agree_with_reference, strongest_aus
from poseau.models.checkpoint import read_checkpoint
from poseau.models.runs import RunFiles
from poseau.models.shipped import DEFAULT_MODEL
from poseau.options import DETECT_EVERY

MEDIA = Path(__file__).resolve().parents[2] / "shared" / "media"


def row(found, **keys) -> dict:
    pooled, within = found.table["pooled"], found.within["r"]
    aus = [a for a in found.within.index if a != "mean"]
    return {**keys, "pooled_mean": pooled["mean"], "within_mean": within["mean"],
            **{f"pooled_{au}": pooled[au] for au in aus}, **{f"within_{au}": within[au] for au in aus}}


def watch(run: Path, media: str, every: int, poll: float = 5.0) -> None:
    """Score each epoch of the training run in ``run`` as it finishes (see the module's docstring)."""
    files, seen, out = RunFiles(run), None, run / "real_agreement.csv"
    while True:
        final = files.model.is_file() and not files.last.is_file()
        path = files.model if final else files.last
        stamp = path.stat().st_mtime_ns if path.is_file() else None
        if stamp is not None and stamp != seen:
            seen = stamp
            train = read_checkpoint(path).get("train", {})
            stage = train.get("stages", ["?"])[min(train.get("stage", 0), len(train.get("stages", ["?"])) - 1)]
            found = agree_with_reference(path, media, every=every)
            result = row(found, stage="final" if final else stage, epoch=None if final else train.get("epoch"))
            table = pd.concat([pd.read_csv(out), pd.DataFrame([result])]) if out.is_file() else pd.DataFrame([result])
            table.to_csv(out, index=False, float_format="%.4f")
            when = result["stage"] + ("" if final else f" epoch {result['epoch']}")
            print(f"{when}: pooled r {result['pooled_mean']:.3f}, "
                  f"within-video r {result['within_mean']:.3f} -> {out}", flush=True)
        if final:
            return
        time.sleep(poll)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", nargs="?", default=DEFAULT_MODEL)
    parser.add_argument("--media", default=str(MEDIA))
    parser.add_argument("--median", type=int, default=1, help="median filter width along each face's frames")
    parser.add_argument("--every", type=int, help="score every K-th frame only (default: 1; with --watch, 4)")
    parser.add_argument("--watch", help="a training run folder: score each epoch as it finishes")
    parser.add_argument("--csv", help="write the table here too")
    args = parser.parse_args()
    every = args.every or (4 if args.watch else 1)
    if args.watch:
        watch(Path(args.watch), args.media, every)
        return
    predictor = Predictor(args.model, median=args.median, detect_every=1 if every > 1 else DETECT_EVERY)
    found = agree_with_reference(predictor, args.media, every=every)
    for video, rate in found.rates.items():
        print(f"{video}: {int(found.table.loc['frames', video])} paired frames, predicted at {rate:.0f} frames/s")
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 200, "display.max_columns", 20):
        print(f"Pearson r with OpenFace 2.x, {args.model}")
        print(found.table)
        print("within-video r (over the videos where OpenFace moves the AU):")
        print(found.within.T)
    images = Path(args.media) / "images"
    if images.is_dir() and every == 1:
        for name, top in strongest_aus(predictor, images).items():
            print(f"{name}: strongest {', '.join(top)}")
    if args.csv:
        found.table.assign(within=found.within["r"]).to_csv(args.csv, float_format="%.4f")


if __name__ == "__main__":
    main()
