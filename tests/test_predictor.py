"""`poseau.Predictor`: the model loads once for any number of calls, and its four entry points (a video, images,
a capture loop's frames, face crops) give the table `predict_video` gives."""

import numpy as np
import pandas as pd
import pytest
from nets import random_model
from test_predict import BOX, BrightFace, write_vfr

import poseau
import poseau.infer.runners as runners
from poseau.constants import intensity_columns
from poseau.errors import PoseauError
from poseau.faces.boxes import crop, square_box
from poseau.infer.predictor import Predictor, predict_video
from poseau.models.checkpoint import model_record, save_atomic

BRIGHT = [True, True, False, True, True, True]


@pytest.fixture()
def videos(tmp_path):
    paths = [tmp_path / f"v{i}.mp4" for i in range(3)]
    frames = [write_vfr(p, [40 * k for k in range(len(BRIGHT))], BRIGHT) for p in paths]
    return paths, frames


@pytest.fixture()
def model_file(tmp_path):
    path = tmp_path / "model.pt"
    save_atomic(model_record(random_model("pose-dependent", ("AU06", "AU12"), 0, 32)), path)
    return path


def test_one_load_for_many_calls(videos, model_file, monkeypatch):
    loads, copies = [], []
    from poseau.models import checkpoint

    real_load = checkpoint.load_model
    monkeypatch.setattr(checkpoint, "load_model", lambda *a, **k: loads.append(a) or real_load(*a, **k))
    real_copy = runners.inference_copy
    monkeypatch.setattr(runners, "inference_copy", lambda m: copies.append(m) or real_copy(m))
    predictor = poseau.Predictor(model_file, detector=BrightFace(), detect_every=1)
    paths, frames = videos
    tables = [predictor.video(p) for p in paths] + [predictor.frames(frames[0]), predictor.frames(iter(frames[1]))]
    assert len(loads) == 1 and len(copies) == 1  # five calls, one model file read and prepared once
    assert all(len(t) == len(BRIGHT) for t in tables)
    predict_video(paths[0], model_file, detector=BrightFace(), detect_every=1)
    assert len(loads) == 2  # the one-call function loads its own


def test_frames_and_face_crops_give_the_video_table(videos, model_file):
    predictor = Predictor(model_file, detector=BrightFace(), detect_every=1)
    (path, *_), (decoded, *_) = videos
    video = predictor.video(path)
    columns = intensity_columns(predictor.aus)
    loop = predictor.frames(decoded, fps=25)
    pd.testing.assert_frame_equal(loop.drop(columns="timestamp"), video.drop(columns="timestamp"))
    np.testing.assert_allclose(loop["timestamp"], np.arange(len(BRIGHT)) / 25)
    scale = predictor.framing.crop_scale
    crops = [crop(image, square_box(BOX, scale)) for image, bright in zip(decoded, BRIGHT, strict=True) if bright]
    faces = predictor.faces(crops)
    found = video[video["success"] == 1]
    np.testing.assert_allclose(faces[columns].to_numpy(), found[columns].to_numpy(), atol=1e-5)
    assert faces["frame"].tolist() == list(range(1, len(crops) + 1)) and (faces["face_w"] == crops[0].shape[1]).all()
    grey = predictor.faces(np.stack([c.mean(2).astype(np.uint8) for c in crops]))  # grey crops, one array
    assert grey[columns].notna().all().all() and len(grey) == len(crops)


def test_bad_frames_and_options_name_what_is_wrong(model_file):
    predictor = Predictor(model_file, detector=BrightFace())
    with pytest.raises(PoseauError, match=r"frames: frame 2: expected an \(H, W, 3\) RGB or \(H, W\) grey uint8"):
        predictor.frames([np.zeros((64, 80, 3), np.uint8), np.zeros((64, 80, 3), np.float32)])
    with pytest.raises(PoseauError, match="faces: no face crops given"):
        predictor.faces([])
    with pytest.raises(PoseauError, match="median must be an odd width"):
        Predictor(model_file, median=2)
    with pytest.raises(PoseauError, match="fps must be above 0"):
        predictor.frames([np.zeros((8, 8, 3), np.uint8)], fps=0)
