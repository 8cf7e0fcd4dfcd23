"""One lever of the model's recipe, measured: the demo's recipe for one model kind trained on a store with some of
its settings changed, scored on the store's held-out synthetic test subjects (mean ICC, `poseau evaluate`'s
scores) and against OpenFace 2.x on the real videos of ../shared/media (pooled and within-video r,
benchmarks/real_agreement.py's yardstick). A lever is kept where real agreement rises, not where only the
synthetic score does.

Usage: python benchmarks/lever.py STORE OUT [--model pose-invariant] [--media ../shared/media] -- [demo options]
  STORE   a store made as the demo makes one (poseau-demo/store)
  OUT     the training run folder (resumes there)
  after --, options of `poseau demo` that change the recipe: --degrade, --max-epochs 5, --lr 0.002, ...
Prints one row: the lever, real pooled and within-video r per AU and their means, synthetic ICC.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from poseau.cli import build_parser
from poseau.data.store import FrameStore
from poseau.evaluate.evaluation import evaluate_model
from poseau.infer.real_faces import agree_with_reference
from poseau.options import from_options, to_argv
from poseau.recipes import DemoConfig
from poseau.train.loop import train

MEDIA = Path(__file__).resolve().parents[2] / "shared" / "media"


def main() -> None:
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("out")
    parser.add_argument("--model", default="pose-invariant", choices=("pose-invariant", "pose-dependent"))
    parser.add_argument("--media", default=str(MEDIA))
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    config = from_options(DemoConfig, build_parser().parse_args(["demo", *extra]))
    store = FrameStore(args.store)
    path = train(config.model(args.model), config.train(args.model), store, args.out, resume=True, progress=False)
    test = evaluate_model(path, store, partition="test", median=config.median, progress=False)
    real = agree_with_reference(path, args.media)
    pooled, within = real.table["pooled"], real.within["r"]
    aus = [a for a in within.index if a != "mean"]
    lever = " ".join(to_argv(config)) or "(the demo's recipe)"
    print("lever | model | real pooled r: " + " ".join(aus) + " mean | within-video r: the same | synthetic ICC")
    print(f"{lever} | {args.model} | " + " ".join(f"{pooled[a]:.2f}" for a in aus) + f" {pooled['mean']:.2f} | "
          + " ".join(f"{within[a]:.2f}" for a in aus) + f" {within['mean']:.2f} | {test.scores['mean']['icc']:.3f}")


if __name__ == "__main__":
    main()
