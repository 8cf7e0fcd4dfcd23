"""Scoring a predictions table (pooled, per view, means, the undefined) and the tables written from it."""

import io
import math

import numpy as np
import pandas as pd
import pytest
from conftest import assert_drawn

from poseau.evaluate.metrics import icc31, pearson, rmse
from poseau.evaluate.scores import score_table, view_icc_matrix
from poseau.evaluate.tables import models_table, to_csv, to_latex, to_markdown, views_table


def predictions(seed=0, n=30, views=(1, 5, 9)):
    """A predictions table: the same frames seen from each view, with view-dependent errors."""
    rng = np.random.default_rng(seed)
    truth = {"AU06": rng.integers(0, 6, n), "AU12": rng.integers(0, 6, n)}
    truth["AU12"][3] = 9  # missing
    rows = []
    for view in views:
        frame = pd.DataFrame({"partition": "valid", "subject": "F001", "task": "T1", "view": view,
                              "frame": np.arange(1, n + 1)})
        for au, y in truth.items():
            frame[au] = y
            frame[f"{au}_r"] = np.clip(y + rng.normal(0, 0.3 * view, n), 0, 5)
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def test_pooled_and_per_view_scores_are_the_metrics_of_the_valid_frames():
    table = predictions()
    s = score_table(table, ["AU06", "AU12"])
    valid = table["AU12"] != 9
    y, p = table.loc[valid, "AU12"], table.loc[valid, "AU12_r"]
    assert s["pooled"]["AU12"] == pytest.approx({"icc": icc31(y, p), "pcc": pearson(y, p), "rmse": rmse(y, p),
                                                 "frames": 87})
    assert s["pooled"]["AU06"]["frames"] == 90
    view9 = table[(table["view"] == 9) & valid]
    assert s["views"][9]["aus"]["AU12"]["icc"] == pytest.approx(icc31(view9["AU12"], view9["AU12_r"]))
    assert s["mean"]["icc"] == pytest.approx((s["pooled"]["AU06"]["icc"] + s["pooled"]["AU12"]["icc"]) / 2)
    assert s["views"][1]["mean"]["rmse"] < s["views"][9]["mean"]["rmse"]  # view 9 was given 9x the noise
    assert s["undefined"] == []


def test_undefined_scores_are_nan_with_a_reason_and_left_out_of_means():
    table = predictions()
    table.loc[table["view"] == 5, "AU06"] = 2  # a constant ground truth in view 5
    s = score_table(table, ["AU06", "AU12"])
    assert math.isnan(s["views"][5]["aus"]["AU06"]["icc"]) and math.isnan(s["views"][5]["aus"]["AU06"]["pcc"])
    assert s["views"][5]["aus"]["AU06"]["rmse"] > 0  # RMSE stays defined
    assert "AU06 view 5 ICC: the ground truth is constant (2)" in " ".join(s["undefined"])
    assert s["views"][5]["mean"]["icc"] == pytest.approx(s["views"][5]["aus"]["AU12"]["icc"])


def test_view_icc_matrix():
    table = predictions()
    table.loc[table["view"] == 5, "AU12_r"] = table.loc[table["view"] == 1, "AU12_r"].to_numpy() + 1.0
    views, m = view_icc_matrix(table, "AU12")
    assert views == [1, 5, 9]
    np.testing.assert_allclose(m, m.T)
    np.testing.assert_allclose(np.diag(m), 1.0)
    assert m[0, 1] == pytest.approx(1.0)  # views 1 and 5 differ by an offset only: consistent
    one, nine = (table.loc[table["view"] == v, "AU12_r"].to_numpy() for v in (1, 9))
    assert m[0, 2] == pytest.approx(icc31(one, nine))


def test_tables_hold_the_scores_in_every_format():
    a, b = score_table(predictions(0), ["AU06", "AU12"]), score_table(predictions(1), ["AU12"])
    t = models_table({"inv": a, "dep": b}, "Results")
    assert t.rows == ("AU06", "AU12", "Mean")
    assert t.headers == ["inv RMSE", "inv PCC", "inv ICC", "dep RMSE", "dep PCC", "dep ICC"]
    back = pd.read_csv(io.StringIO(to_csv(t)), index_col=0)
    assert back.loc["AU12", "dep ICC"] == pytest.approx(b["pooled"]["AU12"]["icc"], rel=1e-5)
    assert back.loc["Mean", "inv RMSE"] == pytest.approx(a["mean"]["rmse"], rel=1e-5)
    assert math.isnan(back.loc["AU06", "dep ICC"])  # dep has no AU06
    md = to_markdown(t)
    assert "| AU06 | " in md and "n/a" in md and md.count("\n") == 5
    tex = to_latex(t)
    assert r"\multicolumn{3}{c}{inv}" in tex and r"\toprule" in tex and tex.count(r"\\") == 5
    v = views_table(a, "icc", "per view")
    assert v.headers == ["1", "5", "9", "all"]
    assert v.values[1, 1] == pytest.approx(a["views"][5]["aus"]["AU12"]["icc"])
    assert v.values[2, 3] == pytest.approx(a["mean"]["icc"])


def test_data_without_views_is_scored_pooled_only(tmp_path):
    from poseau.evaluate.evaluation import Evaluation, write_evaluation

    table = predictions(views=(0,))  # BP4D, DISFA and manifests without a view column
    scores = score_table(table, ["AU06", "AU12"])
    assert scores["views"] == {} and scores["pooled"]["AU12"]["frames"] == 29
    write_evaluation(Evaluation("m", "", "store", "all", 3, ["AU06", "AU12"], table, scores), tmp_path)
    assert pd.read_csv(tmp_path / "views_icc.csv").columns.tolist() == ["AU / view", "all"]
    assert_drawn(tmp_path / "view_scores.png")
    assert not (tmp_path / "view_icc.png").exists()
