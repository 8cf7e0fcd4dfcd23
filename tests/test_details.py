"""The face's details: seeded, where each belongs, and the rest of a person and their labels untouched."""

import numpy as np
import pytest

from poseau.config import SynthConfig
from poseau.constants import AUS
from poseau.synth import details
from poseau.synth.appearance import sample_identity
from poseau.synth.camera import Camera
from poseau.synth.generate import synthesize
from poseau.synth.render import FaceRenderer
from poseau.synth.variation import sample_scene

SIZE = 128


def person(face_model, detail_seed=None):
    detail = None if detail_seed is None else np.random.default_rng(detail_seed)
    return sample_identity(face_model, np.random.default_rng(11), 50, textured=True, detail=detail)


def test_details_change_the_colours_only_and_are_seeded(face_model):
    plain, one, again, other = (person(face_model, s) for s in (None, 5, 5, 6))
    np.testing.assert_array_equal(plain.vertices, one.vertices)
    np.testing.assert_array_equal(plain.coeffs, one.coeffs)
    np.testing.assert_array_equal(one.albedo, again.albedo)
    assert not np.array_equal(one.albedo, other.albedo)
    lm = one.vertices[face_model.landmarks68]
    changed = np.abs(one.albedo - plain.albedo).sum(1) > 0.02
    brows = np.abs(one.vertices[:, 1] - lm[17:27, 1].mean()) < 1.2
    lips = np.linalg.norm(one.vertices[:, :2] - lm[48:60, :2].mean(0), axis=1) < 2.0
    assert changed[brows].mean() > 0.1 and changed[lips].mean() > 0.1
    cheeks = (np.abs(one.vertices[:, 0] - lm[2, 0]) < 1.0) & (np.abs(one.vertices[:, 1] - lm[30, 1]) < 1.0)
    assert changed[cheeks].mean() < 0.05  # beards and fringes aside (below), the cheeks keep their skin


@pytest.mark.parametrize("which, where", [("BEARD", "mouth"), ("FRINGE", "forehead")])
def test_beards_and_fringes_darken_their_part_of_the_face(face_model, monkeypatch, which, where):
    without = person(face_model, 5)
    monkeypatch.setattr(details, which, 1.0)
    with_it = person(face_model, 5)
    v = without.vertices
    lm = v[face_model.landmarks68]
    mouth = (np.linalg.norm(v[:, :2] - lm[48:60, :2].mean(0), axis=1) < 3.5) & (v[:, 1] < lm[33, 1] - 0.4) \
        & (v[:, 2] > lm[8, 2] - 3) & face_model.skin_mask()  # full beards, moustaches and goatees alike
    forehead = (v[:, 1] > lm[17:27, 1].max() + 0.5) & (v[:, 1] < lm[17:27, 1].max() + 2.5) \
        & (np.abs(v[:, 0] - lm[27, 0]) < 1.5) & (v[:, 2] > lm[27, 2] - 3)
    regions = {"mouth": mouth, "forehead": forehead}
    darker = without.albedo.sum(1) - with_it.albedo.sum(1)
    other = "forehead" if where == "mouth" else "mouth"
    assert (darker[regions[where]] > 0.1).mean() > 0.05
    assert np.abs(darker[regions[other]]).max() < 1e-6


def test_glasses_and_occluders_are_drawn_where_the_face_is(face_model, monkeypatch):
    identity = person(face_model, 5)
    renderer = FaceRenderer(face_model, identity, Camera(SIZE))
    scene = sample_scene(np.random.default_rng(2), SIZE)
    verts = renderer.shape(np.zeros(len(AUS), np.float32))
    base, lm = renderer.render_scene(verts, 5, scene, np.random.default_rng(0))
    for glasses, occluder in ((1.0, 0.0), (0.0, 1.0)):
        monkeypatch.setattr(details, "GLASSES", glasses)
        monkeypatch.setattr(details, "OCCLUDER", occluder)
        accessories = details.sample_accessories(np.random.default_rng(3))
        assert (accessories.glasses is None) == (glasses == 0) and (accessories.occluder is None) == (occluder == 0)
        drawn, _ = renderer.render_scene(verts, 5, scene, np.random.default_rng(0), accessories=accessories)
        changed = np.argwhere(np.abs(drawn.astype(int) - base).sum(2) > 10)
        assert len(changed) > 30
        rows = changed[:, 0]
        reach = np.linalg.norm(lm[8] - lm[27])
        if glasses:  # the eyes' band (temples included), not the mouth
            assert ((rows > lm[27, 1] - 0.3 * reach) & (rows < lm[30, 1])).mean() > 0.95
        else:  # below the nose: over the mouth and jaw (a microphone's handle down to the frame's edge)
            assert (rows > lm[30, 1]).mean() > 0.95
    none = details.Accessories(None, None)
    np.testing.assert_array_equal(renderer.render_scene(verts, 5, scene, np.random.default_rng(0),
                                                        accessories=none)[0], base)


def test_synth_details_keep_the_labels(face_model_file, tmp_path):
    import pandas as pd

    base = dict(train_subjects=2, valid_subjects=0, frames=4, size=64, views=(5,), look="varied", seed=4)
    outs = [tmp_path / "plain", tmp_path / "detailed"]
    for out, on in zip(outs, (False, True), strict=True):
        synthesize(SynthConfig(**base, details=on), out, face_model=face_model_file)
    for name in sorted(p.name for p in (outs[0] / "Train_Truth").glob("*.csv")):
        pd.testing.assert_frame_equal(*(pd.read_csv(o / "Train_Truth" / name) for o in outs))
    videos = [sorted(o.rglob("*.mp4")) for o in outs]
    assert [p.name for p in videos[0]] == [p.name for p in videos[1]]
    assert any(a.read_bytes() != b.read_bytes() for a, b in zip(*videos, strict=True))
