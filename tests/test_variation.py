"""The varied look: every variation is seeded and deterministic, and changes the image where it should."""

import dataclasses

import cv2
import numpy as np
import pytest

from poseau.constants import AUS
from poseau.errors import PoseauError
from poseau.synth.appearance import crease_shading, sample_identity, vertex_areas
from poseau.synth.camera import Camera
from poseau.synth.render import FaceRenderer
from poseau.synth.variation import background_files, camera_effects, procedural_background, sample_scene

SIZE = 96


@pytest.fixture(scope="module")
def person(face_model):
    identity = sample_identity(face_model, np.random.default_rng(4), 50, textured=True)
    return FaceRenderer(face_model, identity, Camera(SIZE))


def clean(scene):
    """The scene without camera effects, so that a pixel is the face's or the background's alone."""
    return dataclasses.replace(scene, blur=0.0, noise=0.0, gamma=1.0, rescale=1.0)


def test_scenes_and_renders_are_seeded(person):
    a, b = (sample_scene(np.random.default_rng(9), SIZE) for _ in range(2))
    assert all(np.array_equal(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    other = sample_scene(np.random.default_rng(10), SIZE)
    assert not np.array_equal(a.background, other.background)
    verts = person.shape(np.full(len(AUS), 2.0, np.float32))
    one = person.render_scene(verts, 5, a, np.random.default_rng(1))[0]
    two = person.render_scene(verts, 5, b, np.random.default_rng(1))[0]
    np.testing.assert_array_equal(one, two)


def test_a_background_is_never_flat_and_changes_background_pixels_only(person):
    rng = np.random.default_rng(2)
    for _ in range(5):
        background = procedural_background(rng, SIZE)
        assert background.std() > 0.01 and cv2.Laplacian(background, cv2.CV_32F).std() > 1e-4
    scene = clean(sample_scene(np.random.default_rng(3), SIZE))
    verts = person.shape(np.zeros(len(AUS), np.float32))
    black = person.render_scene(verts, 6, dataclasses.replace(scene, background=np.zeros((SIZE, SIZE, 3), np.float32)),
                                np.random.default_rng(0))[0]
    white = person.render_scene(verts, 6, dataclasses.replace(scene, background=np.ones((SIZE, SIZE, 3), np.float32)),
                                np.random.default_rng(0))[0]
    changed = (black != white).any(2)
    face = (black > 0).any(2) & (white < 255).any(2)  # lit in both: the face's own pixels
    assert changed.mean() > 0.2 and not (changed & face).any()


def test_lights_and_camera_change_the_face(person):
    scene = clean(sample_scene(np.random.default_rng(5), SIZE))
    verts = person.shape(np.zeros(len(AUS), np.float32))
    base = person.render_scene(verts, 6, scene, np.random.default_rng(0))[0].astype(int)
    brighter = dataclasses.replace(scene, colours=scene.colours * 1.5)
    assert person.render_scene(verts, 6, brighter, np.random.default_rng(0))[0].astype(int).sum() > base.sum()
    image = np.random.default_rng(0).random((SIZE, SIZE, 3)).astype(np.float32)
    blurred = camera_effects(image, dataclasses.replace(scene, blur=1.5), np.random.default_rng(0))
    assert np.abs(np.diff(blurred, axis=1)).mean() < 0.5 * np.abs(np.diff(image, axis=1)).mean()
    noisy = camera_effects(image, dataclasses.replace(scene, noise=0.05), np.random.default_rng(0))
    assert 0.04 < (noisy - image).std() < 0.06


def test_crease_shading_darkens_its_aus_region_and_grows_with_intensity(face_model, person):
    skin = face_model.skin_mask()
    albedo = person.identity.albedo
    neutral_verts = person.shape(np.zeros(len(AUS), np.float32))
    neutral = vertex_areas(neutral_verts, face_model.triangles)
    np.testing.assert_allclose(crease_shading(albedo, neutral, neutral_verts, face_model.triangles, skin), albedo,
                               atol=1e-6)  # a neutral face has no creases
    lm = neutral_verts[face_model.landmarks68]
    cheeks = (lm[[36, 45]] + lm[[48, 54]]) / 2  # the smile raises the cheeks too (the face model's shape)
    near = {"AU04": lm[21:23].mean(0), "AU12": np.vstack([lm[[48, 54]], cheeks]), "AU17": (lm[8] + lm[57]) / 2}
    for au, centre in near.items():
        darkness = []
        for level in (2.0, 4.0):
            intensity = np.zeros(len(AUS), np.float32)
            intensity[AUS.index(au)] = level
            verts = person.shape(intensity)
            shaded = crease_shading(albedo, neutral, verts, face_model.triangles, skin)
            darkness.append(1 - shaded.sum(1) / np.maximum(albedo.sum(1), 1e-6))
        assert darkness[1].sum() > darkness[0].sum() > 0, au
        dark = darkness[1] > 0.05
        distance = np.min(np.linalg.norm(neutral_verts[dark][:, None] - np.reshape(centre, (-1, 3))[None], axis=2), 1)
        assert np.median(distance) < 4.0, au  # centimetres: the AU's own region


def test_user_backgrounds_are_read_from_a_folder(tmp_path):
    with pytest.raises(PoseauError, match="no such folder of background images"):
        background_files(tmp_path / "nope")
    (tmp_path / "bg").mkdir()
    with pytest.raises(PoseauError, match="no images in the folder"):
        background_files(tmp_path / "bg")
    picture = np.zeros((50, 80, 3), np.uint8)
    picture[:, :, 2] = 200  # red in BGR
    cv2.imwrite(str(tmp_path / "bg" / "red.png"), picture)
    files = background_files(tmp_path / "bg")
    scene = sample_scene(np.random.default_rng(1), SIZE, files)
    scenes = [sample_scene(np.random.default_rng(s), SIZE, files) for s in range(6)]
    reds = [s for s in scenes if np.allclose(s.background, [200 / 255, 0, 0], atol=1e-6)]
    assert reds and scene.background.shape == (SIZE, SIZE, 3)


def test_asymmetry_moves_one_side_more_and_keeps_the_mean(face_model, person):
    intensity = np.zeros(len(AUS), np.float32)
    intensity[AUS.index("AU12")] = 4.0
    even = person.shape(intensity)
    lopsided = person.shape(intensity, asymmetry=np.full(len(AUS), 0.3, np.float32))
    mirrored = person.shape(intensity, asymmetry=np.full(len(AUS), -0.3, np.float32))
    np.testing.assert_allclose((lopsided + mirrored) / 2, even, atol=1e-4)  # the sides trade, the mean stays
    lm = face_model.landmarks68
    corner_a, corner_b = lm[48], lm[54]
    neutral = person.shape(np.zeros(len(AUS), np.float32))
    moved = {k: np.linalg.norm(v[[corner_a, corner_b]] - neutral[[corner_a, corner_b]], axis=1)
             for k, v in (("even", even), ("lopsided", lopsided))}
    assert abs(moved["lopsided"][0] - moved["lopsided"][1]) > 2 * abs(moved["even"][0] - moved["even"][1]) + 0.05
    no_sides = np.zeros(len(AUS), np.float32)
    no_sides[AUS.index("AU17")] = 4.0  # one shape, no sides: asymmetry changes nothing
    np.testing.assert_allclose(person.shape(no_sides, asymmetry=np.full(len(AUS), 0.3, np.float32)),
                               person.shape(no_sides), atol=1e-6)


@pytest.mark.slow
def test_varied_datasets_are_the_same_whatever_the_workers_and_a_bad_background_folder_stops_first(
        face_model_file, tmp_path, capsys):
    from poseau.cli import main

    (tmp_path / "bg").mkdir()
    cv2.imwrite(str(tmp_path / "bg" / "wall.jpg"), np.random.default_rng(0).integers(0, 256, (60, 90, 3), np.uint8))
    args = ["-q", "synth", "--face-model", str(face_model_file), "--train-subjects", "2", "--valid-subjects", "0",
            "--frames", "4", "--size", "48", "--views", "2,6", "--look", "varied", "--backgrounds",
            str(tmp_path / "bg"), "--no-contact-sheet"]
    assert main([*args, "--out", str(tmp_path / "one"), "--workers", "1"]) == 0
    assert main([*args, "--out", str(tmp_path / "two"), "--workers", "2"]) == 0
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*.mp4"))
    assert len(files) == 4
    assert all((tmp_path / "one" / f).read_bytes() == (tmp_path / "two" / f).read_bytes() for f in files)
    capsys.readouterr()
    assert main([*args[:-3], "--backgrounds", str(tmp_path / "none"), "--out", str(tmp_path / "three")]) == 2
    assert "no such folder of background images" in capsys.readouterr().err
    assert not (tmp_path / "three").exists()


def test_random_albedo_is_seeded_and_patterned(person):
    from poseau.synth.appearance import random_albedo

    verts = person.identity.vertices
    a, b = random_albedo(verts, np.random.default_rng(3)), random_albedo(verts, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    assert a.shape == verts.shape and a.dtype == np.float32 and a.min() >= 0.02 and a.max() <= 1
    assert not np.array_equal(a, random_albedo(verts, np.random.default_rng(4)))
    assert a.std(0).max() > 0.03  # patterns across the face, not one flat colour


@pytest.mark.slow
def test_randomised_sequences_appear_as_often_as_the_option_says_and_leave_the_rest_alone(face_model_file, tmp_path):
    from poseau.config import SynthConfig
    from poseau.synth.generate import synthesize

    def videos(share, name):
        config = SynthConfig(train_subjects=8, valid_subjects=0, frames=2, size=32, views=(6,), look="varied",
                             randomise=share, seed=2)
        out = synthesize(config, tmp_path / name, face_model=face_model_file, workers=1, contact_sheet=False,
                         progress=False)
        return {p.name: p.read_bytes() for p in sorted(out.rglob("*.mp4"))}, sorted(
            (p.name, p.read_text()) for p in out.rglob("*_Int.csv"))

    (none, labels), (half, half_labels), (every, _) = videos(0.0, "none"), videos(0.5, "half"), videos(1.0, "all")
    assert half_labels == labels  # painting draws from its own stream: labels, poses and scenes stay the same
    painted = [name for name in none if half[name] != none[name]]
    assert 1 <= len(painted) <= 7  # about half of the 8 sequences
    assert all(every[name] != none[name] for name in none)  # 1: every sequence
    assert all(half[name] == every[name] for name in painted)  # a painted sequence is painted the same way
