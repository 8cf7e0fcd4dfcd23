"""The median filter against scipy and a hand example, and its per-sequence application."""

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage

from poseau.data.smoothing import median_filter, smooth_sequences
from poseau.errors import PoseauError


def test_median_filter_hand_example():
    # width 3: each value becomes the median of itself and its neighbours; the ends repeat themselves
    assert median_filter(np.array([1, 9, 2, 8, 3]), 3).tolist() == [1, 2, 8, 3, 3]
    assert median_filter(np.array([4.0]), 3).tolist() == [4.0]


@pytest.mark.parametrize("width", [1, 3, 5, 9])
@pytest.mark.parametrize("shape", [(40,), (40, 3), (2,)])
def test_median_filter_matches_scipy(width, shape):
    x = np.random.default_rng(width).normal(size=shape)
    size = (width,) + (1,) * (len(shape) - 1)
    expected = ndimage.median_filter(x, size=size, mode="nearest")
    np.testing.assert_allclose(median_filter(x, width), expected)


def test_median_filter_rejects_even_widths():
    with pytest.raises(PoseauError, match="median filter width must be an odd width >= 1"):
        median_filter(np.arange(5), 2)


def test_each_sequence_is_filtered_alone_in_frame_order():
    rng = np.random.default_rng(0)
    parts = []
    for subject, view in (("F001", 1), ("F001", 2), ("M001", 1)):
        n = 7
        parts.append(pd.DataFrame({"partition": "test", "subject": subject, "task": "T1", "view": view,
                                   "frame": np.arange(1, n + 1), "AU12_r": rng.normal(size=n),
                                   "AU06_r": rng.normal(size=n)}))
    ordered = pd.concat(parts, ignore_index=True)
    shuffled = ordered.sample(frac=1.0, random_state=1)
    out = smooth_sequences(shuffled, ["AU12_r", "AU06_r"], 3)
    assert out.index.tolist() == shuffled.index.tolist()  # rows keep their order
    for i, part in enumerate(parts):
        got = out.loc[ordered.index[i * 7:(i + 1) * 7], ["AU12_r", "AU06_r"]].to_numpy()
        np.testing.assert_allclose(got, ndimage.median_filter(part[["AU12_r", "AU06_r"]].to_numpy(), size=(3, 1),
                                                              mode="nearest"))
    assert not np.allclose(out["AU12_r"].to_numpy(), shuffled["AU12_r"].to_numpy())
