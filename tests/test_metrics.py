"""The metrics against hand examples, pingouin's ICC3 and scipy's Pearson r."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from poseau.evaluate.metrics import icc31, pearson, rmse, safe


def test_icc31_hand_examples():
    assert icc31([1, 2, 3, 4], [2, 3, 4, 5]) == pytest.approx(1.0)     # consistency ignores an offset
    assert icc31([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)          # MS_R = 0, MS_E = 2
    assert icc31([0, 1, 2, 3], [0, 2, 2, 4]) == pytest.approx(12 / 13)  # MS_R = 25/6, MS_E = 1/6
    assert icc31([0, 1, 2, 3], [5, 5, 5, 5]) == pytest.approx(0.0)      # a constant prediction agrees in nothing


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_icc31_matches_pingouin(seed):
    pingouin = pytest.importorskip("pingouin")
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 6, 200).astype(float)
    p = 0.6 * y + rng.normal(0, 1, 200) + 0.4
    long = pd.DataFrame({"frame": np.tile(np.arange(200), 2), "rater": np.repeat(["truth", "pred"], 200),
                         "score": np.concatenate([y, p])})
    table = pingouin.intraclass_corr(long, targets="frame", raters="rater", ratings="score").set_index("Type")
    name = "ICC3" if "ICC3" in table.index else "ICC(C,1)"  # consistency, single rater; renamed in pingouin 0.7
    assert icc31(y, p) == pytest.approx(table.loc[name, "ICC"], abs=1e-10)


def test_pearson_and_rmse_match_scipy_and_numpy():
    rng = np.random.default_rng(3)
    y, p = rng.normal(size=50), rng.normal(size=50)
    assert pearson(y, p) == pytest.approx(stats.pearsonr(y, p)[0], abs=1e-12)
    assert rmse([0, 0, 3], [0, 4, 3]) == pytest.approx(np.sqrt(16 / 3))


def test_constant_input_fails_loudly():
    with pytest.raises(ValueError, match="ground truth is constant"):
        icc31([2, 2, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="prediction is constant"):
        pearson([1, 2, 3], [0, 0, 0])
    with pytest.raises(ValueError, match="differ in length"):
        rmse([1, 2], [1, 2, 3])
    assert np.isnan(safe(icc31, [2, 2, 2], [1, 2, 3]))
