"""`prepare`: the frame store's counts, labels and pixels, resuming, options and bad input."""

import dataclasses
import json
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pandas as pd
import pytest
from layouts import frame_image, write_bp4d, write_fera, write_video

from poseau.config import PrepareConfig
from poseau.constants import AUS
from poseau.data import store as store_module
from poseau.data.preprocess import Preprocessing
from poseau.data.store import FrameStore, prepare
from poseau.data.video import read_frames
from poseau.errors import PoseauError


def reference_preprocess(bgr: np.ndarray, size: int) -> np.ndarray:
    """The paper's preprocessing written out in numpy: BT.601 grey (0.299 R + 0.587 G + 0.114 B in 15-bit
    fixed point, rounded, as OpenCV 4 computes it: equalisation turns a one-level difference into several),
    histogram equalisation (the cumulative histogram from the first used level), k x k block means to shrink."""
    b, g, r = (bgr[..., c].astype(np.int64) for c in range(3))
    grey = (9798 * r + 19235 * g + 3735 * b + (1 << 14)) >> 15
    hist = np.bincount(grey.ravel(), minlength=256)
    first = np.flatnonzero(hist)[0]
    cdf = np.cumsum(hist) - hist[first]
    lut = np.clip(np.round(cdf * 255.0 / (grey.size - hist[first])), 0, 255)
    eq = lut[grey]
    k = grey.shape[0] // size
    return np.round(eq.reshape(size, k, size, k).mean(axis=(1, 3))).astype(np.int64)


def decode_with_opencv(path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, bgr = capture.read()
        if not ok:
            return frames
        frames.append(bgr)


def test_prepare_fera_layout_counts_labels_pixels(tmp_path):
    truth = write_fera(tmp_path / "fera")
    store = prepare(PrepareConfig(dataset="fera2017", root=str(tmp_path / "fera"), size=16), tmp_path / "store",
                    workers=2, progress=False)
    index = store.index
    assert store.frames.shape == (sum(n for n, _ in truth.values()), 16, 16)
    assert index.groupby(["partition", "subject", "task", "view"]).size().to_dict() == {
        k: n for k, (n, _) in truth.items()}
    assert (store.labels == 9).sum() == sum(len(values) + (7 - len(values)) * n for n, values in truth.values())
    worst = 0
    for source, rows in index.groupby("source").groups.items():
        decoded = decode_with_opencv(tmp_path / "fera" / source)
        positions = index.loc[rows, "position"].to_numpy()
        assert len(decoded) == len(rows)
        for row, pos in zip(rows, positions, strict=True):
            diff = np.abs(store.frames[row].astype(np.int64) - reference_preprocess(decoded[pos], 16))
            worst = max(worst, diff.max())
    assert worst <= 1  # rounding differences only


def test_prepare_generator_output(small_dataset, tmp_path):
    from conftest import SMALL

    store = prepare(PrepareConfig(dataset="fera2017", root=str(small_dataset), size=64), tmp_path / "st",
                    workers=2, progress=False)
    subjects = SMALL.train_subjects + SMALL.valid_subjects
    counts = store.index.groupby(["partition", "subject", "task", "view"]).size()
    assert len(counts) == subjects * SMALL.tasks * 9 and (counts == SMALL.frames).all()
    for (partition, subject, task), seq in store.index.groupby(["partition", "subject", "task"]):
        code = {"train": "TR", "valid": "VA"}[partition]
        for au in AUS:
            label_file = next(small_dataset.rglob(f"FERA17_{code}_{subject}_{task}_{au}_Int.csv"))
            expected = pd.read_csv(label_file, header=None)[1].to_numpy()
            for _, view_rows in seq.groupby("view"):
                np.testing.assert_array_equal(view_rows[au].to_numpy(), expected)
    assert (store.labels == 9).any()  # SMALL has missing runs, kept as 9
    row = int(np.flatnonzero(store.index["view"] == 3)[5])
    video = small_dataset / store.index.loc[row, "source"]
    expected = Preprocessing(size=64)(read_frames(video)[store.index.loc[row, "position"]])
    np.testing.assert_array_equal(store.frames[row], expected)


def test_prepare_options_keep_views_partitions_every(small_dataset, tmp_path):
    config = PrepareConfig(dataset="fera2017", root=str(small_dataset), size=32, views=(4, 6),
                           partitions=("valid",), every=3)
    store = prepare(config, tmp_path / "st", workers=1, progress=False)
    assert set(store.index["view"]) == {4, 6} and set(store.index["partition"]) == {"valid"}
    assert sorted(set(store.index["position"])) == list(range(0, 12, 3))
    assert FrameStore(tmp_path / "st").meta["config"]["views"] == [4, 6]


def _store_bytes(path):
    return {name: (path / name).read_bytes() for name in ("frames.npy", "index.csv", "store.json", "prepare.yaml")}


def test_interrupted_prepare_resumes_to_the_same_store(small_dataset, tmp_path, monkeypatch):
    config = PrepareConfig(dataset="fera2017", root=str(small_dataset), size=32)
    clean = prepare(config, tmp_path / "clean", workers=1, progress=False).path

    real = store_module._do_unit
    calls = []

    def dies_on_the_fourth_unit(unit):
        calls.append(unit.uid)
        if len(calls) == 4:  # half-written unit: garbage in its rows, never logged as done
            store_module._worker["frames"][list(unit.rows)] = 77
            raise KeyboardInterrupt
        return real(unit)

    monkeypatch.setattr(store_module, "_do_unit", dies_on_the_fourth_unit)
    with pytest.raises(KeyboardInterrupt):
        prepare(config, tmp_path / "resumed", workers=1, progress=False)
    assert not (tmp_path / "resumed" / "store.json").exists()
    assert len((tmp_path / "resumed" / ".prepare" / "done.tsv").read_text().splitlines()) == 3

    monkeypatch.setattr(store_module, "_do_unit", real)
    calls.clear()
    prepare(config, tmp_path / "resumed", workers=1, progress=False)
    assert _store_bytes(tmp_path / "resumed") == _store_bytes(clean)
    assert not (tmp_path / "resumed" / ".prepare").exists()


@pytest.mark.slow
def test_killed_prepare_process_resumes_to_the_same_store(tmp_path):
    """A real SIGKILL in the middle of `poseau prepare` (face crop on: slow enough to be caught midway)."""
    from layouts import write_labels
    from processes import kill_when

    root = tmp_path / "data"
    for i in range(8):
        write_video(root / f"FERA17_TR_F{i:03d}_T1_6.mp4", [frame_image(100 * i + k, 192) for k in range(40)])
        write_labels(root / f"FERA17_TR_F{i:03d}_T1_AU12_Int.csv", [k % 6 for k in range(40)])
    args = [sys.executable, "-m", "poseau", "-q", "prepare", "--dataset", "fera2017", "--root", str(root),
            "--size", "48", "--face-crop", "--workers", "1"]
    done_log = tmp_path / "killed" / ".prepare" / "done.tsv"
    kill_when([*args, "--out", str(tmp_path / "killed")],
              lambda: done_log.is_file() and len(done_log.read_text().splitlines()) >= 2, timeout=120)
    assert not (tmp_path / "killed" / "store.json").exists()

    for out in ("killed", "clean"):
        subprocess.run([*args, "--out", str(tmp_path / out)], check=True)
    assert _store_bytes(tmp_path / "killed") == _store_bytes(tmp_path / "clean")


def test_prepare_refuses_another_config_and_reuses_a_finished_store(small_dataset, tmp_path):
    config = PrepareConfig(dataset="fera2017", root=str(small_dataset), size=32, views=(6,))
    first = prepare(config, tmp_path / "st", workers=1, progress=False)
    mtime = (first.path / "frames.npy").stat().st_mtime_ns
    assert len(prepare(config, tmp_path / "st", progress=False)) == len(first)
    assert (first.path / "frames.npy").stat().st_mtime_ns == mtime
    run = subprocess.run([sys.executable, "-m", "poseau", "-q", "prepare", "--dataset", "fera2017", "--root",
                          str(small_dataset), "--out", str(tmp_path / "st"), "--size", "48"],
                         capture_output=True, text=True)
    assert run.returncode == 2 and "another config" in run.stderr and "Traceback" not in run.stderr


def test_a_store_moved_with_its_dataset_is_reused_and_another_dataset_is_refused(small_dataset, tmp_path):
    shutil.copytree(small_dataset, tmp_path / "run" / "data")
    config = PrepareConfig(dataset="fera2017", root=str(tmp_path / "run" / "data"), size=32, views=(6,))
    first = prepare(config, tmp_path / "run" / "store", workers=1, progress=False)
    (tmp_path / "run").rename(tmp_path / "moved")
    moved = dataclasses.replace(config, root=str(tmp_path / "moved" / "data"))
    mtime = (tmp_path / "moved" / "store" / "frames.npy").stat().st_mtime_ns
    again = prepare(moved, tmp_path / "moved" / "store", workers=1, progress=False)
    assert len(again) == len(first) and (again.path / "frames.npy").stat().st_mtime_ns == mtime
    sequence = sorted((tmp_path / "moved" / "data").glob("FERA17_*_MV/*.mp4"))[0].name.rsplit("_", 1)[0]
    for path in (tmp_path / "moved" / "data").glob(f"*/{sequence}*"):  # the same options, one sequence fewer
        path.unlink()
    with pytest.raises(PoseauError, match="another config or dataset"):
        prepare(moved, tmp_path / "moved" / "store", workers=1, progress=False)


def test_unreadable_image_stops_or_is_skipped_and_listed(tmp_path):
    write_bp4d(tmp_path / "bp4d")
    bad = tmp_path / "bp4d" / "Sequences" / "M001" / "T2" / "0004.jpg"
    bad.write_bytes(b"junk")
    config = PrepareConfig(dataset="bp4d", root=str(tmp_path / "bp4d"), size=16)
    with pytest.raises(PoseauError, match="0004.jpg"):
        prepare(config, tmp_path / "a", workers=1, progress=False)

    store = prepare(PrepareConfig(**{**config.__dict__, "skip_bad": True}), tmp_path / "b", workers=2,
                    progress=False)
    assert len(store) == 9 and "0004.jpg" not in set(store.index["source"].str[-8:])  # that image only
    assert store.index["subject"].value_counts().to_dict() == {"F001": 5, "M001": 4}
    skipped = json.loads((store.path / "store.json").read_text())["skipped"]
    assert skipped == [{"file": "Sequences/M001/T2/0004.jpg",
                        "reason": "cannot be read as an image (empty, damaged or not an image)"}]
    image = cv2.imread(str(tmp_path / "bp4d" / "Sequences" / "F001" / "T1" / "0011.jpg"))
    np.testing.assert_array_equal(store.frames[1], Preprocessing(size=16)(image[..., ::-1]))


def test_prepare_disfa_layout(tmp_path):
    from layouts import write_disfa

    write_disfa(tmp_path / "disfa", n=8)
    store = prepare(PrepareConfig(dataset="disfa", root=str(tmp_path / "disfa"), size=16, every=2),
                    tmp_path / "st", workers=2, progress=False)
    assert len(store) == 2 * 2 * 4 and set(store.index["position"]) == {0, 2, 4, 6}
    assert (store.pose_groups == -1).all()  # no FERA view
    row = int(np.flatnonzero((store.index["task"] == "right") & (store.index["position"] == 4))[0])
    video = tmp_path / "disfa" / store.index.loc[row, "source"]
    np.testing.assert_array_equal(store.frames[row], Preprocessing(size=16)(read_frames(video)[4]))


def test_prepare_workers_start_in_a_process_whose_opencv_threads_have_run(small_dataset, tmp_path):
    """pretrain trains (OpenCV's thread pool busy with --degrade) and then prepares: forked workers hung there."""
    from conftest import SMALL

    code = (
        "import cv2, numpy as np\n"
        "cv2.setNumThreads(2)\n"
        "for _ in range(20): cv2.GaussianBlur(np.random.rand(1500, 1500).astype(np.float32), (0, 0), 3)\n"
        "from poseau.config import PrepareConfig\n"
        "from poseau.data.store import prepare\n"
        f"prepare(PrepareConfig(dataset='fera2017', root={str(small_dataset)!r}, size=32), {str(tmp_path / 's')!r}, "
        "workers=2, progress=False)\n")
    subprocess.run([sys.executable, "-c", code], timeout=120, check=True)
    assert len(FrameStore(tmp_path / "s")) == (SMALL.train_subjects + SMALL.valid_subjects) * SMALL.frames * 9


def test_prepare_with_landmarks_keeps_where_the_renders_landmarks_fall_in_each_frame(small_dataset, tmp_path):
    from poseau.data.fera2017 import landmarks_path

    whole = prepare(PrepareConfig(dataset="fera2017", root=str(small_dataset), size=64, landmarks=True),
                    tmp_path / "whole", workers=2, progress=False)
    assert whole.landmarks.shape == (len(whole), 68, 2) and np.isfinite(whole.landmarks).all()
    for row in (0, len(whole) - 1):  # the whole frame: the renderer's pixels over the frame's side
        source, position = whole.index.loc[row, "source"], whole.index.loc[row, "position"]
        pixels = np.load(landmarks_path(small_dataset / source))[position]
        np.testing.assert_allclose(whole.landmarks[row] * 96, pixels, atol=1e-3)
    cropped = prepare(PrepareConfig(dataset="fera2017", root=str(small_dataset), size=64, face_crop=True,
                                    landmarks=True), tmp_path / "crop", workers=2, progress=False)
    marks = np.asarray(cropped.landmarks)
    centre, width = marks.mean(1), marks[:, :, 0].max(1) - marks[:, :, 0].min(1)
    assert (np.abs(centre - 0.5) < 0.2).all()  # the face sits in the middle of its crop, inside it
    assert ((marks > 0) & (marks < 1)).all() and ((width > 0.3) & (width < 0.9)).all()
    assert not np.allclose(marks, whole.landmarks, atol=0.02)  # cut around the face, not the whole frame
    assert FrameStore(tmp_path / "crop").landmarks is not None
    assert prepare(PrepareConfig(dataset="fera2017", root=str(small_dataset), size=32), tmp_path / "none",
                   workers=1, progress=False).landmarks is None


def test_prepare_with_landmarks_names_a_video_without_them(tmp_path):
    root = tmp_path / "fera"
    write_fera(root)  # real FERA 2017 has no landmark files
    with pytest.raises(PoseauError, match=r"FERA17_\w+_\d\.mp4: no readable landmark file .*landmarks\.npy"):
        prepare(PrepareConfig(dataset="fera2017", root=str(root), size=32, landmarks=True), tmp_path / "st",
                workers=1, progress=False)
