"""Levers at prediction time, on the shipped models, scored as benchmarks/real_agreement.py scores a model
(Pearson r with OpenFace 2.x on the shared videos, pooled and within video):

- each model alone;
- mirrored too: every face scored as given and mirrored left to right, the two intensities averaged;
- the models' outputs averaged (weight W for the first, 1 - W for the second);
- the models' weights averaged ("model soup": one network, the members' parameters averaged, the second
  model's mixing kept), which costs nothing at prediction time where it works.

Usage: python benchmarks/inference_levers.py [--models poseau-au7-v1 poseau-au7-v2] [--weights 0.3 0.5]
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

import numpy as np

from poseau.constants import AUS, intensity_columns
from poseau.evaluate.agreement import agreement, paired, read_reference, within_video
from poseau.infer.predictor import Predictor
from poseau.infer.real_faces import reference_videos

MEDIA = Path(__file__).resolve().parents[2] / "shared" / "media"


class Mirrored:
    """A runner that scores each face and its mirror image and averages the two."""

    def __init__(self, runner):
        self.runner = runner
        self.aus, self.size, self.preprocessing = runner.aus, runner.size, runner.preprocessing

    def __call__(self, faces: np.ndarray):
        intensity, pose = self.runner(faces)
        flipped, _ = self.runner(np.ascontiguousarray(faces[:, :, ::-1]))
        return (intensity + flipped) / 2, pose


def tables_of(predictor: Predictor, pairs) -> dict:
    return {video.name: predictor.video(video) for video, _ in pairs}


def score(label: str, tables: dict, references: dict) -> None:
    joined = {name: paired(table, references[name], AUS) for name, table in tables.items()}
    pooled, within = agreement(joined, AUS)["pooled"], within_video(joined, AUS)["r"]
    print(f"| {label} | " + " | ".join(f"{pooled[au]:.2f}" for au in AUS) +
          f" | {pooled['mean']:.2f} | {within['mean']:.2f} |", flush=True)


def averaged(first: dict, second: dict, weight: float) -> dict:
    columns = intensity_columns(AUS)
    out = {}
    for name, table in second.items():
        mixed = table.copy()
        mixed[columns] = weight * first[name][columns].to_numpy() + (1 - weight) * table[columns].to_numpy()
        out[name] = mixed
    return out


def soup(first: str, second: str, weight: float):
    from poseau.models.checkpoint import load_model
    from poseau.models.locate import locate_model

    a, b = load_model(locate_model(first)), load_model(locate_model(second))
    mine, theirs = a.state_dict(), b.state_dict()
    model = copy.deepcopy(b)
    model.load_state_dict({k: (weight * mine[k].float() + (1 - weight) * v.float()).to(v.dtype)
                           if v.is_floating_point() else v for k, v in theirs.items()})
    return model.eval()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs=2, default=["poseau-au7-v1", "poseau-au7-v2"])
    parser.add_argument("--weights", nargs="+", type=float, default=[0.3, 0.5])
    parser.add_argument("--media", default=str(MEDIA))
    args = parser.parse_args()
    pairs = reference_videos(args.media)
    references = {video.name: read_reference(reference) for video, reference in pairs}
    print("| lever | " + " | ".join(AUS) + " | pooled mean | within-video mean |")
    print("|---" * (len(AUS) + 3) + "|")
    alone = {}
    for name in args.models:
        predictor = Predictor(name)
        alone[name] = tables_of(predictor, pairs)
        score(name, alone[name], references)
        predictor.runner = Mirrored(predictor.runner)
        score(f"{name}, mirrored too", tables_of(predictor, pairs), references)
    first, second = args.models
    for weight in args.weights:
        score(f"outputs averaged, {weight} {first} + {1 - weight:.1f} {second}",
              averaged(alone[first], alone[second], weight), references)
        score(f"weights averaged, {weight} {first} + {1 - weight:.1f} {second}",
              tables_of(Predictor(soup(first, second, weight), runtime="torch"), pairs), references)


if __name__ == "__main__":
    main()
