"""`poseau evaluate`, `mix`, `saliency` and `report` end to end: on a synthetic store with a test partition,
and on a FERA 2017 tree written by the tests themselves."""

import json
import re

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import assert_drawn
from layouts import FERA_VIEWS, write_fera
from nets import random_model

from poseau.cli import main
from poseau.config import PrepareConfig, SynthConfig
from poseau.constants import AUS
from poseau.data.smoothing import median_filter
from poseau.evaluate.metrics import icc31
from poseau.models.checkpoint import load_model, model_record, save_atomic

TINY = SynthConfig(train_subjects=1, valid_subjects=1, test_subjects=1, tasks=1, frames=8, size=64, seed=5)


def saved_model(path, kind, aus, store, seed):
    model = random_model(kind, aus, seed, 32, store.preprocessing)
    save_atomic(model_record(model), path)
    return path


@pytest.fixture(scope="module")
def tiny(face_model_file, tmp_path_factory):
    """A store with train, valid and test subjects at 32 px, and two random-weight models of it."""
    from poseau.data.store import prepare
    from poseau.synth.generate import synthesize

    root = tmp_path_factory.mktemp("tiny")
    data = synthesize(TINY, root / "data", face_model=face_model_file, workers=2, contact_sheet=False, progress=False)
    store = prepare(PrepareConfig(root=str(data), size=32), root / "store", workers=2, progress=False)
    inv = saved_model(root / "inv.pt", "pose-invariant", AUS, store, 0)
    dep = saved_model(root / "dep.pt", "pose-dependent", ("AU06", "AU12"), store, 1)
    return root, store, inv, dep


def test_evaluate_writes_predictions_scores_tables_and_figures(tiny, tmp_path):
    root, store, inv, dep = tiny
    assert main(["-q", "evaluate", "--model", str(inv), str(dep), "--store", str(store.path), "--partition", "test",
                 "--out", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "inv" / "predictions.csv", dtype={"subject": str})
    rows = np.flatnonzero(store.index["partition"] == "test")
    assert len(table) == len(rows) == 8 * 9
    model = load_model(inv)
    with torch.no_grad():
        unit = model(torch.from_numpy(np.array(store.frames[rows]))[:, None])["intensity"]
    raw, _ = model.predict(store.frames[rows])
    np.testing.assert_allclose(raw, unit.numpy() * 5, rtol=1e-6)
    np.testing.assert_allclose(table["AU12_raw"], raw[:, AUS.index("AU12")], atol=1e-4)
    view1 = table["view"] == 1
    np.testing.assert_allclose(table.loc[view1, "AU12_r"], median_filter(table.loc[view1, "AU12_raw"].to_numpy(), 3),
                               atol=1e-4)
    metrics = json.loads((tmp_path / "inv" / "metrics.json").read_text())
    valid = table["AU12"] != 9
    assert metrics["pooled"]["AU12"]["icc"] == pytest.approx(icc31(table.loc[valid, "AU12"],
                                                                   table.loc[valid, "AU12_r"]), abs=1e-3)
    assert metrics["partition"] == "test" and metrics["median_width"] == 3 and set(metrics["views"]) == set(
        map(str, range(1, 10)))
    dep_table = pd.read_csv(tmp_path / "dep" / "predictions.csv")
    probs = dep_table[["pose_up", "pose_level", "pose_down"]].to_numpy()
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-3)
    assert 0 <= json.loads((tmp_path / "dep" / "metrics.json").read_text())["pose_accuracy"] <= 1
    models = pd.read_csv(tmp_path / "models.csv", index_col=0)
    assert list(models.index) == [*AUS, "Mean"]
    assert models.loc["AU12", "inv ICC"] == pytest.approx(metrics["pooled"]["AU12"]["icc"], rel=1e-4)
    for name in ("models.md", "models.tex", "inv/views_icc.md", "inv/views_rmse.tex", "dep/views_pcc.csv"):
        assert (tmp_path / name).stat().st_size > 200, name
    assert_drawn(tmp_path / "inv" / "view_icc.png", min_size=(800, 300))  # 7 AU panels of 9x9 views
    assert_drawn(tmp_path / "dep" / "view_scores.png", min_size=(300, 200))
    assert not metrics["undefined"]


def test_mix_saliency_and_report_on_the_command_line(tiny, tmp_path):
    root, store, inv, dep = tiny
    mixed = tmp_path / "mixed.pt"
    assert main(["-q", "mix", "--model", str(inv), str(dep), "--store", str(store.path), "--out", str(mixed)]) == 0
    model = load_model(mixed)
    chosen = model.selection["chosen"]
    for au in ("AU06", "AU12"):
        better = max(("inv", "dep"), key=lambda n: model.selection["icc"][n][au])
        assert chosen[au] == better
    assert {chosen[au] for au in AUS if au not in ("AU06", "AU12")} == {"inv"}
    assert main(["-q", "evaluate", "--model", str(mixed), "--store", str(store.path), "--partition", "test",
                 "--out", str(tmp_path / "test")]) == 0
    assert json.loads((tmp_path / "test" / "mixed" / "metrics.json").read_text())["selection"]["chosen"] == chosen
    assert main(["-q", "saliency", "--model", str(mixed), "--store", str(store.path), "--partition", "test",
                 "--frames", "3", "--aus", "AU06,AU12", "--out", str(tmp_path / "saliency")]) == 0
    maps = np.load(tmp_path / "saliency" / "saliency.npz")
    assert maps["maps"].shape == (2, 9, 32, 32) and list(maps["aus"]) == ["AU06", "AU12"]
    assert_drawn(tmp_path / "saliency" / "saliency.png", min_size=(9 * 60, 2 * 60))
    assert main(["-q", "report", str(tmp_path)]) == 0
    page = (tmp_path / "report.md").read_text()
    assert "Results on the test partition" in page and "saliency/saliency.png" in page
    assert "Mixed model: each AU from the candidate with the higher ICC" in page
    for image in ("test/mixed/view_icc.png", "saliency/saliency.png"):
        assert f"]({image})" in page and (tmp_path / image).is_file()
    assert (tmp_path / "report.html").read_text().count("<table>") == 3  # Table I, ICC and RMSE per view


def test_evaluate_a_fera_layout_made_by_the_tests(tmp_path):
    truth = write_fera(tmp_path / "fera")
    assert main(["-q", "prepare", "--dataset", "fera2017", "--root", str(tmp_path / "fera"), "--out",
                 str(tmp_path / "store"), "--size", "32", "--workers", "1"]) == 0
    from poseau.data.store import FrameStore

    store = FrameStore(tmp_path / "store")
    model = saved_model(tmp_path / "m.pt", "pose-invariant", AUS, store, 2)
    assert main(["-q", "evaluate", "--model", str(model), "--store", str(store.path), "--partition", "valid",
                 "--median", "1", "--out", str(tmp_path / "eval")]) == 0
    table = pd.read_csv(tmp_path / "eval" / "m" / "predictions.csv", dtype={"subject": str})
    n, labels = truth["valid", "F001", "T1", 1]
    assert len(table) == n * len(FERA_VIEWS)
    assert table.loc[table["view"] == 5, "AU12"].tolist() == labels[12]
    assert (table["AU14"] == 9).all()  # the valid sequence has no AU14 file
    metrics = json.loads((tmp_path / "eval" / "m" / "metrics.json").read_text())
    assert metrics["pooled"]["AU14"]["frames"] == 0 and metrics["pooled"]["AU14"]["icc"] is None
    assert any(u.startswith("AU14 ICC") for u in metrics["undefined"])
    assert metrics["pooled"]["AU12"]["frames"] == (n - 1) * len(FERA_VIEWS)  # one missing label per view


@pytest.mark.parametrize("argv,message", [
    (["evaluate", "--model", "nope.pt", "--store", "{store}", "--out", "{tmp}/e"], "nope.pt"),
    (["evaluate", "--model", "{inv}", "--store", "{store}", "--partition", "holdout", "--out", "{tmp}/e"],
     "no frames in partition 'holdout'"),
    (["evaluate", "--model", "{inv}", "--store", "{store}", "--median", "2", "--out", "{tmp}/e"], "odd"),
    (["mix", "--model", "{inv}", "--store", "{store}", "--out", "{tmp}/m.pt"], "two or more"),
    (["report", "{tmp}"], "no training run, evaluation or saliency map"),
])
def test_bad_input_is_one_line_and_exit_2(tiny, tmp_path, capsys, argv, message):
    root, store, inv, dep = tiny
    argv = [a.format(store=store.path, tmp=tmp_path, inv=inv) for a in argv]
    assert main(["-q", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert re.match(r"poseau( evaluate)?: error: ", err) and message in err and "\n" not in err
