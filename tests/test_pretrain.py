"""`poseau pretrain` end to end on a tiny configuration, as an ensemble of two seeds: the demo's steps for each,
the held-out and neutral faces, the compact model with its scores and model card, and a second run that reuses
what the first finished."""

import dataclasses
import json
import shlex

import numpy as np
import pandas as pd
import pytest
import torch
from test_demo import TINY as DEMO_TINY

from poseau.cli import build_parser, main
from poseau.config import load_config
from poseau.constants import intensity_columns
from poseau.data.store import FrameStore
from poseau.errors import PoseauError
from poseau.evaluate.predictions import partition_rows, predict_store
from poseau.models.checkpoint import load_model, read_checkpoint
from poseau.models.ensemble import EnsembleModel
from poseau.models.shipped import CARD_FILE, MODEL_FILE, ONNX_FILE, SCORES_FILE
from poseau.options import from_options
from poseau.pretrain import run_pretrain
from poseau.recipes import PretrainConfig

TINY = [*DEMO_TINY, "--reduce", "8", "--holdout-subjects", "1", "--neutral-subjects", "1", "--name", "tiny-v0"]


@pytest.mark.slow
def test_pretrain_writes_the_model_to_ship_with_its_scores_and_card(face_model_file, tmp_path, capsys):
    out = tmp_path / "pretrain"
    args = ["-q", "pretrain", "--out", str(out), "--face-model", str(face_model_file), *TINY, "--ensemble", "2",
            "--mix", "mean"]
    assert main(args) == 0
    assert f"{out / 'tiny-v0'}" in capsys.readouterr().out
    folder = out / "tiny-v0"
    model = load_model(folder / MODEL_FILE)
    assert isinstance(model, EnsembleModel) and model.seeds == [1, 2]
    assert model.size == 32 and len(model.aus) == 7 and model.preprocessing.face_crop
    assert all(n.config.reduce == 8 for m in model.members for n in m.members)
    members = [load_model(out / f"seed{s}" / "mixed.pt") for s in (1, 2)]  # each seed's steps in its own folder
    assert [load_config(PretrainConfig, out / f"seed{s}" / "pretrain.yaml").seed for s in (1, 2)] == [1, 2]
    labels = [pd.read_csv(out / f"seed{s}" / "data" / "Train_Int" / "FERA17_TR_F001_T1_AU12_Int.csv", header=None)
              for s in (1, 2)]
    assert not labels[0].equals(labels[1])  # other seeds, other renders
    faces = np.random.default_rng(0).integers(0, 256, (4, 32, 32), dtype=np.uint8)
    np.testing.assert_allclose(load_model(out / "ensemble.pt").predict(faces)[0],
                               np.mean([m.predict(faces)[0] for m in members], 0), atol=1e-5)
    shipped = read_checkpoint(folder / MODEL_FILE)  # the default precision: large weights in int8
    networks = [n for m in shipped["members"] for n in m["members"]]
    assert all(n["int8_scales"] and n["state_dict"][k].dtype == torch.int8 for n in networks for k in n["int8_scales"])
    assert (folder / MODEL_FILE).stat().st_size < 0.4 * (out / "ensemble.pt").stat().st_size
    from poseau.infer.onnx_runner import OnnxRunner  # beside it the same network for predict's default path

    np.testing.assert_allclose(OnnxRunner(folder / ONNX_FILE).predict(faces)[0], model.predict(faces)[0], atol=1e-4)
    scores = json.loads((folder / SCORES_FILE).read_text())
    holdout = json.loads((out / "holdout" / "mixed" / "metrics.json").read_text())
    assert scores["synthetic_holdout"]["icc"] == pytest.approx(holdout["mean"]["icc"])
    assert set(scores["synthetic_holdout"]["views"]) == {str(v) for v in range(1, 10)}
    neutral = predict_store(model, FrameStore(out / "neutral" / "store"), partition_rows(FrameStore(
        out / "neutral" / "store"), "test"), progress=False)  # the shipped file's own predictions, computed again
    assert scores["neutral"]["frames"] == 8 * 9 == len(neutral)
    assert scores["neutral"]["mean"] == pytest.approx(neutral[intensity_columns(model.aus)].to_numpy().mean())
    assert scores["recipe"]["config"] == "PretrainConfig" and scores["recipe"]["holdout_seed"] == 1000
    assert scores["recipe"]["ensemble"] == 2
    card = (folder / CARD_FILE).read_text()
    assert card.startswith("# tiny-v0") and "MIT" in card and "Apache 2.0" in card
    assert "the mean of 2 such mixed models" in card and "seeds 1, 2" in card and "averaged" in card
    assert all(len(m.members) == 2 and set(m.pick.values()) == {(0, 1)} for m in model.members)  # --mix mean
    assert f"{scores['synthetic_holdout']['icc']:.2f}" in card and "Not measured" in card  # no --media given
    recipe = next(line for line in card.splitlines() if line.startswith("poseau pretrain "))
    again = build_parser().parse_args(shlex.split(recipe)[1:])  # the recipe line runs as printed
    assert from_options(PretrainConfig, again) == load_config(PretrainConfig, out / "pretrain.yaml")
    labels = pd.read_csv(out / "neutral" / "data" / "Test_Int" / "FERA17_TE_F001_T1_AU12_Int.csv", header=None)
    assert (labels[1] == 0).all()  # the neutral faces really have every AU at 0
    done = [out / "holdout" / "data" / "synth_info.json", *(out / f"seed{s}" / path for s in (1, 2) for path in (
            "data/synth_info.json", "runs/pose-invariant/model.pt", "runs/pose-dependent/model.pt"))]
    stamps = [path.stat().st_mtime_ns for path in done]
    assert main(args) == 0  # again: nothing is rendered or trained twice; the scores are measured again
    assert [path.stat().st_mtime_ns for path in done] == stamps
    assert json.loads((folder / SCORES_FILE).read_text())["synthetic_holdout"] == scores["synthetic_holdout"]
    with pytest.raises(PoseauError, match="another config"):  # a run of other seeds does not mix into this one
        run_pretrain(dataclasses.replace(load_config(PretrainConfig, out / "pretrain.yaml"), seed=5), out,
                     face_model=face_model_file, progress=False)


def test_held_out_seeds_never_equal_the_recipes_seed():
    config = PretrainConfig()
    assert config.holdout().seed != config.seed and config.holdout(neutral=True).seed != config.seed
    assert config.holdout(neutral=True).active == 0 and config.holdout().test_subjects == config.holdout_subjects
    with pytest.raises(PoseauError, match="holdout_seed"):
        PretrainConfig(seed=1000)
    with pytest.raises(PoseauError, match="holdout_seed"):  # nor any seed of an ensemble
        PretrainConfig(seed=998, ensemble=3)
    assert PretrainConfig(seed=3, ensemble=2).seeds == (3, 4) and PretrainConfig(seed=3).seeds == (3,)
    member = PretrainConfig(seed=3, ensemble=2).member(4)
    assert member.seed == 4 and member.ensemble == 1 and member.synth().seed == 4
