"""`poseau predict` and `poseau export`: rows per decoded frame, timestamps, faces, batching, the CSV, ONNX
parity, bad input. Synthetic videos are written here with PyAV; real media are read from ../shared/media."""

import math
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pandas as pd
import pytest
from conftest import SHARED, assert_drawn
from nets import random_model

from poseau.cli import main
from poseau.constants import DEFAULT_CROP_SCALE
from poseau.data.preprocess import Preprocessing
from poseau.data.smoothing import median_filter
from poseau.errors import PoseauError
from poseau.faces.boxes import crop, square_box
from poseau.faces.detect import Face
from poseau.faces.track import FaceTracker, follow
from poseau.infer.predict import smooth_faces
from poseau.infer.predictor import predict_images, predict_video
from poseau.infer.runners import TorchRunner
from poseau.models.checkpoint import model_record, save_atomic

MEDIA = SHARED / "media"
BOX = (20, 10, 40, 48)


class BrightFace:
    """A stand-in detector: a face at BOX in frames whose mean is above 60, else none."""

    def detect_all(self, image):
        return [Face(BOX, 0.9)] if image.mean() > 60 else []


def write_vfr(path: Path, pts_ms: list[int], bright: list[bool]) -> list[np.ndarray]:
    """An H.264 video whose frames are shown at the given milliseconds (a variable frame rate)."""
    rng = np.random.default_rng(0)
    frames = [np.clip(rng.normal(150 if b else 20, 30, (64, 80, 3)), 0, 255).astype(np.uint8) for b in bright]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 80, 64, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        stream.options = {"crf": "0", "tune": "zerolatency"}
        for frame, pts in zip(frames, pts_ms, strict=True):
            f = av.VideoFrame.from_ndarray(frame, format="rgb24")
            f.pts, f.time_base = pts, Fraction(1, 1000)
            container.mux(stream.encode(f))
        container.mux(stream.encode())
    decoded = [f.to_ndarray(format="rgb24") for f in av.open(str(path)).decode(video=0)]
    return decoded


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model.pt"
    model = random_model("pose-dependent", ("AU06", "AU12"), 0, 32)
    save_atomic(model_record(model), path)
    return path


def test_one_row_per_decoded_frame_with_its_own_timestamp(model_file, tmp_path):
    pts = [0, 40, 120, 130, 200, 330, 400, 410]
    bright = [True, True, False, True, True, False, True, True]
    decoded = write_vfr(tmp_path / "v.mp4", pts, bright)
    runner = TorchRunner(random_model("pose-dependent", ("AU06", "AU12"), 0, 32))
    table = predict_video(tmp_path / "v.mp4", runner, detector=BrightFace(), batch_size=3, detect_every=1)
    assert table["frame"].tolist() == list(range(1, 9))
    np.testing.assert_allclose(table["timestamp"], np.array(pts) / 1000)
    assert table["success"].tolist() == [int(b) for b in bright]
    assert table.loc[table["success"] == 0, "AU12_r"].isna().all()
    assert table.columns.tolist()[:5] == ["frame", "face_id", "timestamp", "confidence", "success"]
    # a whole-frame model: predict frames the face with the default crop scale, by hand here
    by_hand = [Preprocessing(size=32)(crop(decoded[i], square_box(BOX, DEFAULT_CROP_SCALE))) for i in range(8)]
    faces = np.stack([f for f, b in zip(by_hand, bright, strict=True) if b])
    intensity, pose = runner(faces)
    ok = table["success"] == 1
    np.testing.assert_allclose(table.loc[ok, ["AU06_r", "AU12_r"]], intensity, atol=1e-5)
    np.testing.assert_allclose(table.loc[ok, ["pose_up", "pose_level", "pose_down"]], pose, atol=1e-5)
    assert table.loc[ok, ["face_x", "face_y", "face_w", "face_h"]].iloc[0].tolist() == list(BOX)
    one_batch = predict_video(tmp_path / "v.mp4", runner, detector=BrightFace(), batch_size=64, detect_every=1)
    pd.testing.assert_frame_equal(table, one_batch, atol=1e-5)
    followed = predict_video(tmp_path / "v.mp4", runner, detector=BrightFace(), detect_every=3)
    assert followed["success"].all()  # the dark frames 3 and 6 fall between keyframes that found the face


def test_a_face_crop_model_is_given_faces_cut_as_its_training_faces_were(tmp_path):
    """A model built with a face-crop store's preprocessing (as `train` builds it) crops with that scale in
    predict, not the default; --crop-scale overrides it."""
    decoded = write_vfr(tmp_path / "v.mp4", [0, 40, 80], [True] * 3)
    framing = Preprocessing(size=32, face_crop=True, crop_scale=1.8, face_detector="haar")
    model = random_model("pose-invariant", ("AU12",), 2, 32, framing)
    save_atomic(model_record(model), tmp_path / "crop.pt")
    table = predict_video(tmp_path / "v.mp4", tmp_path / "crop.pt", detector=BrightFace())
    own = model.predict(np.stack([framing(f, BOX) for f in decoded]))[0][:, 0]
    default = model.predict(np.stack([framing.for_faces(DEFAULT_CROP_SCALE)(f, BOX) for f in decoded]))[0][:, 0]
    np.testing.assert_allclose(table["AU12_r"], own, atol=1e-5)
    assert np.abs(own - default).max() > 1e-3  # the scale matters, so the match above says which was used
    other = predict_video(tmp_path / "v.mp4", tmp_path / "crop.pt", detector=BrightFace(), crop_scale=1.4)
    np.testing.assert_allclose(other["AU12_r"], default, atol=1e-5)


def test_a_model_file_and_its_onnx_export_predict_the_same_from_uint8_faces(tmp_path):
    pytest.importorskip("onnxruntime")
    from poseau.export.onnx import export_onnx
    from poseau.infer.onnx_runner import OnnxRunner
    from poseau.models.checkpoint import load_model

    framing = Preprocessing(size=32, face_crop=True, crop_scale=1.6, face_detector="yunet")
    save_atomic(model_record(random_model("pose-dependent", ("AU01", "AU12"), 6, 32, framing)), tmp_path / "m.pt")
    assert export_onnx(tmp_path / "m.pt", tmp_path / "m.onnx") < 1e-4
    torch_model, onnx_model = load_model(tmp_path / "m.pt"), OnnxRunner(tmp_path / "m.onnx")
    assert onnx_model.preprocessing == torch_model.preprocessing == framing and onnx_model.aus == ("AU01", "AU12")
    faces = np.random.default_rng(7).integers(0, 256, (6, 32, 32), dtype=np.uint8)
    (a, pose_a), (b, pose_b) = torch_model.predict(faces), onnx_model.predict(faces)
    assert a.dtype == b.dtype == np.float32 and a.max() > 0.5  # on 0-5, not 0-1
    np.testing.assert_allclose(a, b, atol=1e-4)
    np.testing.assert_allclose(pose_a, pose_b, atol=1e-5)


def test_face_ids_follow_boxes_across_frames():
    tracker = FaceTracker()
    a, b = Face((0, 0, 50, 50), 1.0), Face((100, 0, 50, 50), 1.0)
    assert tracker.assign([a, b]) == [0, 1]
    moved_b, moved_a = Face((104, 2, 50, 50), 1.0), Face((5, 0, 48, 50), 1.0)
    assert tracker.assign([moved_b, moved_a]) == [1, 0]          # order of detection does not matter
    assert tracker.assign([Face((300, 300, 40, 40), 1.0), moved_a]) == [2, 0]  # a newcomer gets a new id


class Moving:
    """A stand-in detector over frame numbers: a face moving 4 px right per frame, gone at frames in ``gone``,
    jumping 200 px at frame ``jump`` and after; it counts its calls."""

    def __init__(self, gone=(), jump=10**9):
        self.gone, self.jump, self.calls = set(gone), jump, []

    def box(self, n):
        return (10 + 4 * n + (200 if n >= self.jump else 0), 20, 40, 40)

    def detect_all(self, n):
        self.calls.append(n)
        return [] if n in self.gone else [Face(self.box(n), 0.9 - 0.01 * n), Face((0, 0, 5, 5), 0.5)]


def test_following_a_face_detects_every_nth_frame_and_interpolates_between():
    steady = Moving()
    pairs = list(follow(range(11), steady.detect_all, 3))
    assert [n for n, _ in pairs] == list(range(11))
    assert [faces[0].box for _, faces in pairs] == [steady.box(n) for n in range(11)]  # linear motion: exact
    assert steady.calls == [0, 3, 6, 9, 10]  # keyframes, then the frame after the last keyframe
    assert pairs[4][1][0].confidence == pytest.approx(0.9 - 0.06)  # the lower of its keyframes' confidences
    assert all(len(faces) == 1 for _, faces in pairs)  # the largest face only
    lost = Moving(gone={6})
    pairs = dict(follow(range(10), lost.detect_all, 3))
    assert sorted(lost.calls) == [0, 3, 4, 5, 6, 7, 8, 9] and pairs[6] == [] and pairs[5][0].box == lost.box(5)
    jumping = Moving(jump=5)
    pairs = dict(follow(range(10), jumping.detect_all, 3))
    assert pairs[4][0].box == jumping.box(4) and pairs[5][0].box == jumping.box(5) and 4 in jumping.calls
    assert [n for n, _ in follow(range(5), Moving().detect_all, 1)] == list(range(5))


def test_median_filter_runs_along_each_faces_found_frames():
    rng = np.random.default_rng(1)
    table = pd.DataFrame({"frame": np.repeat(np.arange(1, 7), 2), "face_id": np.tile([0, 1], 6),
                          "success": 1, "AU12_r": rng.uniform(0, 5, 12)})
    table.loc[4, "success"] = 0
    table.loc[4, "AU12_r"] = np.nan
    out = smooth_faces(table, 3)
    face0 = table[(table["face_id"] == 0) & (table["success"] == 1)]
    np.testing.assert_allclose(out.loc[face0.index, "AU12_r"], median_filter(face0["AU12_r"].to_numpy(), 3))
    assert math.isnan(out.loc[4, "AU12_r"])


def test_interrupted_prediction_leaves_no_csv(model_file, tmp_path):
    write_vfr(tmp_path / "v.mp4", [0, 40, 80, 120], [True] * 4)

    class Interrupt(BrightFace):
        calls = 0

        def detect_all(self, image):
            self.calls += 1
            if self.calls == 3:
                raise KeyboardInterrupt
            return super().detect_all(image)

    from poseau.infer.batch import Work, predict_batch
    from poseau.infer.inputs import gather_inputs
    from poseau.infer.predictor import Predictor
    from poseau.options import PredictOptions

    with pytest.raises(KeyboardInterrupt):
        predict_batch(gather_inputs([tmp_path / "v.mp4"]), tmp_path / "out", Work(str(model_file), PredictOptions()),
                      predictor=Predictor(model_file, detector=Interrupt(), detect_every=1), progress=False)
    assert [p.name for p in (tmp_path / "out").rglob("*")] == ["index.csv"]  # the run table only, no partial file


def test_onnx_export_matches_torch_and_predicts_the_same(model_file, tmp_path, capsys):
    pytest.importorskip("onnxruntime")
    assert main(["-q", "export", "--model", str(model_file), "--out", str(tmp_path / "m.onnx")]) == 0
    difference = float(capsys.readouterr().out.strip().rsplit(" ", 1)[-1])
    assert difference < 1e-4
    from poseau.infer.onnx_runner import OnnxRunner

    onnx, torch_runner = OnnxRunner(tmp_path / "m.onnx"), TorchRunner(random_model("pose-dependent",
                                                                                   ("AU06", "AU12"), 0, 32))
    assert onnx.aus == ("AU06", "AU12") and onnx.size == 32
    faces = np.random.default_rng(3).integers(0, 256, (5, 32, 32), dtype=np.uint8)
    for a, b in zip(onnx(faces), torch_runner(faces), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)
    write_vfr(tmp_path / "v.mp4", [0, 40, 80], [True] * 3)
    by_torch = predict_video(tmp_path / "v.mp4", model_file, detector=BrightFace())
    by_onnx = predict_video(tmp_path / "v.mp4", tmp_path / "m.onnx", detector=BrightFace(), runtime="onnx")
    pd.testing.assert_frame_equal(by_torch, by_onnx, atol=1e-4)


def test_bad_inputs_each_get_one_line_and_exit_2(model_file, tmp_path, capsys):
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not a video")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (tmp_path / "no_images").mkdir()
    bad = ["empty.mp4", "notes.txt", "broken.jpg", "no_images", "missing.mp4"]
    assert main(["-q", "predict", *(str(tmp_path / b) for b in bad), "--model", str(model_file), "--out",
                 str(tmp_path / "out"), "--detector", "haar"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == len(bad) and all(line.startswith("poseau: error: ") for line in lines)
    for name, line in zip(bad, lines, strict=False):
        assert name in line
    assert "5 inputs: 0 done, 0 already done, 5 failed" in captured.out
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["index.csv"]
    with pytest.raises(PoseauError, match="no face found in any of its 3 frames"):
        write_vfr(tmp_path / "dark.mp4", [0, 40, 80], [False] * 3)
        predict_video(tmp_path / "dark.mp4", model_file, detector=BrightFace())


needs_media = pytest.mark.skipif(not (MEDIA / "videos").is_dir(), reason="../shared/media is not here")


@needs_media
def test_real_videos_and_images(model_file, tmp_path, capsys):
    videos, images = MEDIA / "videos", MEDIA / "images"
    assert main(["-q", "predict", str(videos / "pyfeat__single_face.mp4"), str(videos / "openface__default.wmv"),
                 str(videos / "pyfeat__no_face.mp4"), str(images / "pyfeat__multi_face.jpg"), "--all-faces",
                 "--median", "3", "--model", str(model_file), "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "pyfeat__no_face.mp4: no face found in any of its 95 frames" in captured.err
    assert "4 inputs: 3 done, 0 already done, 1 failed" in captured.out
    single = pd.read_csv(tmp_path / "pyfeat__single_face.csv")
    assert len(single) == 72 and single["success"].all() and (single["confidence"] > 0.5).all()
    np.testing.assert_allclose(np.diff(single["timestamp"]), 1 / 30, atol=1e-3)
    wmv = pd.read_csv(tmp_path / "openface__default.csv")
    assert wmv["frame"].tolist() == list(range(1, 289)) and wmv["timestamp"].is_monotonic_increasing
    assert_drawn(tmp_path / "openface__default.png", min_size=(800, 250))  # two AU panels
    group = pd.read_csv(tmp_path / "pyfeat__multi_face.csv")
    assert sorted(group["face_id"]) == [0, 1, 2, 3, 4] and group["AU12_r"].between(0, 5).all()
    sequence = predict_images(images, model_file)
    assert len(sequence) == len(list(images.glob("*.jpg"))) and sequence["file"].is_unique


def test_a_mixed_model_exports_with_its_pose_output():
    pytest.importorskip("onnxruntime")
    from poseau.export.onnx import parity
    from poseau.infer.onnx_runner import OnnxRunner
    from poseau.models.mixed import MixedModel
    from poseau.models.onnx_graph import onnx_bytes

    inv = random_model("pose-invariant", ("AU06", "AU12"), 4, 32)
    dep = random_model("pose-dependent", ("AU06", "AU12"), 5, 32)
    mixed = MixedModel([inv, dep], {"AU06": 1, "AU12": 0}).eval()
    data = onnx_bytes(mixed)
    assert parity(mixed, data) < 1e-4
    runner = OnnxRunner(data)
    assert runner.aus == ("AU06", "AU12") and runner.outputs == ["intensity", "pose"]


@needs_media
def test_a_phone_video_stored_sideways_is_read_upright(model_file, tmp_path):
    """Frames stored turned 90 degrees clockwise with a display rotation of 90 (as phones write them) come
    out upright, so faces are found; FFmpeg (imageio-ffmpeg's binary) writes the rotation."""
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    import subprocess

    frames = [f.to_ndarray(format="rgb24") for f in av.open(str(MEDIA / "videos" / "pyfeat__single_face.mp4"))
              .decode(video=0)][:6]
    sideways = [np.ascontiguousarray(np.rot90(f, -1)) for f in frames]
    write_video_frames(tmp_path / "stored.mp4", sideways)
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-display_rotation", "90", "-i",
                    str(tmp_path / "stored.mp4"), "-c", "copy", str(tmp_path / "phone.mp4")], check=True)
    from poseau.infer.sources import video_frames

    upright = [f.image for f in video_frames(tmp_path / "phone.mp4")]
    assert upright[0].shape == frames[0].shape
    assert np.abs(upright[0].astype(int) - frames[0]).mean() < 3
    table = predict_video(tmp_path / "phone.mp4", model_file)
    assert table["success"].all()


def write_video_frames(path: Path, frames: list[np.ndarray]) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt, stream.options = "yuv420p", {"crf": "0"}
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())


@pytest.mark.slow
def test_predict_cuts_a_render_as_the_face_crop_store_cut_it(small_dataset, tmp_path):
    """Train as you predict: a model built on a --face-crop store, run by `predict` on one of the store's own
    videos, sees byte for byte the faces the store holds for it (same detector, box and crop scale)."""
    from poseau.config import PrepareConfig
    from poseau.data.store import prepare

    store = prepare(PrepareConfig(dataset="fera2017", root=str(small_dataset), size=32, face_crop=True, views=(2,)),
                    tmp_path / "store", workers=1, progress=False)
    model = random_model("pose-invariant", ("AU12",), 3, 32, store.preprocessing)
    source = store.index["source"].iloc[0]
    rows = np.flatnonzero(store.index["source"].to_numpy() == source)
    table = predict_video(small_dataset / source, model, detect_every=1)
    assert table["success"].all() and len(table) == len(rows)
    np.testing.assert_allclose(table["AU12_r"], model.predict(store.frames[rows])[0][:, 0], atol=1e-5)


def test_int8_export_stores_the_large_weights_in_a_quarter_of_the_bytes_and_predicts_as_the_compact_file(tmp_path):
    pytest.importorskip("onnxruntime")
    from poseau.export.onnx import export_onnx
    from poseau.infer.onnx_runner import OnnxRunner
    from poseau.models.checkpoint import compact_record, load_model

    record = model_record(random_model("pose-invariant", ("AU06", "AU12"), 3, 64))
    save_atomic(compact_record(record, "int8"), tmp_path / "m.pt")  # weights on the int8 grid, as shipped
    assert export_onnx(tmp_path / "m.pt", tmp_path / "float.onnx") < 1e-4
    assert export_onnx(tmp_path / "m.pt", tmp_path / "int8.onnx", int8=True) < 1e-4  # the same network
    assert (tmp_path / "int8.onnx").stat().st_size < 0.4 * (tmp_path / "float.onnx").stat().st_size
    faces = np.random.default_rng(2).integers(0, 256, (5, 64, 64), dtype=np.uint8)
    np.testing.assert_allclose(OnnxRunner(tmp_path / "int8.onnx").predict(faces)[0],
                               load_model(tmp_path / "m.pt").predict(faces)[0], atol=1e-4)


def bar_lengths(frame: np.ndarray, aus: int, size: dict) -> list[int]:
    """The bars' lengths in pixels of an overlay frame's first panel, read back from their colour."""
    from poseau.infer.overlay import BAR

    start = size["left"] + size["label"]
    lengths = []
    for i in range(aus):
        middle = size["top"] + i * size["row"] + size["row"] // 2
        band = frame[middle, start:start + size["bar"] + 1].astype(int)
        lengths.append(int((np.abs(band - BAR).sum(1) < 90).sum()))
    return lengths


def test_the_overlay_has_every_frame_of_the_video_and_bars_that_follow_the_csv(model_file, tmp_path):
    from poseau.data.video import VideoWriter, count_frames, frame_rate, read_frames
    from poseau.infer.batch import Work, predict_batch
    from poseau.infer.inputs import gather_inputs
    from poseau.infer.overlay import NO_FACE, layout
    from poseau.infer.predictor import Predictor
    from poseau.options import PredictOptions

    rng = np.random.default_rng(3)
    bright = [i not in (5, 6, 14) for i in range(24)]
    frames = [np.clip(rng.normal(150 if b else 20, 45, (240, 320, 3)), 0, 255).astype(np.uint8) for b in bright]
    with VideoWriter(tmp_path / "v.mp4", (320, 240), fps=30) as writer:  # textures that move the network's output
        for frame in frames:
            writer.write(frame)
    predictor = Predictor(model_file, detector=BrightFace(), detect_every=1)
    work = Work(str(model_file), PredictOptions(), plot=False)
    first = predict_batch(gather_inputs([tmp_path / "v.mp4"]), tmp_path / "out", work, predictor=predictor,
                          progress=False)
    assert not (tmp_path / "out" / "v_overlay.mp4").exists()
    work = Work(str(model_file), PredictOptions(), plot=False, overlay=True)
    again = predict_batch(gather_inputs([tmp_path / "v.mp4"]), tmp_path / "out", work, predictor=predictor,
                          progress=False)
    assert first.count("done") == again.count("done") == 1  # a run without the overlay does not count as done
    overlay = read_frames(tmp_path / "out" / "v_overlay.mp4")
    assert len(overlay) == count_frames(tmp_path / "v.mp4") == 24 and overlay.shape[1:3] == (240, 320)
    assert frame_rate(tmp_path / "out" / "v_overlay.mp4") == pytest.approx(30)
    table, size = pd.read_csv(tmp_path / "out" / "v.csv"), layout(240)
    drawn, expected = [], []
    for frame, (_, row) in zip(overlay, table.iterrows(), strict=True):
        lengths = bar_lengths(frame, 2, size)
        red = (np.abs(frame[: 3 * size["row"]].astype(int) - NO_FACE).sum(2) < 90).sum()
        if row["success"] == 1:
            drawn += lengths
            expected += [size["bar"] * row[c] / 5 for c in ("AU06_r", "AU12_r")]
            assert red == 0
        else:
            assert lengths == [0, 0] and red > 20  # "no face", and no bars
    drawn, expected = np.array(drawn), np.array(expected)
    assert np.abs(drawn - expected).max() <= 3 and np.ptp(expected) > 10  # bars of the CSV's values, which vary
    live = predictor.frames(frames, fps=30)  # frames in memory: the same drawing, uncompressed
    pictures = list(predictor.overlay(frames, live, fps=30))
    assert len(pictures) == 24 and pictures[0].shape == frames[0].shape and not np.array_equal(pictures[0], frames[0])
    found = live[live["success"] == 1]
    assert [bar_lengths(pictures[i], 2, size) for i in found.index[:3]] == [
        [round(size["bar"] * found.loc[i, c] / 5) for c in ("AU06_r", "AU12_r")] for i in found.index[:3]]
