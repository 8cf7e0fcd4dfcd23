"""Preprocessing: equalisation and resizing, the optional face crop on real videos, the record as the
function (its fields decide what it does, and survive the store and the model file)."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from poseau.config import PrepareConfig
from poseau.constants import DEFAULT_CROP_SCALE
from poseau.data.preprocess import FaceFramer, Preprocessing
from poseau.data.store import prepare
from poseau.data.video import iter_frames
from poseau.errors import PoseauError
from poseau.faces.boxes import crop, square_box

MEDIA = Path(__file__).resolve().parents[2] / "shared" / "media"


def media(name: str) -> Path:
    path = MEDIA / name
    if not path.is_file():
        pytest.skip(f"{path} is not here")
    return path


def test_equalised_histogram_is_flat_and_any_size_works():
    rng = np.random.default_rng(0)
    dark = (rng.beta(2, 8, (200, 200, 3)) * 255).astype(np.uint8)  # low contrast
    out = Preprocessing(size=200)(dark)  # no resizing: the equalised image itself
    assert out.dtype == np.uint8 and out.min() <= 5 and out.max() >= 250
    counts = np.histogram(out, bins=4, range=(0, 256))[0] / out.size
    assert np.all(np.abs(counts - 0.25) < 0.03)  # quartiles of the range hold a quarter each
    assert np.histogram(dark.mean(2), bins=4, range=(0, 256))[0][0] / dark[..., 0].size > 0.75  # before: mostly dark
    assert Preprocessing(size=224)(dark[:150]).shape == (224, 224)  # any input shape, any output size
    assert Preprocessing(size=17)(dark).shape == (17, 17)
    plain = Preprocessing(size=200, equalize_histogram=False)(dark)
    np.testing.assert_array_equal(plain, cv2.cvtColor(dark, cv2.COLOR_RGB2GRAY))  # without: grey as it was


def test_a_crop_happens_exactly_when_the_record_says_so():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    box = (40, 30, 50, 60)
    whole = Preprocessing(size=32)
    assert np.array_equal(whole(image, box), whole(image))  # made without a crop: never crops
    cropped = Preprocessing(size=32, face_crop=True, crop_scale=1.2)
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    np.testing.assert_array_equal(cropped(image, box), whole(crop(grey, square_box(box, 1.2))))
    np.testing.assert_array_equal(cropped(image), whole(image))  # no face box: the whole image
    assert not np.array_equal(cropped(image, box), whole(image))


def test_predict_framing_keeps_a_crop_model_scale_and_crops_for_a_whole_frame_model():
    cropped = Preprocessing(size=32, face_crop=True, crop_scale=1.7, face_detector="haar")
    assert cropped.for_faces() is cropped
    assert cropped.for_faces(2.0).crop_scale == 2.0
    whole = Preprocessing(size=32)
    assert whole.for_faces() == Preprocessing(size=32, face_crop=True, crop_scale=DEFAULT_CROP_SCALE)
    assert whole.for_faces(1.1).crop_scale == 1.1


def test_the_record_round_trips_and_refuses_what_it_cannot_do():
    record = Preprocessing(size=48, face_crop=True, crop_scale=1.6, face_detector="yunet").to_dict()
    assert record["grey"] == "ITU-R BT.601 luma"
    assert Preprocessing.from_dict(record) == Preprocessing(size=48, face_crop=True, crop_scale=1.6,
                                                            face_detector="yunet")
    with pytest.raises(PoseauError, match="m.pt: preprocessing this poseau cannot do \\(rgb\\)"):
        Preprocessing.from_dict({**record, "grey": "rgb"}, "m.pt")
    with pytest.raises(PoseauError, match="cannot do \\(align\\)"):
        Preprocessing.from_dict({**record, "align": True})
    with pytest.raises(PoseauError, match="preprocessing crop_scale must be above 0, got 0"):
        Preprocessing(crop_scale=0)


def test_crop_pads_by_repeating_the_edge():
    image = np.arange(25, dtype=np.uint8).reshape(5, 5)
    out = crop(image, (-1, 3, 3, 3))
    np.testing.assert_array_equal(out, [[15, 15, 16], [20, 20, 21], [20, 20, 21]])
    assert square_box((10, 20, 30, 40), 1.5) == (-5, 10, 60, 60)


def test_face_crop_follows_the_face_in_a_real_video():
    frames = list(iter_frames(media("videos/pyfeat__single_face.mp4")))[:20]
    pre = FaceFramer(Preprocessing(size=64, face_crop=True))
    boxes = []
    for frame in frames:
        out = pre(frame)
        assert out.shape == (64, 64)
        boxes.append(pre.box)
    assert all(b is not None for b in boxes[1:])
    x, y, w, h = np.array([square_box(b, DEFAULT_CROP_SCALE) for b in boxes[1:]]).T
    height, width = frames[0].shape[:2]
    assert w.max() < 0.6 * width  # a square around the face, not the whole frame
    centres = np.stack([x + w / 2, y + h / 2], 1)
    assert np.abs(np.diff(centres, axis=0)).max() < 0.1 * w.mean()  # steady from frame to frame
    assert not np.array_equal(out, Preprocessing(size=64)(frames[-1]))
    np.testing.assert_array_equal(out, pre.preprocessing(frames[-1], boxes[-1]))


def test_no_face_keeps_the_whole_frame():
    frames = list(iter_frames(media("videos/pyfeat__no_face.mp4")))[:5]
    pre = FaceFramer(Preprocessing(size=48, face_crop=True))
    for frame in frames:
        np.testing.assert_array_equal(pre(frame), Preprocessing(size=48)(frame))
    assert pre.box is None


def test_prepare_manifest_with_face_crop_on_a_real_video(tmp_path):
    video = media("videos/pyfeat__single_face.mp4")
    rows = "".join(f"{video},{f},P1,{f % 3}\n" for f in range(1, 73, 6))
    (tmp_path / "m.csv").write_text("video,frame,subject,AU12\n" + rows)
    store = prepare(PrepareConfig(dataset="manifest", root=str(tmp_path / "m.csv"), size=48, face_crop=True),
                    tmp_path / "st", workers=1, progress=False)
    assert len(store) == 12 and store.index["AU12"].tolist() == [f % 3 for f in range(1, 73, 6)]
    whole = Preprocessing(size=48)(next(iter_frames(video)))
    assert np.abs(store.frames[0].astype(int) - whole).mean() > 10  # cropped, not the whole frame
    assert store.preprocessing == Preprocessing(size=48, face_crop=True, crop_scale=DEFAULT_CROP_SCALE,
                                                face_detector=store.preprocessing.face_detector)
    assert store.preprocessing.face_detector in ("yunet", "haar")
    framer = FaceFramer(store.preprocessing)
    np.testing.assert_array_equal(store.frames[0], framer(next(iter_frames(video))))  # the store is the function's
