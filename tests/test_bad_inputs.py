"""Bad input, table-driven: each case is one line on stderr naming the option or file and what is wrong,
exit code 2, and no traceback."""

import re

import numpy as np
import pytest

from poseau.cli import main
from poseau.config import SynthConfig, TrainConfig
from poseau.errors import PoseauError
from poseau.options import PredictOptions, SaliencyOptions, ScoreOptions, check_options
from poseau.recipes import DemoConfig, PretrainConfig

# (arguments, what the one line must contain)
OPTIONS = [
    (["predict", "v.mp4", "--out", "o", "--median", "2"], "argument --median: must be an odd width >= 1"),
    (["predict", "v.mp4", "--out", "o", "--median", "0"], "argument --median: must be an odd width >= 1"),
    (["predict", "v.mp4", "--out", "o", "--median", "-1"], "argument --median: must be an odd width >= 1"),
    (["predict", "v.mp4", "--out", "o", "--fps", "0"], "argument --fps: must be above 0"),
    (["predict", "v.mp4", "--out", "o", "--fps", "-5"], "argument --fps: must be above 0"),
    (["predict", "v.mp4", "--out", "o", "--crop-scale", "-1"], "argument --crop-scale: must be above 0"),
    (["predict", "v.mp4", "--out", "o", "--crop-scale", "0"], "argument --crop-scale: must be above 0"),
    (["predict", "v.mp4", "--out", "o", "--batch-size", "0"], "argument --batch-size: must be at least 1"),
    (["predict", "v.mp4", "--out", "o", "--batch-size", "-3"], "argument --batch-size: must be at least 1"),
    (["predict", "v.mp4", "--out", "o", "--detect-every", "0"], "argument --detect-every: must be at least 1"),
    (["predict", "v.mp4", "--out", "o", "--fps", "fast"], "argument --fps: expected a number, got 'fast'"),
    (["evaluate", "--model", "m.pt", "--store", "s", "--out", "o", "--median", "4"], "--median: must be an odd"),
    (["evaluate", "--model", "m.pt", "--store", "s", "--out", "o", "--batch-size", "0"], "--batch-size: must be at"),
    (["mix", "--model", "m.pt", "--store", "s", "--out", "o", "--batch-size", "-1"], "--batch-size: must be at"),
    (["saliency", "--model", "m.pt", "--store", "s", "--out", "o", "--frames", "0"], "argument --frames: must be at"),
    (["train", "--store", "s", "--out", "o", "--batch-size", "-2"], "argument --batch-size: must be at least 1"),
    (["prepare", "--dataset", "fera2017", "--root", "r", "--out", "o", "--crop-scale", "0"], "--crop-scale: must be"),
    (["prepare", "--dataset", "fera2017", "--root", "r", "--out", "o", "--every", "0"], "argument --every: must be"),
    (["prepare", "--dataset", "fera2017", "--root", "r", "--out", "o", "--workers", "0"], "--workers: must be at"),
    (["synth", "--out", "o", "--workers", "0"], "argument --workers: must be at least 1"),
    (["nope"], "invalid choice: 'nope'"),
    (["synth", "--out", "o", "--train-subjects", "0", "--valid-subjects", "0"], "at least one subject"),
    (["synth", "--out", "o", "--size", "15"], "argument --size: must be even and at least 16, got 15"),
    (["train", "--store", "s", "--out", "o", "--schedule", "linear"], "argument --schedule: invalid choice"),
    (["demo", "--size", "16"], "argument --size: must be at least 32, got 16"),
    (["demo", "--size", "128"], "demo config: invalid size=128 (size at most render_size"),
    (["demo", "--max-epochs", "0"], "argument --max-epochs: must be at least 1, got 0"),
    (["demo", "--look", "x"], "argument --look: invalid choice: 'x' (choose from 'studio', 'varied')"),
    (["demo", "--median", "2"], "argument --median: must be an odd width"),
    (["pretrain", "--precision", "float8"], "argument --precision: invalid choice: 'float8'"),
    (["pretrain", "--holdout-seed", "1"], "pretrain config: invalid holdout_seed=1"),
    (["pretrain", "--lr", "0"], "argument --lr: must be above 0, got 0"),
    (["evaluate", "--model", "missing.pt", "--store", "nostore", "--out", "o"], "nostore: not a finished frame store"),
    (["train", "--store", "nostore", "--out", "o"], "nostore: not a finished frame store"),
    (["train", "--store", "s", "--out", "o", "--val-fraction", "1.5"], "--val-fraction: must be above 0 and below 1"),
    (["train", "--store", "s", "--out", "o", "--aus", "AU99"], "argument --aus: must be among AU01, AU04"),
    (["train", "--store", "s", "--out", "o", "--model", "nope"], "argument --model: invalid choice: 'nope'"),
    (["train", "--store", "s", "--out", "o", "--optimizer", "rmsprop"], "argument --optimizer: invalid choice"),
    (["mix", "--model", "a.pt", "--store", "s", "--out", "o.pt"], "a mixed model needs two or more model files"),
    (["export", "--model", "missing.pt", "--out", "m.onnx"], "missing.pt: no such poseau model file"),
    (["saliency", "--model", "missing.pt", "--store", "nostore", "--out", "o"], "nostore: not a finished frame"),
    (["report", "missingdir"], "missingdir: no such folder"),
    (["facemodel", "build"], "facemodel build: give --src"),
    (["facemodel", "where", "--face-model", "missing.npz"], "missing.npz: face model not found"),
    (["prepare", "--dataset", "fera2017", "--root", "missingroot", "--out", "o"], "missingroot: no such folder"),
    (["prepare", "--dataset", "manifest", "--root", "missing.csv", "--out", "o"], "missing.csv: no such manifest"),
    (["prepare", "--dataset", "affwild", "--root", "r", "--out", "o"], "argument --dataset: invalid choice"),
    (["synth", "--out", "o", "--views", "0,10"], "argument --views: must be among 1, 2, 3"),
    (["synth", "--out", "o", "--look", "fancy"], "argument --look: invalid choice: 'fancy'"),
    (["synth", "--out", "o", "--missing-rate", "1.5"], "--missing-rate: must be at least 0 and below 1"),
    (["synth", "--out", "o", "--tasks", "9"], "argument --tasks: must be from 1 to 8, got 9"),
    (["synth", "--out", "o", "--supersample", "0"], "argument --supersample: must be at least 1, got 0"),
    (["synth"], "the following arguments are required: --out"),
    (["predict", "--out", "o"], "no inputs: give videos, images or folders, or --list FILE"),
    (["predict", "v.mp4", "--out", "o", "--runtime", "tensorrt"], "argument --runtime: invalid choice"),
    (["predict", "v.mp4", "--out", "o", "--model", "missing.pt"], "missing.pt: no such poseau model file"),
    (["predict", "v.mp4", "--out", "o", "--device", "cuda"], "--device cuda: CUDA is not available here"),
    (["evaluate", "--model", "m.pt", "--store", "s", "--out", "o", "--partition"], "--partition: expected one"),
    (["train", "--store", "s", "--out", "o", "--patience", "0"], "argument --patience: must be at least 1, got 0"),
    (["train", "--store", "s", "--out", "o", "--lr", "-1"], "argument --lr: must be above 0, got -1"),
    (["demo", "--train-subjects", "0"], "argument --train-subjects: must be at least 1, got 0"),
    (["saliency", "--model", "m.pt", "--store", "s", "--out", "o", "--aus", "AU99"], "argument --aus: must be among"),
]


@pytest.mark.parametrize("args,says", OPTIONS, ids=[" ".join(a[:1] + a[-2:]) for a, _ in OPTIONS])
def test_bad_options_are_one_line_and_exit_2(args, says, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err and "Traceback" not in err, err


@pytest.mark.parametrize("options,says", [({"median": 2}, "median must be an odd width"),
                                          ({"fps": -5}, "fps must be above 0, got -5"),
                                          ({"crop_scale": 0}, "crop_scale must be above 0"),
                                          ({"batch_size": -1}, "batch_size must be at least 1"),
                                          ({"detect_every": 0}, "detect_every must be at least 1")])
def test_python_callers_get_the_same_checks(options, says):
    with pytest.raises(PoseauError, match=says):
        check_options(**options)


@pytest.mark.parametrize("make,says", [
    (lambda: SynthConfig(size=15), r"synth config: invalid size=15 \(size even and at least 16\)"),
    (lambda: SynthConfig(tasks=9, missing_rate=1.5), r"invalid tasks=9, missing_rate=1.5 \(tasks from 1 to 8; "),
    (lambda: SynthConfig(train_subjects=0, valid_subjects=0), "invalid test_subjects=0 .*at least one subject"),
    (lambda: TrainConfig(lr=0), r"train config: invalid lr=0 \(lr above 0\)"),
    (lambda: DemoConfig(size=128), "demo config: invalid size=128 .*size at most render_size"),
    (lambda: DemoConfig(max_epochs=0), r"demo config: invalid max_epochs=0 \(max_epochs at least 1\)"),
    (lambda: PretrainConfig(precision="float8"), "invalid precision='float8' .*one of half, int8"),
    (lambda: PredictOptions(median=4), "median must be an odd width >= 1"),
    (lambda: ScoreOptions(batch_size=0), "batch_size must be at least 1, got 0"),
    (lambda: SaliencyOptions(aus=("AU99",)), r"aus must be among AU01, .*got \('AU99',\)"),
])
def test_configs_made_in_python_check_the_rules_the_command_line_checks(make, says):
    with pytest.raises(PoseauError, match=says):
        make()


# (arguments with FILE for an existing file and DIR for an existing folder, what the one line must contain)
OUTPUTS = [
    (["predict", "v.mp4", "--out", "FILE"], "FILE: is a file, not a folder"),
    (["synth", "--out", "FILE"], "FILE: is a file, not a folder"),
    (["demo", "--out", "FILE"], "FILE: is a file, not a folder"),
    (["prepare", "--dataset", "fera2017", "--root", "r", "--out", "FILE"], "FILE: is a file, not a folder"),
    (["evaluate", "--model", "m.pt", "--store", "s", "--out", "FILE"], "FILE: is a file, not a folder"),
    (["saliency", "--model", "m.pt", "--store", "s", "--out", "FILE"], "FILE: is a file, not a folder"),
    (["mix", "--model", "a.pt", "b.pt", "--store", "s", "--out", "DIR"], "DIR: is a folder, not a file"),
    (["export", "--model", "m.pt", "--out", "DIR"], "DIR: is a folder, not a file"),
    (["report", "FILE"], "FILE: is a file, not a folder"),
    (["predict", "v.mp4", "--out", "FILE/sub"], "FILE: is a file, not a folder"),
]


@pytest.mark.parametrize("args,says", OUTPUTS, ids=[" ".join(a[:1] + a[-1:]) for a, _ in OUTPUTS])
def test_output_paths_are_checked_before_any_work(args, says, tmp_path, capsys):
    (tmp_path / "FILE").write_text("keep me")
    (tmp_path / "DIR").mkdir()
    args = [str(tmp_path / a) if a.split("/")[0] in ("FILE", "DIR") else a for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(tmp_path / says.split(":")[0]) + says[says.index(":"):] in err, err
    assert (tmp_path / "FILE").read_text() == "keep me" and list((tmp_path / "DIR").iterdir()) == []


def test_partitions_named_for_training_must_exist_and_validation_never_takes_other_partitions():
    from types import SimpleNamespace

    import pandas as pd

    from poseau.config import TrainConfig
    from poseau.train.splits import split_rows

    index = pd.DataFrame({"partition": ["train"] * 6 + ["valid"] * 2 + ["test"] * 2,
                          "subject": ["F1", "F1", "F2", "F2", "F3", "F3", "F4", "F4", "F5", "F5"]})
    store = SimpleNamespace(index=index, path="store")
    with pytest.raises(PoseauError, match="no partition 'nope' to train on; it has test, train, valid"):
        split_rows(store, TrainConfig(train_partition="nope"))
    train, val = split_rows(store, TrainConfig(val_partition="nope", val_fraction=0.34))
    assert set(index.loc[np.concatenate([train, val]), "partition"]) == {"train"} and len(val) == 2
    single = SimpleNamespace(index=index.assign(partition="all"), path="store")
    train, val = split_rows(single, TrainConfig())  # one pool (BP4D, DISFA): split by subject
    assert len(train) + len(val) == 10 and set(index.loc[val, "subject"]).isdisjoint(index.loc[train, "subject"])


def test_a_store_without_the_models_aus_is_refused_before_predicting():
    from types import SimpleNamespace

    import pandas as pd
    from nets import random_model

    from poseau.evaluate.predictions import predict_store

    store = SimpleNamespace(index=pd.DataFrame({"partition": ["test"], "AU06": [1]}), path="store")
    with pytest.raises(PoseauError, match="store: the store has no labels of AU12, which the model predicts "
                                          r"\(the store's AUs: AU06\)"):
        predict_store(random_model("pose-invariant", ("AU06", "AU12"), 0), store, np.arange(1))


def test_resume_of_a_finished_run_with_another_config_is_refused(tmp_path):
    from nets import random_model

    from poseau.config import ModelConfig, TrainConfig
    from poseau.models.checkpoint import model_record, save_atomic
    from poseau.train.loop import train

    model = random_model("pose-invariant", ("AU12",), 0)
    config = TrainConfig(weights="none")
    (tmp_path / "run").mkdir()
    save_atomic(model_record(model, train={"config": config.__dict__ | {"stages": []}}), tmp_path / "run" / "model.pt")
    other = ModelConfig(kind="pose-invariant", backbone="efficientnet_lite0", aus=("AU06",), size=32, hidden=16)
    with pytest.raises(PoseauError, match="holds a finished run of another config"):
        train(other, config, "no-store-needed", tmp_path / "run", resume=True)


def write_audio_only(path):
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000)
        for i in range(10):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 16000, i * 1024
            container.mux(stream.encode(frame))
        container.mux(stream.encode())


def test_files_that_are_not_videos_say_what_they_are(tmp_path, capsys):
    write_audio_only(tmp_path / "talk.mp4")
    (tmp_path / "notes.txt").write_text("\n".join(f"line {i} of some notes" for i in range(400)))
    (tmp_path / "random.mp4").write_bytes(np.random.default_rng(0).integers(0, 256, 5000, np.uint8).tobytes())
    assert main(["predict", str(tmp_path / "talk.mp4"), str(tmp_path / "notes.txt"), str(tmp_path / "random.mp4"),
                 "--out", str(tmp_path / "out"), "--model", "any.pt"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert any("any.pt: no such poseau model file" in line for line in lines)
    from poseau.data.video import count_frames

    for name, says in (("talk.mp4", "has no video stream (its streams: audio)"),
                       ("notes.txt", "is not a video or image file"), ("random.mp4", "is not a video or image file")):
        with pytest.raises(PoseauError, match=re.escape(f"{name}: {says}")):
            count_frames(tmp_path / name)


def test_a_folder_with_an_unreadable_image_keeps_the_others(tmp_path, caplog):
    import cv2
    import pandas as pd
    from nets import random_model

    from poseau.faces.detect import Face
    from poseau.infer.batch import Work, predict_batch
    from poseau.infer.inputs import gather_inputs
    from poseau.infer.predictor import Predictor
    from poseau.options import PredictOptions

    class Anywhere:
        def detect_all(self, image):
            return [Face((10, 10, 40, 40), 0.9)]

    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("a.png", "c.png"):
        cv2.imwrite(str(folder / name), np.full((64, 64, 3), 128, np.uint8))
    (folder / "b.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    predictor = Predictor(random_model("pose-invariant", ("AU12",), 0), detector=Anywhere())
    summary = predict_batch(gather_inputs([folder]), tmp_path / "out", Work("", PredictOptions(), plot=False),
                            predictor=predictor, progress=False)
    assert [o.status for o in summary.outcomes] == ["done"]
    assert "b.jpg: cannot be read as an image" in caplog.text
    table = pd.read_csv(tmp_path / "out" / "photos.csv")
    assert table["file"].tolist() == ["a.png", "c.png"] and table["frame"].tolist() == [1, 3]


def test_other_libraries_log_lines_reach_the_terminal_only_with_verbose(tmp_path):
    import subprocess
    import sys

    from nets import random_model

    from poseau.models.checkpoint import model_record, save_atomic

    pytest.importorskip("onnxruntime")
    save_atomic(model_record(random_model("pose-invariant", ("AU12",), 0)), tmp_path / "m.pt")

    def export(*flags):
        return subprocess.run([sys.executable, "-m", "poseau", *flags, "export", "--model", str(tmp_path / "m.pt"),
                               "--out", str(tmp_path / "m.onnx")], capture_output=True, text=True, check=True)

    quiet = export()
    assert "torchvision" not in quiet.stderr and "onnx_ir" not in quiet.stderr and "Warning" not in quiet.stderr
    assert quiet.stderr.count("\n") <= 1 and "largest |onnxruntime - torch|" in quiet.stdout
    assert "onnx_ir" in export("-v").stderr


def test_the_library_refuses_the_same_nonsense_as_the_command_line():
    from poseau.evaluate.evaluation import evaluate_model
    from poseau.explain.saliency import draw_saliency

    with pytest.raises(PoseauError, match="batch_size must be at least 1, got -1"):
        evaluate_model("m.pt", "store", batch_size=-1)
    with pytest.raises(PoseauError, match="frames must be at least 1, got 0"):
        draw_saliency("m.pt", "store", "out", frames=0)
