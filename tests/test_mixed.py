"""The mixed model: the choice per AU, its outputs, its file, and what cannot be mixed."""

import dataclasses
import math

import pytest
import torch
from nets import random_model

from poseau.errors import PoseauError
from poseau.evaluate.evaluation import Evaluation
from poseau.evaluate.selection import choose, mix
from poseau.models.checkpoint import load_model, model_record, save_atomic
from poseau.models.mixed import MixedModel


def member(kind, aus, seed, size=32):
    return random_model(kind, aus, seed, size)


def test_choose_takes_the_higher_icc_per_au():
    chosen = choose({"inv": {"AU06": 0.5, "AU12": 0.7, "AU17": math.nan},
                     "dep": {"AU06": 0.6, "AU12": 0.7, "AU17": math.nan, "AU01": 0.1}})
    assert chosen == {"AU01": "dep", "AU06": "dep", "AU12": "inv", "AU17": "inv"}  # ties and all-NaN: the first


def test_mixed_outputs_are_the_chosen_members_outputs():
    inv = member("pose-invariant", ("AU06", "AU12"), 0)
    dep = member("pose-dependent", ("AU01", "AU06", "AU12"), 1)
    mixed = MixedModel([inv, dep], {"AU12": 0, "AU06": 1, "AU01": 1}).eval()
    x = torch.randint(0, 256, (4, 1, 32, 32), dtype=torch.uint8)
    with torch.no_grad():
        out, a, b = mixed(x), inv(x), dep(x)
    assert mixed.aus == ("AU01", "AU06", "AU12")
    torch.testing.assert_close(out["intensity"][:, 0], b["intensity"][:, 0])
    torch.testing.assert_close(out["intensity"][:, 1], b["intensity"][:, 1])
    torch.testing.assert_close(out["intensity"][:, 2], a["intensity"][:, 1])
    torch.testing.assert_close(out["pose_logits"], b["pose_logits"])
    only_inv = MixedModel([inv, dep], {"AU12": 0})
    assert len(only_inv.members) == 1 and "pose_logits" not in only_inv(x)  # unused members are dropped


def evaluation(name, path, iccs):
    scores = {"pooled": {au: {"icc": v} for au, v in iccs.items()}}
    return Evaluation(name, str(path), "store", "valid", 3, list(iccs), None, scores)


def test_mixed_model_file_round_trips_and_records_its_choice(tmp_path):
    inv = member("pose-invariant", ("AU06", "AU12"), 0)
    dep = member("pose-dependent", ("AU06", "AU12"), 1)
    for name, model in (("inv", inv), ("dep", dep)):
        save_atomic(model_record(model), tmp_path / f"{name}.pt")
    path = mix([evaluation("inv", tmp_path / "inv.pt", {"AU06": 0.2, "AU12": 0.8}),
                evaluation("dep", tmp_path / "dep.pt", {"AU06": 0.5, "AU12": 0.7})], tmp_path / "mixed.pt")
    loaded = load_model(path)
    assert isinstance(loaded, MixedModel)
    assert loaded.selection["chosen"] == {"AU06": "dep", "AU12": "inv"}
    assert loaded.preprocessing == inv.preprocessing and loaded.size == 32
    x = torch.randint(0, 256, (3, 1, 32, 32), dtype=torch.uint8)
    with torch.no_grad():
        got = loaded(x)["intensity"]
        torch.testing.assert_close(got[:, 0], dep(x)["intensity"][:, 0])
        torch.testing.assert_close(got[:, 1], inv(x)["intensity"][:, 1])
    save_atomic(model_record(inv), tmp_path / "run" / "model.pt")
    with torch.no_grad():  # a training run's folder stands for its model.pt
        torch.testing.assert_close(load_model(tmp_path / "run")(x)["intensity"], inv(x)["intensity"])
    with pytest.raises(PoseauError, match="is a mixed model"):
        mix([evaluation("m", path, {"AU06": 0.9}), evaluation("inv", tmp_path / "inv.pt", {"AU06": 0.2})],
            tmp_path / "again.pt")


def test_members_must_take_the_same_input(tmp_path):
    small, large = member("pose-invariant", ("AU12",), 0, 32), member("pose-invariant", ("AU12",), 1, 64)
    save_atomic(model_record(small), tmp_path / "a.pt")
    save_atomic(model_record(large), tmp_path / "b.pt")
    with pytest.raises(PoseauError, match="different inputs"):
        mix([evaluation("a", tmp_path / "a.pt", {"AU12": 0.1}), evaluation("b", tmp_path / "b.pt", {"AU12": 0.2})],
            tmp_path / "m.pt")
    cropped = member("pose-invariant", ("AU12",), 2, 32)
    cropped.preprocessing = dataclasses.replace(cropped.preprocessing, face_crop=True)  # same size, other framing
    save_atomic(model_record(cropped), tmp_path / "c.pt")
    with pytest.raises(PoseauError, match="different inputs"):
        mix([evaluation("a", tmp_path / "a.pt", {"AU12": 0.1}), evaluation("c", tmp_path / "c.pt", {"AU12": 0.2})],
            tmp_path / "m.pt")


def test_the_mean_rule_averages_every_candidate_that_gives_the_au(tmp_path):
    inv = member("pose-invariant", ("AU06", "AU12"), 0)
    dep = member("pose-dependent", ("AU01", "AU06", "AU12"), 1)
    for name, model in (("inv", inv), ("dep", dep)):
        save_atomic(model_record(model), tmp_path / f"{name}.pt")
    path = mix([evaluation("inv", tmp_path / "inv.pt", {"AU06": 0.2, "AU12": 0.8}),
                evaluation("dep", tmp_path / "dep.pt", {"AU01": 0.1, "AU06": 0.5, "AU12": 0.7})],
               tmp_path / "mean.pt", rule="mean")
    loaded = load_model(path)
    assert loaded.selection["rule"] == "mean"
    assert loaded.selection["chosen"] == {"AU01": ["dep"], "AU06": ["inv", "dep"], "AU12": ["inv", "dep"]}
    x = torch.randint(0, 256, (3, 1, 32, 32), dtype=torch.uint8)
    with torch.no_grad():
        got, a, b = loaded(x), inv(x)["intensity"], dep(x)
    torch.testing.assert_close(got["intensity"][:, 0], b["intensity"][:, 0])  # only one candidate gives AU01
    torch.testing.assert_close(got["intensity"][:, 1:], (a + b["intensity"][:, 1:]) / 2)
    torch.testing.assert_close(got["pose_logits"], b["pose_logits"])  # the pose estimator is kept
    old = MixedModel([inv, dep], {"AU12": 0, "AU06": [1]})  # a file's single index reads as a one-member mean
    assert old.pick == {"AU06": (1,), "AU12": (0,)}
    with pytest.raises(PoseauError, match="unknown mix rule"):
        mix([evaluation("inv", tmp_path / "inv.pt", {"AU06": 0.2})], tmp_path / "x.pt", rule="median")
    with pytest.raises(ValueError, match="AU01 is not an output of member 0"):
        MixedModel([inv, dep], {"AU01": [0, 1]})


def test_the_report_says_how_the_mixed_model_was_made():
    from poseau.report import _selection_text

    iccs = {"inv": {"AU06": 0.2, "AU12": 0.8}, "dep": {"AU06": 0.5, "AU12": None}}
    best = _selection_text({"partition": "valid", "icc": iccs, "chosen": {"AU06": "dep", "AU12": "inv"}})
    assert "higher ICC" in best and "AU06: dep (0.500)" in best
    mean = _selection_text({"partition": "valid", "icc": iccs, "rule": "mean",
                            "chosen": {"AU06": ["inv", "dep"], "AU12": ["inv", "dep"]}})
    assert "mean of inv, dep" in mean and "AU06: 0.200, 0.500" in mean and "AU12: 0.800, n/a" in mean
