"""Each reader on a small dataset that the test writes in the owners' layout."""

import shutil
import subprocess
import sys

import numpy as np
import pytest
from layouts import FERA_SEQUENCES, write_bp4d, write_disfa, write_fera, write_labels, write_video

from poseau.constants import AUS
from poseau.data.index import INDEX_COLUMNS, Problems, filter_index
from poseau.data.readers import read_dataset
from poseau.errors import PoseauError


@pytest.fixture()
def fera(tmp_path):
    root = tmp_path / "fera"
    return root, write_fera(root)


def test_fera_index_counts_labels_and_missing(fera):
    root, truth = fera
    index = read_dataset("fera2017", root)
    assert tuple(index.columns) == INDEX_COLUMNS
    counts = index.groupby(["partition", "subject", "task", "view"]).size().to_dict()
    assert counts == {key: n for key, (n, _) in truth.items()}
    # train and valid F001 are different people: separate keys, different labels
    assert {p for p, s, *_ in counts if s == "F001"} == {"train", "valid"}
    for key, (n, values) in truth.items():
        p, s, t, v = key
        seq = index[(index["partition"] == p) & (index["subject"] == s) & (index["task"] == t) & (index["view"] == v)]
        assert seq["frame"].tolist() == list(range(1, n + 1))
        assert seq["position"].tolist() == list(range(n))
        for au in AUS:
            expected = values.get(int(au[2:]), [9] * n)  # the valid sequence has no AU14 file: all missing
            assert seq[au].tolist() == expected
    assert (index["AU14"][index["partition"] == "valid"] == 9).all()
    assert (index[list(AUS)] == 9).to_numpy().sum() > len(index)  # one 9 per sequence and AU, plus AU14


def test_fera_filters(fera):
    root, _ = fera
    index = read_dataset("fera2017", root)
    some = filter_index(index, views=(5,), partitions=("train",), every=2)
    assert set(some["view"]) == {5} and set(some["partition"]) == {"train"}
    for (_, subject, task, _), seq in some.groupby(["partition", "subject", "task", "view"]):
        n = FERA_SEQUENCES[("TR", subject, task)]
        assert seq["position"].tolist() == list(range(0, n, 2))


def _first_label_file(root):
    return sorted((root / "Train_Int").iterdir())[0]


def test_a_fera_sequence_without_label_files_is_a_problem(fera):
    root, _ = fera
    for f in (root / "Train_Int").glob("FERA17_TR_F001_T1_*"):
        f.unlink()
    with pytest.raises(PoseauError, match="FERA17_TR_F001_T1_.*: no label files for train_F001_T1"):
        read_dataset("fera2017", root)
    problems = Problems(skip_bad=True)
    index = read_dataset("fera2017", root, problems=problems)
    left_out = (index["subject"] == "F001") & (index["partition"] == "train") & (index["task"] == "T1")
    assert len(problems.bad) == 1 and not left_out.any() and len(index) > 0


@pytest.mark.parametrize("damage, message", [
    ("out_of_range", "intensity 7 is outside 0-5 and 9"),
    ("short_labels", "frames but"),
    ("duplicate", "duplicate of"),
    ("undecodable", "is not a video or image file"),
    ("frame_numbers", "frame numbers differ"),
])
def test_fera_bad_input_names_the_file(fera, tmp_path, damage, message):
    root, _ = fera
    fera_copy = tmp_path / "intact"
    shutil.copytree(root, fera_copy)
    label = _first_label_file(root)  # FERA17_TR_F001_T1_AU01_Int.csv
    video = root / "FERA17_Train_MV" / "FERA17_TR_F001_T1_5.mp4"
    if damage == "out_of_range":
        rows = label.read_text().splitlines()
        rows[2] = rows[2].split(",")[0] + ",7"
        label.write_text("\n".join(rows) + "\n")
        culprit = label
    elif damage == "short_labels":
        for f in (root / "Train_Int").glob("FERA17_TR_F001_T1_*"):
            f.write_text("".join(f.read_text().splitlines(keepends=True)[:-1]))
        culprit = root / "FERA17_Train_MV" / "FERA17_TR_F001_T1_1.mp4"
    elif damage == "duplicate":
        (root / "copy").mkdir()
        culprit = root / "copy" / video.name
        shutil.copy(video, culprit)
    elif damage == "undecodable":
        video.write_bytes(b"not a video at all" * 50)
        culprit = video
    else:
        write_labels(label, [0] * 6, first_frame=3)
        culprit = label
    with pytest.raises(PoseauError, match=message) as err:
        read_dataset("fera2017", root)
    assert str(culprit) in str(err.value) or culprit.name in str(err.value)

    problems = Problems(skip_bad=True)
    index = read_dataset("fera2017", root, problems=problems)
    assert len(problems.bad) >= 1 and culprit.name in " ".join(f"{f} {r}" for f, r in problems.bad)
    whole = read_dataset("fera2017", fera_copy)
    if damage == "duplicate":  # the first copy found is kept, the other listed
        assert len(index) == len(whole)
    else:  # the bad sequence (or video) is left out, the rest kept
        assert 0 < len(index) < len(whole)


def test_fera_missing_folder_and_cli_exit_code(tmp_path):
    with pytest.raises(PoseauError, match="no such folder"):
        read_dataset("fera2017", tmp_path / "nowhere")
    run = subprocess.run([sys.executable, "-m", "poseau", "-q", "prepare", "--dataset", "fera2017", "--root",
                          str(tmp_path / "nowhere"), "--out", str(tmp_path / "store")], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and "nowhere" in run.stderr and "Traceback" not in run.stderr


def test_bp4d_reader(tmp_path):
    write_bp4d(tmp_path)
    index = read_dataset("bp4d", tmp_path)
    f001 = index[index["subject"] == "F001"]
    assert f001["frame"].tolist() == [10, 11, 12, 13, 14]  # coded frames only, not images 8, 9, 15
    assert f001["source"].iloc[0].endswith("F001/T1/0010.jpg") and (f001["position"] == -1).all()
    assert f001["AU06"].tolist() == [0, 1, 2, 3, 4] and f001["AU12"].tolist() == [5, 4, 9, 0, 0]
    assert (f001[["AU01", "AU04", "AU10", "AU14", "AU17"]] == 9).all().all()
    assert set(index["partition"]) == {"all"} and set(index["view"]) == {0}

    (tmp_path / "Sequences" / "F001" / "T1" / "0012.jpg").unlink()
    with pytest.raises(PoseauError, match="labelled frames have no image"):
        read_dataset("bp4d", tmp_path)


def test_disfa_reader(tmp_path):
    write_disfa(tmp_path)
    index = read_dataset("disfa", tmp_path)
    assert index.groupby(["subject", "task"]).size().to_dict() == {
        (s, c): 8 for s in ("SN001", "SN002") for c in ("left", "right")}
    assert (index["AU01"] == 1).all() and (index["AU12"] == 0).all() and (index["AU04"] == 4).all()
    assert (index[["AU06", "AU10", "AU14", "AU17"]] == 9).all().all()  # not in these label files
    write_labels(tmp_path / "ActionUnit_Labels" / "SN002" / "SN002_au1.txt", [1] * 9)
    with pytest.raises(PoseauError, match="frame numbers differ|frames but"):
        read_dataset("disfa", tmp_path)


def test_manifest_reader(tmp_path):
    import cv2
    from layouts import frame_image

    for i in range(3):
        cv2.imwrite(str(tmp_path / f"img{i}.png"), frame_image(i))
    write_video(tmp_path / "clip.mp4", [frame_image(10 + i) for i in range(5)])
    (tmp_path / "manifest.csv").write_text(
        "image,video,frame,subject,view,AU1,AU12_r,au17\n"
        "img0.png,,,S1,6,0,3,\n"
        "img1.png,,,S1,6,1,5,2\n"
        ",clip.mp4,2,S2,,4,0,9\n"
        ",clip.mp4,5,S2,,0,0,0\n")
    index = read_dataset("manifest", tmp_path / "manifest.csv")
    assert len(index) == 4
    s1 = index[index["subject"] == "S1"]
    assert s1["AU01"].tolist() == [0, 1] and s1["AU12"].tolist() == [3, 5] and s1["AU17"].tolist() == [9, 2]
    assert (s1["view"] == 6).all() and (s1["position"] == -1).all()
    s2 = index[index["subject"] == "S2"]
    assert s2["position"].tolist() == [1, 4] and s2["task"].tolist() == ["clip", "clip"]
    assert (index["AU04"] == 9).all()

    (tmp_path / "bad.csv").write_text("video,frame,subject,AU12\nclip.mp4,6,S2,1\n")
    with pytest.raises(PoseauError, match=r"bad.csv line 2: frame 6 is outside 1-5"):
        read_dataset("manifest", tmp_path / "bad.csv")
    (tmp_path / "bad.csv").write_text("image,subject,AU12\nimg0.png,S1,6\n")
    with pytest.raises(PoseauError, match="AU12 = 6 is outside"):
        read_dataset("manifest", tmp_path / "bad.csv")
    (tmp_path / "bad.csv").write_text("image,subject,AU12\nimg0.png,S1,2.5\n")
    with pytest.raises(PoseauError, match=r"AU12 = 2.5 is not a whole intensity"):  # not read as 2
        read_dataset("manifest", tmp_path / "bad.csv")
    (tmp_path / "bad.csv").write_text("image,subject,AU2,AU25\nimg0.png,S1,1,2\n")
    with pytest.raises(PoseauError, match="no column of the 7 AUs poseau models .*; found only AU2, AU25"):
        read_dataset("manifest", tmp_path / "bad.csv")
    np.testing.assert_array_equal(read_dataset("manifest", tmp_path)["AU12"], index["AU12"])
