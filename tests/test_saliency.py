"""Gradient saliency: the gradient itself, where a map lights up, and which frames it sums."""

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import assert_drawn
from torch import nn

from poseau.data.preprocess import Preprocessing
from poseau.errors import PoseauError
from poseau.explain.saliency import face_box_mask, input_gradient, normalise, plot_saliency, saliency_maps


class Patch(nn.Module):
    """AU12 = mean brightness of the top-left quadrant squared, AU06 = that of the bottom row: known gradients."""

    aus = ("AU06", "AU12")
    size = 16
    preprocessing = Preprocessing(size=16)

    def forward(self, x):
        au12 = x[:, 0, :8, :8].mean((1, 2)) ** 2
        au06 = x[:, 0, -1, :].mean(1)
        return {"intensity": torch.stack([au06, au12], 1)}


class FakeStore:
    def __init__(self, frames):
        self.frames, self.size, self.path = frames, frames.shape[-1], "fake"
        self.preprocessing = Preprocessing(size=self.size)


def test_input_gradient_is_the_per_frame_derivative():
    faces = np.random.default_rng(2).integers(0, 256, (3, 16, 16), dtype=np.uint8)
    grad = input_gradient(Patch(), faces, column=1)
    x = torch.from_numpy(faces).double()
    expected = torch.zeros_like(x)
    expected[:, :8, :8] = (2 * x[:, :8, :8].mean((1, 2)) / 64)[:, None, None]
    torch.testing.assert_close(grad.double(), expected)


def test_maps_light_up_where_the_output_depends_on_the_pixels_and_sum_the_top_frames():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (12, 16, 16), dtype=np.uint8)
    rows = np.arange(12)
    predictions = pd.DataFrame({"view": np.repeat([1, 2], 6), "AU12_r": rng.normal(size=12),
                                "AU06_r": rng.normal(size=12)})
    result = saliency_maps(Patch(), FakeStore(frames), predictions, rows, frames=2, progress=False)
    assert result.aus == ["AU06", "AU12"] and result.views == [1, 2]
    au12 = result.maps[1, 0]
    assert au12[:8, :8].min() > 0 and au12[8:].max() == 0 and au12[:, 8:].max() == 0
    assert result.maps[0, 1][-1].min() > 0 and result.maps[0, 1][:-1].max() == 0
    top = np.argsort(-predictions["AU12_r"].to_numpy()[6:])[:2] + 6
    assert sorted(result.rows[1, 1]) == sorted(top)
    np.testing.assert_allclose(result.faces[1, 1], frames[top].mean(0) / 255, atol=1e-6)
    assert np.isnan(result.face_share).all() and "face box is unknown" in result.face_summary()
    with pytest.raises(PoseauError, match="the model has no output for AU17 \\(it has AU06, AU12\\)"):
        saliency_maps(Patch(), FakeStore(frames), predictions, rows, aus=["AU17"], progress=False)


def test_normalise_and_plot(tmp_path):
    total = np.r_[np.zeros(98), 1.0, 1000.0].reshape(10, 10)
    norm = normalise(total)
    assert norm.max() == 1.0 and norm.min() == 0.0 and norm[9, 8] > 0  # one extreme pixel does not dim the rest
    assert not normalise(np.zeros((4, 4))).any()
    rng = np.random.default_rng(1)
    frames = rng.integers(0, 256, (6, 16, 16), dtype=np.uint8)
    predictions = pd.DataFrame({"view": [1] * 6, "AU12_r": rng.normal(size=6), "AU06_r": rng.normal(size=6)})
    result = saliency_maps(Patch(), FakeStore(frames), predictions, np.arange(6), frames=3, progress=False)
    plot_saliency(result, tmp_path / "s.png", "test")
    assert_drawn(tmp_path / "s.png", min_size=(2 * 60, 2 * 60))


def test_the_share_of_saliency_inside_the_face_box():
    cropped = Preprocessing(size=16, face_crop=True, crop_scale=2.0)
    box = face_box_mask(cropped)
    assert box.sum() == 64 and box[4:12, 4:12].all()  # the centre half of each side
    assert face_box_mask(Preprocessing(size=16)) is None

    class Centre(Patch):
        preprocessing = cropped

    frames = np.random.default_rng(0).integers(0, 256, (4, 16, 16), dtype=np.uint8)
    predictions = pd.DataFrame({"view": [6] * 4, "AU12_r": np.arange(4.0), "AU06_r": np.arange(4.0)})
    result = saliency_maps(Centre(), FakeStore(frames), predictions, np.arange(4), frames=2, progress=False)
    # AU12 reads the top-left quadrant: a quarter of it (4x4 of 8x8) lies in the face box; AU06 the bottom row: none
    np.testing.assert_allclose(result.face_share[:, 0], [0.0, 0.25], atol=1e-6)
    assert "mean 0.12, lowest 0.00" in result.face_summary()
