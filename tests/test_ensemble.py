"""The ensemble: the mean of its members' outputs, its file (plain and compact), and what cannot be averaged
(its ONNX graph: test_pretrain)."""

import dataclasses

import numpy as np
import pytest
import torch
from nets import random_model

from poseau.errors import PoseauError
from poseau.models.checkpoint import (
    compact_record,
    load_model,
    mixed_record,
    model_record,
    read_checkpoint,
    save_atomic,
    save_ensemble,
)
from poseau.models.ensemble import EnsembleModel
from poseau.models.mixed import MixedModel

AUS = ("AU06", "AU12")


def mixed(seed):
    inv, dep = random_model("pose-invariant", AUS, seed), random_model("pose-dependent", AUS, seed + 100)
    return MixedModel([inv, dep], {"AU06": 1, "AU12": 0}).eval()


def faces(n=5, size=32):
    return np.random.default_rng(7).integers(0, 256, (n, size, size), dtype=np.uint8)


def test_intensities_are_the_members_mean_and_pose_their_mean_probabilities():
    a, b, c = mixed(0), mixed(1), mixed(2)
    ensemble = EnsembleModel([a, b, c], seeds=[0, 1, 2]).eval()
    got, pose = ensemble.predict(faces())
    outs = [m.predict(faces()) for m in (a, b, c)]
    np.testing.assert_allclose(got, np.mean([o[0] for o in outs], 0), atol=1e-5)
    np.testing.assert_allclose(pose, np.mean([o[1] for o in outs], 0), atol=1e-6)
    assert not np.allclose(outs[0][0], outs[1][0])  # the members differ, so the mean is not any one of them
    assert ensemble.aus == AUS and ensemble.size == 32
    no_pose = EnsembleModel([a, random_model("pose-invariant", AUS, 5)])
    assert no_pose.predict(faces())[1] is None  # a pose only where every member estimates one


def test_ensemble_file_round_trips_in_full_and_compact_precision(tmp_path):
    members = [mixed(0), mixed(1)]
    for i, m in enumerate(members):
        save_atomic(mixed_record(m), tmp_path / f"m{i}.pt")
    path = save_ensemble([tmp_path / "m0.pt", tmp_path / "m1.pt"], tmp_path / "ensemble.pt", seeds=[3, 4])
    loaded = load_model(path)
    assert isinstance(loaded, EnsembleModel) and loaded.seeds == [3, 4]
    assert all(isinstance(m, MixedModel) for m in loaded.members)
    expected = EnsembleModel(members).predict(faces())[0]
    np.testing.assert_allclose(loaded.predict(faces())[0], expected, atol=1e-5)
    save_atomic(compact_record(read_checkpoint(path), "int8"), tmp_path / "small.pt")
    small = read_checkpoint(tmp_path / "small.pt")
    assert all(r["int8_scales"] for m in small["members"] for r in m["members"])  # every network's large weights
    assert (tmp_path / "small.pt").stat().st_size < 0.4 * path.stat().st_size
    np.testing.assert_allclose(load_model(tmp_path / "small.pt").predict(faces())[0], expected, atol=0.15)


def test_members_must_take_the_same_input_and_give_the_same_aus(tmp_path):
    base = random_model("pose-invariant", AUS, 0)
    other_size = random_model("pose-invariant", AUS, 1, size=64)
    other_aus = random_model("pose-invariant", ("AU06", "AU12", "AU17"), 2)
    cropped = random_model("pose-invariant", AUS, 3)
    cropped.preprocessing = dataclasses.replace(cropped.preprocessing, face_crop=True)
    for name, model in (("base", base), ("size", other_size), ("aus", other_aus), ("crop", cropped)):
        save_atomic(model_record(model), tmp_path / f"{name}.pt")
    for name, message in (("size", "different inputs"), ("aus", "different AUs"), ("crop", "different inputs")):
        with pytest.raises(PoseauError, match=message):
            save_ensemble([tmp_path / "base.pt", tmp_path / f"{name}.pt"], tmp_path / "e.pt")
    assert not (tmp_path / "e.pt").exists()
    with pytest.raises(PoseauError, match="two or more"):
        save_ensemble([tmp_path / "base.pt"], tmp_path / "e.pt")
    with pytest.raises(ValueError, match="2 seeds for 3 members"):
        EnsembleModel([base, base, base], seeds=[1, 2])
    with torch.no_grad():  # a model may be averaged with itself: the mean is that model
        x = torch.randint(0, 256, (2, 1, 32, 32), dtype=torch.uint8)
        torch.testing.assert_close(EnsembleModel([base, base])(x)["intensity"], base(x)["intensity"])


def test_the_ensemble_command_writes_the_file_and_names_a_bad_input(tmp_path, capsys):
    from poseau.cli import main

    for i in range(2):
        save_atomic(model_record(random_model("pose-invariant", AUS, i)), tmp_path / f"m{i}.pt")
    assert main(["ensemble", str(tmp_path / "m0.pt"), str(tmp_path / "m1.pt"), "--out", str(tmp_path / "e.pt"),
                 "--seed", "0", "1"]) == 0
    assert load_model(tmp_path / "e.pt").seeds == [0, 1] and "ensemble of 2 models" in capsys.readouterr().out
    assert main(["ensemble", str(tmp_path / "m0.pt"), str(tmp_path / "none.pt"), "--out", str(tmp_path / "f.pt")]) == 2
    assert "none.pt" in capsys.readouterr().err and not (tmp_path / "f.pt").exists()
