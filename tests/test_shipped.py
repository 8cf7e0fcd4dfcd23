"""Shipped models by name, half-precision model files, the thinned head, agreement with a reference tool's
CSV, and `poseau models`."""

import dataclasses

import numpy as np
import pytest
import torch
from conftest import SHARED
from nets import random_model

import poseau.models.shipped as shipped
from poseau.cli import main
from poseau.config import ModelConfig
from poseau.errors import PoseauError
from poseau.infer.predictor import Predictor, predict_video
from poseau.infer.real_faces import agree_with_reference
from poseau.models.checkpoint import compact_record, load_model, mixed_record, model_record, save_atomic
from poseau.models.locate import locate_model
from poseau.models.mixed import MixedModel
from poseau.models.model import AUModel

MEDIA = SHARED / "media"
needs_media = pytest.mark.skipif(not (MEDIA / "videos").is_dir(), reason="../shared/media is not here")


def faces(n=16, size=32, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, size, size), dtype=np.uint8)


def test_compact_files_are_smaller_and_predict_as_the_float_one(tmp_path):
    members = [random_model(k, ("AU06", "AU12"), s) for s, k in enumerate(("pose-invariant", "pose-dependent"))]
    record = mixed_record(MixedModel(members, {"AU06": 0, "AU12": 1}))
    full = save_atomic(record, tmp_path / "full.pt")
    half = save_atomic(compact_record(record), tmp_path / "half.pt")
    int8 = save_atomic(compact_record(record, "int8"), tmp_path / "int8.pt")
    assert int8.stat().st_size < 0.6 * half.stat().st_size and half.stat().st_size < 0.6 * full.stat().st_size
    base = load_model(full).predict(faces())[0]
    for path, mean_error in ((half, 0.01), (int8, 0.1)):
        model = load_model(path)
        assert all(p.dtype == torch.float32 for p in model.parameters())
        error = np.abs(model.predict(faces())[0] - base)
        assert 0 < error.mean() < mean_error, path.name  # rounded, but close (intensities 0-5)
    stored = torch.load(int8, weights_only=True)["members"][0]
    assert "train" not in stored and stored["state_dict"]["backbone._conv_head.weight"].dtype == torch.int8
    assert stored["state_dict"]["backbone._conv_stem.weight"].dtype == torch.float16  # small: half precision


def test_a_thinning_convolution_shrinks_the_head_and_keeps_the_output():
    wide = AUModel(ModelConfig(kind="pose-dependent", backbone="efficientnet_lite0", aus=("AU12",), size=64),
                   weights=None)
    thin = AUModel(ModelConfig(kind="pose-dependent", backbone="efficientnet_lite0", aus=("AU12",), size=64,
                               reduce=64), weights=None)
    count = lambda m: sum(p.numel() for p in m.head.parameters())  # noqa: E731
    hidden = 2 * 2 * 1280 * 256 + 256  # flatten 2x2x1280 -> FC 256, in each of the four heads
    assert count(wide) == 4 * hidden + 3 * (256 + 1) + (256 * 3 + 3)
    assert count(thin) == 4 * (2 * 2 * 64 * 256 + 256) + 3 * (256 + 1) + (256 * 3 + 3)
    assert sum(p.numel() for p in thin.reduce.parameters()) == 1280 * 64 + 64
    out = thin.eval()(torch.from_numpy(faces(4, 64)).unsqueeze(1))
    assert out["intensity"].shape == (4, 1) and out["per_group"].shape == (4, 3, 1)


def test_shipped_names_resolve_to_their_files_and_a_missing_file_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(shipped, "WEIGHTS_DIR", tmp_path)
    name = shipped.DEFAULT_MODEL
    with pytest.raises(PoseauError, match=f"{name}: the shipped model's file .* is missing"):
        load_model(name)
    (tmp_path / name).mkdir()
    save_atomic(model_record(random_model("pose-invariant", ("AU12",), 3)), tmp_path / name / "model.pt")
    assert load_model(name).aus == ("AU12",)
    assert locate_model(tmp_path / "other.pt") == tmp_path / "other.pt"  # paths stay paths


@pytest.mark.skipif(not shipped.SHIPPED[shipped.DEFAULT_MODEL].path.is_file(), reason="not shipped yet")
def test_the_shipped_model_loads_by_name_and_is_listed(capsys):
    model = load_model(shipped.DEFAULT_MODEL)
    assert len(model.aus) == 7 and model.preprocessing.face_crop
    assert shipped.SHIPPED[shipped.DEFAULT_MODEL].path.stat().st_size < 12.5 * 2**20
    assert main(["models"]) == 0
    listed = capsys.readouterr().out
    assert f"{shipped.DEFAULT_MODEL} (default): licence MIT" in listed and "synthetic ICC" in listed


@needs_media
def test_agreement_with_a_reference_pairs_frames_by_number(tmp_path):
    """A reference CSV that is the model's own output (OpenFace's padded column names, some frames without a
    face) agrees perfectly on the frames both found; frames the reference lacks are left out."""
    model = random_model("pose-invariant", ("AU06", "AU12"), 1)
    video = MEDIA / "videos" / "pyfeat__single_face.mp4"
    ours = predict_video(video, model, detect_every=1)
    reference = ours[["frame", "success", "AU06_r", "AU12_r"]].copy()
    reference.loc[reference.index[:10], "success"] = 0
    reference = reference.iloc[::-1]  # rows pair by frame number, not position
    media = tmp_path / "media"
    (media / "videos").mkdir(parents=True)
    (media / "reference").mkdir()
    (media / "videos" / video.name).symlink_to(video)
    reference.rename(columns=lambda c: f" {c}").to_csv(media / "reference" / f"{video.stem}.csv", index=False)
    found = agree_with_reference(Predictor(model, detect_every=1), media)
    pooled = found.table["pooled"]
    assert pooled["frames"] == len(ours) - 10
    assert pooled[["AU06", "AU12"]].to_numpy() == pytest.approx([1.0, 1.0])
    quick = agree_with_reference(model, media, every=4)  # frames 1, 5, 9, ...: numbered as in the whole video
    assert quick.table.loc["frames", "pooled"] == len(range(0, len(ours), 4)) - 3  # 1, 5 and 9 have no reference
    assert quick.table.loc[["AU06", "AU12"], "pooled"].to_numpy() == pytest.approx([1.0, 1.0])
    assert list(found.rates) == [video.name] and found.rates[video.name] > 0
    with pytest.raises(PoseauError, match="no video with a CSV of the same name"):
        agree_with_reference(model, tmp_path)


def test_models_lists_every_shipped_model_with_its_licence(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert all(f"{name}" in out and f"licence {m.licence}" in out for name, m in shipped.SHIPPED.items())


@needs_media
@pytest.mark.skipif(not shipped.SHIPPED[shipped.DEFAULT_MODEL].path.is_file(), reason="not shipped yet")
def test_predict_without_a_model_uses_the_shipped_one_and_a_smile_reads_as_au12_and_au06(tmp_path, capsys):
    import pandas as pd

    photo = MEDIA / "images" / "pyfeat__0-f15-hao-ph.jpg"  # a posed happy face
    assert main(["-q", "predict", str(photo), "--out", str(tmp_path)]) == 0
    row = pd.read_csv(tmp_path / f"{photo.stem}.csv").iloc[0]
    intensities = row[[c for c in row.index if c.endswith("_r")]].astype(float)
    assert set(intensities.nlargest(2).index) == {"AU12_r", "AU06_r"}
    table = predict_video(MEDIA / "videos" / "pyfeat__single_face.mp4")  # the library's default too
    assert table["success"].all() and table["AU12_r"].between(0, 5).all()


@pytest.mark.parametrize("name", list(shipped.SHIPPED))
def test_each_shipped_cards_recipe_line_runs_as_printed(name):
    import shlex

    from poseau.cli import build_parser
    from poseau.config import from_dict
    from poseau.options import from_options, to_argv
    from poseau.recipes import PretrainConfig

    model = shipped.SHIPPED[name]
    if not model.card.is_file():
        pytest.skip("not shipped yet")
    recipe = next(line for line in model.card.read_text().splitlines() if line.startswith("poseau pretrain "))
    parsed = from_options(PretrainConfig, build_parser().parse_args(shlex.split(recipe)[1:]))
    recorded = {k: v for k, v in model.scores()["recipe"].items() if k != "config"}
    assert set(recorded) == {f.name for f in dataclasses.fields(PretrainConfig)}  # a new default changes no recipe
    made = from_dict(PretrainConfig, recorded)
    assert parsed == made and parsed.name == name
    assert recipe == f"poseau pretrain --out pretrain {' '.join(to_argv(made, every=True))} --media ../shared/media"


@needs_media
def test_the_shipped_onnx_file_predicts_as_the_torch_file_on_real_frames():
    from poseau.infer.onnx_runner import OnnxRunner
    from poseau.infer.sources import video_frames

    frames = [f.image for f, _ in zip(video_frames(MEDIA / "videos" / "liveportrait__d3.mp4"), range(40), strict=False)]
    default, torch_path = Predictor(detect_every=1), Predictor(runtime="torch", detect_every=1)
    assert isinstance(default.runner, OnnxRunner) and not isinstance(torch_path.runner, OnnxRunner)
    a, b = default.frames(frames), torch_path.frames(frames)
    assert a["success"].all() and (a[["face_x", "face_w"]] == b[["face_x", "face_w"]]).all().all()
    columns = [f"{au}_r" for au in default.aus]
    assert a[columns].std().min() > 0.01  # intensities that move, compared
    np.testing.assert_allclose(a[columns], b[columns], atol=1e-3)


@needs_media
def test_predict_on_its_default_path_does_not_import_torch(tmp_path):
    import subprocess
    import sys

    image = MEDIA / "images" / "openface__sample1.jpg"
    code = ("import sys; from poseau.cli import main; rc = main(['predict', sys.argv[1], '--out', sys.argv[2], "
            "'--no-plot']); print(rc, sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code, str(image), str(tmp_path)], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "0 []", done.stdout + done.stderr
    assert (tmp_path / "openface__sample1.csv").is_file()
    done = subprocess.run([sys.executable, "-c", code.replace("'--no-plot'", "'--no-plot', '--runtime', 'torch'"),
                           str(image), str(tmp_path / "t")], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "0 ['torch']", done.stdout + done.stderr  # the check can fail
