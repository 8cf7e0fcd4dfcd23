"""Preprocessing: equalisation and resizing, and the optional face crop on real videos."""

from pathlib import Path

import numpy as np
import pytest

from poseau.config import PrepareConfig
from poseau.data.preprocess import Preprocessor, preprocess
from poseau.data.store import prepare
from poseau.data.video import iter_frames
from poseau.infer.detect import crop, square_box

MEDIA = Path(__file__).resolve().parents[2] / "shared" / "media"


def media(name: str) -> Path:
    path = MEDIA / name
    if not path.is_file():
        pytest.skip(f"{path} is not here")
    return path


def test_equalised_histogram_is_flat_and_any_size_works():
    rng = np.random.default_rng(0)
    dark = (rng.beta(2, 8, (200, 200, 3)) * 255).astype(np.uint8)  # low contrast
    out = preprocess(dark, 200)  # no resizing: the equalised image itself
    assert out.dtype == np.uint8 and out.min() <= 5 and out.max() >= 250
    counts = np.histogram(out, bins=4, range=(0, 256))[0] / out.size
    assert np.all(np.abs(counts - 0.25) < 0.03)  # quartiles of the range hold a quarter each
    assert np.histogram(dark.mean(2), bins=4, range=(0, 256))[0][0] / dark[..., 0].size > 0.75  # before: mostly dark
    assert preprocess(dark[:150], 224).shape == (224, 224)  # any input shape, any output size
    assert preprocess(dark, 17).shape == (17, 17)


def test_crop_pads_by_repeating_the_edge():
    image = np.arange(25, dtype=np.uint8).reshape(5, 5)
    out = crop(image, (-1, 3, 3, 3))
    np.testing.assert_array_equal(out, [[15, 15, 16], [20, 20, 21], [20, 20, 21]])
    assert square_box((10, 20, 30, 40), 1.5) == (-5, 10, 60, 60)


def test_face_crop_follows_the_face_in_a_real_video():
    frames = list(iter_frames(media("videos/pyfeat__single_face.mp4")))[:20]
    pre = Preprocessor(size=64, face_crop=True)
    boxes = []
    for frame in frames:
        out = pre(frame)
        assert out.shape == (64, 64)
        boxes.append(pre.box)
    assert all(b is not None for b in boxes[1:])
    x, y, w, h = np.array(boxes[1:]).T
    height, width = frames[0].shape[:2]
    assert w.max() < 0.6 * width and (w == h).all()  # a square around the face, not the whole frame
    centres = np.stack([x + w / 2, y + h / 2], 1)
    assert np.abs(np.diff(centres, axis=0)).max() < 0.1 * w.mean()  # steady from frame to frame
    assert not np.array_equal(out, preprocess(frames[-1], 64))


def test_no_face_keeps_the_whole_frame():
    frames = list(iter_frames(media("videos/pyfeat__no_face.mp4")))[:5]
    pre = Preprocessor(size=48, face_crop=True)
    for frame in frames:
        np.testing.assert_array_equal(pre(frame), preprocess(frame, 48))
    assert pre.box is None


def test_prepare_manifest_with_face_crop_on_a_real_video(tmp_path):
    video = media("videos/pyfeat__single_face.mp4")
    rows = "".join(f"{video},{f},P1,{f % 3}\n" for f in range(1, 73, 6))
    (tmp_path / "m.csv").write_text("video,frame,subject,AU12\n" + rows)
    store = prepare(PrepareConfig(dataset="manifest", root=str(tmp_path / "m.csv"), size=48, face_crop=True),
                    tmp_path / "st", workers=1, progress=False)
    assert len(store) == 12 and store.index["AU12"].tolist() == [f % 3 for f in range(1, 73, 6)]
    whole = preprocess(next(iter_frames(video)), 48)
    assert np.abs(store.frames[0].astype(int) - whole).mean() > 10  # cropped, not the whole frame
