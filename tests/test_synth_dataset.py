"""The generator's output: deterministic for a seed, and exactly in the FERA 2017 layout."""

import re

import numpy as np
import pytest
import yaml

from poseau.config import SynthConfig, load_config
from poseau.constants import AUS, MISSING, OCCURRENCE_AUS, VIEWS
from poseau.data.video import read_frames
from poseau.synth.generate import synthesize
from tests.conftest import SMALL, assert_drawn

NAME = re.compile(r"FERA17_(TR|VA)_([FM]\d{3})_(T\d)_(\d)\.mp4$")


def label_files(root):
    return sorted(p for p in root.rglob("*.csv"))


def test_layout_names_and_counts(small_dataset):
    videos = sorted(small_dataset.glob("FERA17_*_MV/*.mp4"))
    assert {v.parent.name for v in videos} == {"FERA17_Train_MV", "FERA17_Valid_MV"}
    assert len(videos) == 3 * len(VIEWS)
    keys = {}
    for v in videos:
        m = NAME.match(v.name)
        assert m, v.name
        keys.setdefault((m.group(1), m.group(2), m.group(3)), set()).add(int(m.group(4)))
    assert keys == {("TR", "F001", "T1"): set(VIEWS), ("TR", "M001", "T1"): set(VIEWS),
                    ("VA", "F001", "T1"): set(VIEWS)}
    for (part, subj, task) in keys:
        folder = {"TR": "Train", "VA": "Valid"}[part]
        rows = {}
        for au in AUS:
            f = small_dataset / f"{folder}_Int" / f"FERA17_{part}_{subj}_{task}_{au}_Int.csv"
            data = np.loadtxt(f, delimiter=",", dtype=int)
            assert data.shape == (SMALL.frames, 2)
            assert (data[:, 0] == np.arange(1, SMALL.frames + 1)).all()
            assert set(np.unique(data[:, 1])) <= {0, 1, 2, 3, 4, 5, MISSING}
            rows[au] = data[:, 1]
        occ = (small_dataset / f"{folder}_Occ" / f"FERA17_{part}_{subj}_{task}.csv").read_text().splitlines()
        assert occ[0] == "Frame," + ",".join(map(str, OCCURRENCE_AUS))
        occ_rows = np.array([[int(x) for x in line.split(",")] for line in occ[1:]])
        assert len(occ_rows) == SMALL.frames
        for au in AUS:
            col = occ_rows[:, 1 + OCCURRENCE_AUS.index(int(au[2:]))]
            expect = np.where(rows[au] == MISSING, MISSING, rows[au] >= 1)
            assert (col == expect).all()
        truth = np.genfromtxt(small_dataset / f"{folder}_Truth" / f"FERA17_{part}_{subj}_{task}.csv",
                              delimiter=",", names=True)
        coded = rows["AU12"] != MISSING
        assert np.array_equal(np.clip(np.floor(truth["AU12"] + 0.5), 0, 5)[coded], rows["AU12"][coded])
        for view in VIEWS:
            frames = read_frames(small_dataset / f"FERA17_{folder}_MV" / f"FERA17_{part}_{subj}_{task}_{view}.mp4")
            assert frames.shape == (SMALL.frames, SMALL.size, SMALL.size, 3)  # frames = label rows
    assert_drawn(small_dataset / "contact_sheet.png", min_size=(400, 300), min_colours=256)
    assert load_config(SynthConfig, small_dataset / "synth_config.yaml") == SMALL
    assert yaml.safe_load((small_dataset / "synth_config.yaml").read_text())["config"] == "SynthConfig"


def test_missing_labels_come_in_runs(small_dataset):
    labels = np.loadtxt(next(small_dataset.glob("Train_Int/*AU12_Int.csv")), delimiter=",", dtype=int)[:, 1]
    missing = labels == MISSING
    assert 0 < missing.sum() < len(labels)


@pytest.mark.slow
def test_same_seed_same_data_other_seed_other_data(small_dataset, face_model_file, tmp_path):
    again = synthesize(SMALL, tmp_path / "b", face_model=face_model_file, workers=1, contact_sheet=False,
                       progress=False)
    first, second = label_files(small_dataset), label_files(again)
    assert [p.relative_to(small_dataset) for p in first] == [p.relative_to(again) for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    for v in sorted(small_dataset.glob("*_MV/*.mp4")):
        assert np.array_equal(read_frames(v), read_frames(again / v.relative_to(small_dataset))), v.name

    other = synthesize(SynthConfig(**{**SMALL.__dict__, "seed": 1, "views": (6,)}), tmp_path / "c",
                       face_model=face_model_file, workers=1, contact_sheet=False, progress=False)
    name = "Train_Int/FERA17_TR_F001_T1_AU12_Int.csv"
    assert (other / name).read_bytes() != (small_dataset / name).read_bytes()
    v = "FERA17_Train_MV/FERA17_TR_F001_T1_6.mp4"
    assert not np.array_equal(read_frames(other / v), read_frames(small_dataset / v))


def test_each_video_has_its_landmarks_on_the_face_in_every_frame(small_dataset, face_model):
    from poseau.constants import MIRROR68
    from poseau.data.fera2017 import landmarks_path

    videos = sorted(small_dataset.glob("FERA17_*_MV/*.mp4"))
    for video in videos[::4]:
        marks = np.load(landmarks_path(video))
        frames = read_frames(video).astype(int)
        assert marks.shape == (SMALL.frames, 68, 2) and marks.dtype == np.float32
        for frame, points in zip(frames, marks, strict=True):
            x, y = np.round(points[27:]).astype(int).T  # the inner face: nose, eyes, mouth (the jaw is its outline)
            background = frame[0, 0]  # the studio look's flat background, in its corner
            assert (np.abs(frame[y, x] - background).sum(1) > 10).mean() > 0.9, video.name
        assert marks[:, :, 0].std() > 0 or marks[:, :, 1].std() > 0
    neutral = face_model.neutral[face_model.landmarks68]  # the mirror's numbering: each landmark's mirror image
    mirrored = neutral * np.array([-1, 1, 1]) + np.array([2 * neutral[27:31, 0].mean(), 0, 0])
    assert np.abs(mirrored[list(MIRROR68)] - neutral).max() < 0.1 * np.ptp(neutral[:, 0])
