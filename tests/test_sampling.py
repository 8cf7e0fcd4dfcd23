"""The paper's per-AU, per-view draw, the balanced all-AU draw, and the torch Dataset."""

import logging

import numpy as np
import pytest
import torch

from poseau.config import PrepareConfig
from poseau.constants import AUS
from poseau.data.dataset import FrameDataset
from poseau.data.sampling import balance_weights, balanced_draw, paper_draw
from poseau.data.store import prepare


def fake_labels(n=6000, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.where(rng.random((n, 7)) < 0.3, rng.integers(1, 6, (n, 7)), 0)
    labels[rng.random((n, 7)) < 0.1] = 9
    views = rng.integers(1, 10, n)
    return labels, views


def test_paper_draw_takes_n_nonzero_and_n_zero_per_view_never_missing():
    labels, views = fake_labels()
    k = AUS.index("AU12")
    draw = paper_draw(labels, views, "AU12", n=50, seed=1)
    assert len(draw.rows) == 9 * 100 and len(set(draw.rows)) == len(draw.rows)  # enough: no replacement
    y, v = labels[draw.rows, k], views[draw.rows]
    for view in range(1, 10):
        assert ((v == view) & (y == 0)).sum() == 50
        assert ((v == view) & (y >= 1) & (y <= 5)).sum() == 50
    assert not (y == 9).any()
    np.testing.assert_array_equal(paper_draw(labels, views, "AU12", n=50, seed=1).rows, draw.rows)
    assert not np.array_equal(paper_draw(labels, views, "AU12", n=50, seed=2).rows, draw.rows)


def test_paper_draw_replaces_with_a_warning_when_short_and_respects_rows(caplog):
    labels, views = fake_labels(600)
    train = np.arange(300)
    with caplog.at_level(logging.WARNING, logger="poseau.data.sampling"):
        draw = paper_draw(labels, views, "AU01", n=40, rows=train)
    assert "drawing with replacement" in caplog.text
    assert len(draw.rows) == 9 * 80 and draw.rows.max() < 300 and len(set(draw.rows)) < len(draw.rows)


def test_balanced_draw_weights_make_each_au_half_zero_half_nonzero():
    labels, views = fake_labels()
    draw = balanced_draw(labels, views, n=20, seed=3)
    y, w = labels[draw.rows], draw.weights
    for k in range(7):
        nonzero, zero = (y[:, k] >= 1) & (y[:, k] <= 5), y[:, k] == 0
        assert w[nonzero, k].sum() == pytest.approx(w[zero, k].sum(), rel=1e-5)
        assert w[nonzero | zero, k].mean() == pytest.approx(1.0, rel=1e-5)
        assert (w[y[:, k] == 9, k] == 0).all()
        assert nonzero.sum() >= 9 * 20  # its own share, at least
    # a hand example: AU01 with 1 non-zero, 3 zero and 1 missing label
    hand = np.zeros((5, 7), int)
    hand[:, 0] = [2, 0, 0, 0, 9]
    np.testing.assert_allclose(balance_weights(hand)[:, 0], [2.0, 2 / 3, 2 / 3, 2 / 3, 0.0])
    np.testing.assert_allclose(balance_weights(hand)[:, 1], 1.0)  # only zeros: weight 1


def test_dataset_items_match_the_store(small_dataset, tmp_path):
    store = prepare(PrepareConfig(dataset="fera2017", root=str(small_dataset), size=32), tmp_path / "st",
                    workers=1, progress=False)
    draw = balanced_draw(store.labels, store.views, n=2)
    dataset = FrameDataset(store, draw)
    assert len(dataset) == len(draw.rows)
    item = dataset[3]
    row = int(item["row"])
    assert row == draw.rows[3]
    assert item["image"].dtype == torch.uint8  # the model scales pixels itself, as it does for predict
    np.testing.assert_array_equal(item["image"][0].numpy(), store.frames[row])
    labels = store.labels[row]
    np.testing.assert_allclose(item["target"].numpy(), np.where(labels != 9, labels / 5, 0))
    np.testing.assert_allclose(item["weight"].numpy(), np.where(labels != 9, draw.weights[3], 0))
    assert int(item["view"]) == store.index.loc[row, "view"]
    assert int(item["pose"]) == (int(item["view"]) - 1) // 3

    loader = torch.utils.data.DataLoader(FrameDataset(store.path), batch_size=8, num_workers=2)
    batch = next(iter(loader))
    assert batch["image"].shape == (8, 1, 32, 32) and batch["image"].dtype == torch.uint8
    assert 0 <= batch["target"].min() and batch["target"].max() <= 1
    valid = torch.from_numpy(store.labels[batch["row"].numpy()] != 9)
    assert (batch["weight"] == valid.float()).all()  # no draw: valid labels weigh 1, missing ones 0
