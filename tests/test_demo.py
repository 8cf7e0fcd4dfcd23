"""`poseau demo` end to end on a tiny configuration: every step, the report, and a second run that reuses
what the first finished."""

import pandas as pd
import pytest
from conftest import assert_drawn

from poseau.cli import main
from poseau.models.checkpoint import load_model
from poseau.models.mixed import MixedModel

TINY = ["--train-subjects", "2", "--valid-subjects", "1", "--test-subjects", "1", "--frames", "8",
        "--render-size", "64", "--size", "32", "--per-class", "2", "--val-per-class", "1", "--max-epochs", "1",
        "--saliency-frames", "2", "--workers", "2"]


@pytest.mark.slow
def test_demo_runs_every_step_and_continues(face_model_file, tmp_path, capsys):
    out = tmp_path / "demo"
    args = ["-q", "demo", "--out", str(out), "--face-model", str(face_model_file), *TINY]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert f"report: {out / 'report.html'}" in printed
    assert "mixed on test: mean ICC" in printed
    for name in ("demo.yaml", "data/contact_sheet.png", "store/store.json", "runs/pose-invariant/model.pt",
                 "runs/pose-dependent/curves.png", "valid/models.tex", "test/mixed/view_icc.png",
                 "saliency/saliency.png", "report.md"):
        assert (out / name).is_file(), name
    for name in ("data/contact_sheet.png", "runs/pose-dependent/curves.png", "test/mixed/view_icc.png",
                 "saliency/saliency.png"):
        assert_drawn(out / name)
    assert list(pd.read_csv(out / "valid" / "models.csv").columns[1::3]) == ["pose-invariant RMSE",
                                                                             "pose-dependent RMSE"]
    assert list(pd.read_csv(out / "test" / "models.csv").columns[1::3]) == ["pose-invariant RMSE",
                                                                            "pose-dependent RMSE", "mixed RMSE"]
    assert isinstance(load_model(out / "mixed.pt"), MixedModel)
    page = (out / "report.md").read_text()
    assert page.index("## Evaluation: test") < page.index("## Evaluation: valid") < page.index("## Saliency maps") \
        < page.index("## Training") < page.index("## Data")  # results first, then how they were made

    trained = {k: (out / "runs" / k / "model.pt").stat().st_mtime_ns for k in ("pose-invariant", "pose-dependent")}
    assert main(args) == 0  # again: nothing is rendered or trained twice
    assert trained == {k: (out / "runs" / k / "model.pt").stat().st_mtime_ns for k in trained}
    assert main([*args[:-2], "--workers", "1", "--seed", "1"]) == 2
    assert "holds a run of another config" in capsys.readouterr().err
