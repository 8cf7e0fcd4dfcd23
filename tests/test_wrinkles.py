"""Wrinkles and bulges: seeded per person, where each AU makes them, only while it is on, deeper as it grows,
and drawn by the light on a displaced surface, not painted."""

import numpy as np
import pytest

from poseau.config import SynthConfig
from poseau.constants import AUS
from poseau.synth.appearance import Lighting, light_direction, sample_identity
from poseau.synth.camera import Camera
from poseau.synth.generate import synthesize
from poseau.synth.render import FaceRenderer
from poseau.synth.wrinkles import sample_wrinkles

SIZE = 112
SIDE_LIGHT = Lighting(light_direction(50, 20), 0.3, 0.8, 0.0, np.zeros(3, np.float32))


@pytest.fixture(scope="module")
def person(face_model):
    identity = sample_identity(face_model, np.random.default_rng(7), 50)
    fields = sample_wrinkles(face_model, identity.vertices, np.random.default_rng(8))
    return identity, fields


def renderers(face_model, person):
    identity, fields = person
    return FaceRenderer(face_model, identity, Camera(SIZE)), FaceRenderer(face_model, identity, Camera(SIZE),
                                                                         wrinkles=fields)


def one_au(au, level):
    intensity = np.zeros(len(AUS), np.float32)
    intensity[AUS.index(au)] = level
    return intensity


def test_fields_are_seeded_per_person_and_scale_with_depth(face_model, person):
    identity, fields = person
    again = sample_wrinkles(face_model, identity.vertices, np.random.default_rng(8))
    np.testing.assert_array_equal(fields, again)
    deeper = sample_wrinkles(face_model, identity.vertices, np.random.default_rng(8), depth=2.0)
    np.testing.assert_allclose(deeper, 2 * fields, rtol=1e-5, atol=1e-7)
    other = sample_wrinkles(face_model, identity.vertices, np.random.default_rng(9))
    assert not np.allclose(other, fields)
    assert (np.abs(fields).max(1) > 0.01).all()  # every AU has a field of a millimetre or more
    assert (fields.min(1) < 0).all()  # each has furrows; the chin boss and the cheeks bulge
    assert fields[AUS.index("AU17")].max() > 0.01 and fields[AUS.index("AU10")].max() > 0.01
    assert not fields[:, ~face_model.skin_mask()].any()


def test_each_field_lies_where_its_au_shows(face_model, person):
    identity, fields = person
    v = identity.vertices
    lm = v[face_model.landmarks68]
    mid = lm[27, 0]
    brows, eyes_low, nose_tip, mouth_top, lip_low = lm[17:27, 1].min(), lm[36:48, 1].min(), lm[33, 1], \
        lm[48:55, 1].max(), lm[57, 1]
    regions = {
        "AU01": v[:, 1] > brows,
        "AU04": (np.abs(v[:, 0] - mid) < 2.5) & (v[:, 1] > lm[29, 1]),
        "AU06": (v[:, 1] > nose_tip) & (np.abs(v[:, 0] - mid) > 1.0),
        "AU10": (v[:, 1] < eyes_low) & (v[:, 1] > lip_low),
        "AU12": (v[:, 1] < eyes_low) & (v[:, 1] > lip_low - 1.5),
        "AU14": (v[:, 1] < nose_tip) & (v[:, 1] > lip_low - 1.5) & (np.abs(v[:, 0] - mid) > 1.0),
        "AU17": v[:, 1] < mouth_top,
    }
    for k, au in enumerate(AUS):
        marked = np.abs(fields[k]) > 0.01 * np.abs(fields[k]).max()
        assert marked[regions[au]].sum() > 20, au
        assert (marked & ~regions[au]).sum() < 0.02 * marked.sum(), au


def test_nothing_changes_on_a_neutral_face_and_the_change_grows_with_intensity(face_model, person):
    plain, wrinkled = renderers(face_model, person)
    neutral = np.zeros(len(AUS), np.float32)
    np.testing.assert_array_equal(plain.shape(neutral), wrinkled.shape(neutral))
    np.testing.assert_array_equal(plain.render(plain.shape(neutral), 5, SIDE_LIGHT)[0],
                                  wrinkled.render(wrinkled.shape(neutral), 5, SIDE_LIGHT)[0])
    for au in AUS:
        moved = [np.linalg.norm(wrinkled.shape(one_au(au, i)) - plain.shape(one_au(au, i)), axis=1).sum()
                 for i in (1, 2, 4)]
        assert 0 < moved[0] < moved[1] < moved[2], au
        np.testing.assert_allclose(moved[2] / moved[1], 2, rtol=0.05)
        images = [wrinkled.render(wrinkled.shape(one_au(au, i)), 5, SIDE_LIGHT)[0].astype(int)
                  - plain.render(plain.shape(one_au(au, i)), 5, SIDE_LIGHT)[0] for i in (2, 5)]
        assert 0 < np.abs(images[0]).sum() < np.abs(images[1]).sum(), au


def test_the_light_rakes_across_a_furrow(face_model, person):
    """A displaced surface under a side light: the wall of a furrow that faces the light brightens, the other
    darkens; a darker paint would only darken."""
    plain, wrinkled = renderers(face_model, person)
    for au in ("AU01", "AU04", "AU17"):
        diff = (wrinkled.render(wrinkled.shape(one_au(au, 5)), 5, SIDE_LIGHT)[0].astype(int)
                - plain.render(plain.shape(one_au(au, 5)), 5, SIDE_LIGHT)[0]).sum(2)
        assert (diff > 6).sum() > 5 and (diff < -6).sum() > 5, au


def test_an_asymmetric_au_wrinkles_more_on_the_side_it_moves_more(face_model, person):
    plain, wrinkled = renderers(face_model, person)
    identity, _ = person
    across = identity.vertices[:, 0] - identity.vertices[face_model.landmarks68[27], 0]
    k = AUS.index("AU14")
    intensity, asymmetry = one_au("AU14", 4), np.zeros(len(AUS), np.float32)
    sides = []
    for a in (0.35, -0.35):
        asymmetry[k] = a
        shift = np.linalg.norm(wrinkled.shape(intensity, asymmetry=asymmetry)
                               - plain.shape(intensity, asymmetry=asymmetry), axis=1)
        sides.append((shift[across > 0].sum(), shift[across < 0].sum()))
    (left_a, right_a), (left_b, right_b) = sides
    ratios = sorted([left_a / left_b, right_a / right_b])  # 1.35 / 0.65 on one side, its inverse on the other
    assert ratios[0] < 1 / 1.6 and ratios[1] > 1.6


def test_synth_wrinkles_change_the_frames_and_nothing_else(face_model_file, tmp_path):
    import pandas as pd

    from poseau.data.video import read_frames

    base = SynthConfig(train_subjects=1, valid_subjects=0, frames=6, size=64, views=(5,), look="varied", seed=3)
    outs = {}
    for depth in (0.0, 1.0):
        out = tmp_path / f"w{depth}"
        synthesize(SynthConfig(**{**base.__dict__, "wrinkles": depth}), out, face_model=face_model_file)
        outs[depth] = out
    truth = [pd.read_csv(next((outs[d] / "Train_Truth").glob("*.csv"))) for d in outs]
    pd.testing.assert_frame_equal(*truth)
    videos = [np.stack(list(read_frames(next(outs[d].rglob("*.mp4"))))).astype(int) for d in outs]
    active = truth[0][list(AUS)].to_numpy().sum(1) > 0
    change = np.abs(videos[0] - videos[1]).mean((1, 2, 3))
    assert active.any() and change[active].min() > 0
    assert (change[~active] < 0.05).all()  # no AU on: only the video codec's noise differs
