"""The paper's heads: output ranges, and the pose-dependent merge."""

import pytest
import torch

from poseau.models.heads import PoseDependentHead, PoseInvariantHead


@pytest.mark.parametrize("n_aus", [1, 7])
def test_pose_invariant_head_outputs_in_0_1(n_aus):
    out = PoseInvariantHead(512 * 7 * 7, n_aus)(torch.randn(4, 512, 7, 7) * 10)["intensity"]
    assert out.shape == (4, n_aus) and (out >= 0).all() and (out <= 1).all()


@pytest.mark.parametrize("n_aus", [1, 7])
def test_merge_is_the_estimate_of_the_arg_max_pose_group(n_aus):
    torch.manual_seed(0)
    head = PoseDependentHead(64 * 2 * 2, n_aus)
    out = head(torch.randn(32, 64, 2, 2))
    assert out["per_group"].shape == (32, 3, n_aus) and out["pose_logits"].shape == (32, 3)
    chosen = out["pose_logits"].argmax(1)
    assert len(set(chosen.tolist())) > 1  # the batch exercises more than one group
    expected = out["per_group"][torch.arange(32), chosen]
    torch.testing.assert_close(out["intensity"], expected)
    other = (chosen + 1) % 3
    assert not torch.allclose(out["intensity"], out["per_group"][torch.arange(32), other])
