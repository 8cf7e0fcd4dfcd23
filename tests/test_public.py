"""The public names are the library's objects and work together from a camera frame to intensities; the
command line offers a verb per stage and takes its defaults from the library."""

import argparse
import dataclasses
import pkgutil
from importlib import import_module
from importlib.metadata import version

import numpy as np
import pytest

import poseau
from poseau.cli import build_parser
from poseau.config import ModelConfig, PrepareConfig, SynthConfig, TrainConfig
from poseau.options import (
    EVAL_BATCH,
    MEDIAN_WIDTH,
    PredictOptions,
    SaliencyOptions,
    ScoreOptions,
    from_options,
    to_argv,
)
from poseau.recipes import DemoConfig, PretrainConfig


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


REQUIRED = {"synth": ["--out", "o"], "prepare": ["--dataset", "bp4d", "--root", "r", "--out", "o"],
            "train": ["--store", "s", "--out", "o"], "demo": [], "pretrain": [],
            "predict": ["v.mp4", "--out", "o"], "evaluate": ["--model", "m", "--store", "s", "--out", "o"],
            "saliency": ["--model", "m", "--store", "s", "--out", "o"]}
CONFIGS = {"synth": [SynthConfig], "prepare": [PrepareConfig], "train": [ModelConfig, TrainConfig],
           "demo": [DemoConfig], "pretrain": [PretrainConfig], "predict": [PredictOptions],
           "evaluate": [ScoreOptions], "saliency": [SaliencyOptions]}


@pytest.mark.parametrize("verb", CONFIGS)
def test_every_config_field_is_an_option_with_its_help_and_booleans_take_one_form(verb):
    parser = build_parser()
    command = parser._subparsers._group_actions[0].choices[verb]
    actions = {a.dest: a for a in command._actions}
    for cls in CONFIGS[verb]:
        for field in dataclasses.fields(cls):
            action = actions[field.name]
            assert action.help and field.metadata["help"] in action.help, (verb, field.name)
            if isinstance(field.default, bool):  # --augment and --no-augment, in every command alike
                assert isinstance(action, argparse.BooleanOptionalAction), (verb, field.name)
                on = parser.parse_args([verb, *REQUIRED[verb], action.option_strings[0]])
                off = parser.parse_args([verb, *REQUIRED[verb], action.option_strings[1]])
                assert getattr(on, field.name) is True and getattr(off, field.name) is False
        default = from_options(cls, parser.parse_args([verb, *REQUIRED[verb]]), **(
            {"size": 224} if cls is ModelConfig else {}))
        assert default == cls(**({"dataset": "bp4d", "root": "r"} if cls is PrepareConfig else {}))
    flags = [a for a in command._actions if a.nargs == 0 and not isinstance(a, argparse._HelpAction)]
    assert all(isinstance(a, argparse.BooleanOptionalAction) for a in flags), [a.dest for a in flags]


def test_a_config_written_as_options_parses_back_to_itself():
    config = DemoConfig(train_subjects=3, augment=False, dependent_stages=("routed",), lr=0.002, look="studio")
    argv = to_argv(config)
    assert "--no-augment" in argv and argv[argv.index("--dependent-stages") + 1] == "routed"
    assert from_options(DemoConfig, build_parser().parse_args(["demo", *argv])) == config
    assert to_argv(DemoConfig()) == []
    assert len(to_argv(DemoConfig(), every=True)) > len(dataclasses.fields(DemoConfig))
