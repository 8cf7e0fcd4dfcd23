"""Agreement with another tool's per-frame CSV: pairing by frame where both found a face, r pooled and per video."""

import io

import numpy as np
import pandas as pd
import pytest
from scipy.stats import pearsonr

from poseau.evaluate.agreement import MOVES_SD, agreement, paired, read_reference, within_video


def test_rows_pair_by_frame_where_both_found_a_face_and_r_pools_over_videos():
    reference = read_reference(io.StringIO(
        "frame, face_id, success, AU12_r, AU06_r\n1, 0, 1, 0.5, 1\n2, 0, 1, 1.0, 2\n3, 0, 0, 0, 0\n"
        "4, 0, 1, 2.0, 2\n5, 0, 1, 3.0, 4\n"))
    assert list(reference.columns) == ["frame", "face_id", "success", "AU12_r", "AU06_r"]
    ours = pd.DataFrame({"frame": [1, 2, 2, 3, 4, 5], "success": [1, 1, 1, 1, 0, 1],
                         "AU12_r": [0.2, 0.9, 4.0, 1.0, np.nan, 2.5], "AU06_r": [1.0, 1.5, 0.0, 2.0, np.nan, 3.0]})
    pairs = paired(ours, reference, ["AU12", "AU06"])
    assert pairs["frame"].tolist() == [1, 2, 5]  # 3: no face for the reference; 4: none for us; 2: the first face
    np.testing.assert_allclose(pairs["AU12_ours"], [0.2, 0.9, 2.5])
    other = pd.DataFrame({"frame": [1, 2, 3], "AU12_ours": [1.0, 2.0, 2.0], "AU12_ref": [2.0, 3.0, 5.0],
                          "AU06_ours": [1.0, 1.0, 1.0], "AU06_ref": [1.0, 2.0, 3.0]})
    table = agreement({"a": pairs, "b": other}, ["AU12", "AU06"])
    assert table.loc["AU12", "a"] == pytest.approx(pearsonr([0.5, 1.0, 3.0], [0.2, 0.9, 2.5])[0])
    pooled_12 = pearsonr([0.5, 1.0, 3.0, 2.0, 3.0, 5.0], [0.2, 0.9, 2.5, 1.0, 2.0, 2.0])[0]
    assert table.loc["AU12", "pooled"] == pytest.approx(pooled_12)
    assert np.isnan(table.loc["AU06", "b"]) and table.loc["mean", "b"] == pytest.approx(table.loc["AU12", "b"])
    assert table.loc["frames", "pooled"] == 6


def test_within_video_r_leaves_out_the_videos_where_the_reference_barely_moves_the_au():
    rng = np.random.default_rng(0)
    moving = rng.uniform(0, 3, 50)
    still = 1 + rng.uniform(-1, 1, 50) * MOVES_SD / 2  # SD below MOVES_SD: its r is noise
    videos = {"a": pd.DataFrame({"AU12_ref": moving, "AU12_ours": moving + rng.normal(0, 0.5, 50)}),
              "b": pd.DataFrame({"AU12_ref": moving[::-1], "AU12_ours": -moving[::-1]}),
              "c": pd.DataFrame({"AU12_ref": still, "AU12_ours": rng.normal(size=50)})}
    table = within_video(videos, ["AU12"])
    r_a = pearsonr(videos["a"]["AU12_ref"], videos["a"]["AU12_ours"])[0]
    assert table.loc["AU12", "r"] == pytest.approx((r_a - 1) / 2) and table.loc["AU12", "videos"] == 2
    assert table.loc["mean", "r"] == pytest.approx(table.loc["AU12", "r"])
    assert np.isnan(within_video({"c": videos["c"]}, ["AU12"]).loc["AU12", "r"])
