"""Training end to end on synthetic stores: learning on held-out subjects, resume, data parallel, the CLI."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import assert_drawn
from layouts import write_manifest
from processes import kill_when

from poseau.cli import main
from poseau.config import ModelConfig, PrepareConfig, SynthConfig, TrainConfig
from poseau.constants import AUS
from poseau.errors import PoseauError
from poseau.evaluate.metrics import icc31, rmse
from poseau.models.checkpoint import load_model
from poseau.models.model import AUModel

LEARN = SynthConfig(train_subjects=12, valid_subjects=4, tasks=1, frames=30, size=128, seed=3)


@pytest.fixture(scope="module")
def rendered(face_model_file, tmp_path_factory):
    """16 rendered subjects (12 train, 4 valid) prepared at 64 pixels with their landmarks: faces a network can
    learn AUs from."""
    from poseau.data.store import prepare
    from poseau.synth.generate import synthesize

    root = tmp_path_factory.mktemp("learn")
    data = synthesize(LEARN, root / "data", face_model=face_model_file, workers=2, contact_sheet=False, progress=False)
    return prepare(PrepareConfig(root=str(data), size=64, landmarks=True), root / "store", workers=2, progress=False)


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory):
    """A 32-pixel store of patterned images with random labels, 4 subjects x 3 views (no rendering): for what
    training does with its files, not what it learns."""
    from poseau.data.store import prepare

    root = tmp_path_factory.mktemp("tiny")
    manifest = write_manifest(root, {"A": "train", "B": "train", "C": "train", "D": "valid"})
    return prepare(PrepareConfig(dataset="manifest", root=str(manifest), size=32), root / "store", workers=1,
                   progress=False)


def held_out_scores(model_path, store, au="AU12"):
    """ICC and RMSE (0-5) of the model's AU on every frame of the validation partition, and of a constant."""
    model = load_model(model_path)
    assert model.preprocessing == store.preprocessing  # the model is built with its store's preprocessing
    rows = np.flatnonzero(store.index["partition"].to_numpy() == "valid")
    pred = np.concatenate([model.predict(store.frames[rows[i:i + 256]])[0] for i in range(0, len(rows), 256)])
    y = store.labels[rows, AUS.index(au)]
    p = pred[:, model.aus.index(au)]
    train_mean = store.labels[store.index["partition"].to_numpy() == "train", AUS.index(au)].mean()
    return icc31(y, p), rmse(y, p), rmse(y, np.full(len(y), train_mean))


@pytest.mark.slow
@pytest.mark.parametrize("kind,stages,landmarks", [("pose-invariant", (), True), ("pose-dependent", ("routed", "pose"),
                                                                                   False)])
def test_short_training_beats_a_constant_on_held_out_subjects(rendered, tmp_path, kind, stages, landmarks):
    """EfficientNet-Lite0 from ImageNet at 64 px, 5 epochs of 1800 frames with Adam (SGD at the paper's rate
    needs far more); scored on every frame of the 4 validation subjects. Measured: ICC 0.72 and 0.68.
    The pose-invariant model has a landmark head beside AU12 (one training for both, as tests take time): its
    landmarks on the validation subjects against the training subjects' mean landmarks. Measured: error 0.060 of
    the frame's side against 0.073 (5 epochs are few for landmarks)."""
    from poseau.train.loop import train

    config = TrainConfig(stages=stages, optimizer="adam", lr=1e-3, batch_size=32, per_class=100, val_per_class=30,
                         max_epochs=5, patience=5, augment=landmarks)
    path = train(ModelConfig(kind=kind, backbone="efficientnet_lite0", aus=("AU12",), size=64, landmarks=landmarks),
                 config, rendered, tmp_path / "run", workers=0, progress=False)
    icc, err, constant_err = held_out_scores(path, rendered)
    print(f"{kind}: held-out ICC {icc:.3f}, RMSE {err:.3f} (constant {constant_err:.3f})")
    assert icc > 0.5 and err < constant_err
    history = pd.read_csv(tmp_path / "run" / "train.csv")
    assert history["val_draw_icc_AU12"].iloc[-1] > history["val_draw_icc_AU12"].iloc[0]
    if kind == "pose-dependent":
        assert history.loc[history["stage"] == "pose", "pose_accuracy"].max() > 0.75  # 3 pitch groups: chance 1/3
    assert_drawn(tmp_path / "run" / "curves.png", min_size=(600, 200))
    if landmarks:
        landmarks_learnt(path, rendered, history)


def landmarks_learnt(path, rendered, history) -> None:
    model = load_model(path)
    assert model.config.landmarks and model.landmark_head is not None  # the file rebuilds the head too
    part = rendered.index["partition"].to_numpy()
    rows = np.flatnonzero(part == "valid")
    with torch.no_grad():
        found = np.concatenate([model(torch.from_numpy(np.array(rendered.frames[rows[i:i + 128]]))[:, None])[
            "landmarks"].numpy() for i in range(0, len(rows), 128)])
    truth = np.asarray(rendered.landmarks[rows])
    mean = np.asarray(rendered.landmarks[np.flatnonzero(part == "train")]).mean(0)
    error, constant = np.linalg.norm(found - truth, axis=-1).mean(), np.linalg.norm(mean - truth, axis=-1).mean()
    print(f"held-out landmark error {error:.4f} of the side (mean landmarks {constant:.4f})")
    assert error < 0.9 * constant
    assert history["val_landmark_error"].iloc[-1] < history["val_landmark_error"].iloc[0]
    assert model.predict(np.array(rendered.frames[rows[:4]]))[0].shape == (4, 1)  # predicting as any model


def tiny(kind="pose-dependent", backbone="efficientnet_lite0", **train):
    defaults = dict(weights="none", per_class=4, val_per_class=2, batch_size=8, lr=0.01, momentum=0.9,
                    max_epochs=2, patience=2)
    model = ModelConfig(kind=kind, backbone=backbone, aus=("AU06", "AU12"), size=32)
    return model, TrainConfig(**{**defaults, **train})


def weights(path):
    return torch.load(path, weights_only=True)["state_dict"]


def test_resumed_training_ends_equal_to_an_uninterrupted_one(tiny_store, tmp_path):
    from poseau.train.loop import train

    model_config, config = tiny(redraw=True, schedule="cosine", augment=True, degrade=True, ema=0.9)  # the frames,
    # their variation, the rate and the weight average of each epoch come back too
    clean = train(model_config, config, tiny_store, tmp_path / "clean", workers=0, progress=False)

    class Killed(Exception):
        pass

    def kill_in_stage_pose(stage, epoch):
        if (stage, epoch) == ("pose", 1):
            raise Killed

    with pytest.raises(Killed):
        train(model_config, config, tiny_store, tmp_path / "resumed", workers=0, progress=False,
              on_epoch=kill_in_stage_pose)
    assert (tmp_path / "resumed" / "last.pt").is_file() and not (tmp_path / "resumed" / "model.pt").exists()
    with pytest.raises(PoseauError, match="holds a training run; pass --resume"):
        train(model_config, config, tiny_store, tmp_path / "resumed", workers=0, progress=False)
    with pytest.raises(PoseauError, match="the run was started with another config or store"):
        train(model_config, TrainConfig(**{**config.__dict__, "lr": 0.5}), tiny_store, tmp_path / "resumed",
              resume=True, workers=0, progress=False)
    resumed = train(model_config, config, tiny_store, tmp_path / "resumed", resume=True, workers=0, progress=False)
    a, b = weights(clean), weights(resumed)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    drop = ["seconds"]
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "clean" / "train.csv").drop(columns=drop),
                                  pd.read_csv(tmp_path / "resumed" / "train.csv").drop(columns=drop))


def train_args(store, out, *extra):
    return ["train", "--store", str(store.path), "--out", str(out), "--model", "pose-dependent", "--aus", "AU06,AU12",
            "--weights", "none", "--per-class", "4", "--val-per-class", "2", "--batch-size", "8", "--lr", "0.01",
            "--momentum", "0.9", "--max-epochs", "2", "--patience", "2", "--workers", "0", *extra]


@pytest.mark.slow
def test_killed_train_process_resumes_to_the_same_model(tiny_store, tmp_path):
    """A real SIGKILL of `poseau train` between epochs, then --resume."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cli = [sys.executable, "-m", "poseau", "--quiet"]
    csv = tmp_path / "killed" / "train.csv"
    lite = ("--backbone", "efficientnet_lite0")
    kill_when([*cli, *train_args(tiny_store, tmp_path / "killed", *lite)],
              lambda: csv.is_file() and len(csv.read_text().splitlines()) >= 3, env=env)  # header and two epochs
    assert not (tmp_path / "killed" / "model.pt").exists()
    subprocess.run([*cli, *train_args(tiny_store, tmp_path / "killed", *lite, "--resume")], env=env, check=True)
    subprocess.run([*cli, *train_args(tiny_store, tmp_path / "clean", *lite)], env=env, check=True)
    a, b = weights(tmp_path / "killed" / "model.pt"), weights(tmp_path / "clean" / "model.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_two_process_data_parallel_training_equals_one_process(tiny_store, tmp_path):
    """torchrun with two gloo CPU processes, each reading half of every batch, against one process (VGG16:
    no batch norm, whose statistics would differ per process)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    args = train_args(tiny_store, tmp_path / "ddp", "--backbone", "vgg16")
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                    "-m", "poseau", "--quiet", *args], env=env, check=True)
    subprocess.run([sys.executable, "-m", "poseau", "--quiet",
                    *train_args(tiny_store, tmp_path / "one", "--backbone", "vgg16")], env=env, check=True)
    ddp, one = weights(tmp_path / "ddp" / "model.pt"), weights(tmp_path / "one" / "model.pt")
    torch.manual_seed(0)  # the seed train() starts the model from
    start = AUModel(ModelConfig(kind="pose-dependent", backbone="vgg16", aus=("AU06", "AU12"), size=32)).state_dict()
    moved = max((one[k] - start[k]).abs().max().item() for k in one)
    diff = max((ddp[k] - one[k]).abs().max().item() for k in one)
    assert diff < 1e-5 and moved > 1000 * diff
    h_ddp, h_one = (pd.read_csv(tmp_path / d / "train.csv") for d in ("ddp", "one"))
    assert list(h_ddp["stage"]) == list(h_one["stage"]) == ["routed"] * 2 + ["pose"] * 2 + ["joint"] * 2
    np.testing.assert_allclose(h_ddp["val_loss"], h_one["val_loss"], rtol=1e-4)


def test_train_cli_bad_input_is_one_line_and_exit_2(tiny_store, tmp_path, capsys):
    assert main(["train", "--store", str(tmp_path / "nothing"), "--out", str(tmp_path / "r")]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0
    assert main(["train", "--store", str(tiny_store.path), "--out", str(tmp_path / "r"), "--size", "64"]) == 2
    assert "frames are 32x32, the model takes 64" in capsys.readouterr().err
    assert main(train_args(tiny_store, tmp_path / "r", "--stages", "regress")) == 2
    assert "do not apply to a pose-dependent" in capsys.readouterr().err
