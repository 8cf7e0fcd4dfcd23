"""The public names are the library's objects and work together from a camera frame to intensities; the
command line offers a verb per stage and takes its defaults from the library."""

import dataclasses
import pkgutil
from importlib import import_module
from importlib.metadata import version

import numpy as np
import pytest

import poseau
from poseau.cli import build_parser
from poseau.config import PrepareConfig, TrainConfig
from poseau.options import EVAL_BATCH, MEDIAN_WIDTH


def test_public_names_are_the_objects_of_their_modules():
    for info in pkgutil.walk_packages(poseau.__path__, "poseau."):  # a subpackage must not shadow a public name
        if info.name != "poseau.__main__":
            import_module(info.name)
    for name, module in poseau._PUBLIC.items():
        obj = getattr(poseau, name)
        assert obj is getattr(import_module(module), name) and callable(obj), name
    assert set(poseau.__all__) == {*poseau._PUBLIC, "__version__"}
    assert poseau.__version__ == version("poseau")
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        poseau.nothing  # noqa: B018


def test_from_a_camera_frame_to_intensities_through_the_public_names(tmp_path):
    from poseau.models.checkpoint import model_record, save_atomic

    framing = poseau.Preprocessing(size=32, face_crop=True, crop_scale=1.5)
    model = poseau.AUModel(poseau.ModelConfig(kind="pose-dependent", backbone="efficientnet_lite0",
                                              aus=("AU06", "AU12"), size=32, hidden=8), preprocessing=framing)
    save_atomic(model_record(model), tmp_path / "m.pt")
    loaded = poseau.load_model(tmp_path / "m.pt")
    assert loaded.preprocessing == framing and loaded.aus == ("AU06", "AU12")
    frame = np.random.default_rng(0).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    face = loaded.preprocessing(frame, (50, 30, 40, 50))
    assert face.shape == (32, 32) and face.dtype == np.uint8
    intensity, pose = loaded.predict(face[None])
    assert intensity.shape == (1, 2) and ((intensity >= 0) & (intensity <= 5)).all()
    np.testing.assert_allclose(pose.sum(1), 1.0, rtol=1e-6)


def test_every_verb_has_a_subcommand_with_the_library_defaults():
    parser = build_parser()
    verbs = parser._subparsers._group_actions[0].choices
    assert {"synth", "prepare", "train", "evaluate", "mix", "saliency", "report", "predict", "export",
            "demo", "pretrain", "models"} <= set(verbs)
    train = parser.parse_args(["train", "--store", "s", "--out", "o"])
    for field in dataclasses.fields(TrainConfig):
        if field.name != "stages":
            assert getattr(train, field.name) == getattr(TrainConfig(), field.name), field.name
    prepare = parser.parse_args(["prepare", "--dataset", "bp4d", "--root", "r", "--out", "o"])
    assert (prepare.size, prepare.crop_scale, prepare.every) == (PrepareConfig().size, PrepareConfig().crop_scale,
                                                                 PrepareConfig().every)
    evaluate = parser.parse_args(["evaluate", "--model", "m.pt", "--store", "s", "--out", "o"])
    assert (evaluate.median, evaluate.batch_size) == (MEDIAN_WIDTH, EVAL_BATCH)
    predict = parser.parse_args(["predict", "v.mp4", "--model", "m.pt", "--out", "o"])
    assert predict.detector is None and predict.crop_scale is None  # the model's own unless given
