"""The losses of each training stage.

Euclidean loss (the paper's l^m), on valid labels only: with weight w (0 where the label is missing, the
draw's balancing weight otherwise), predictions p and targets y (intensity / 5) of a batch of B frames
and A AUs,

    L_m = sum_{i,a} w_ia (p_ia - y_ia)^2 / (2 B A)

A missing label has w = 0 and so no gradient. The pose loss l^a is the cross-entropy of the pose
estimator against the known pose group, summed over the batch and divided by B. Both divide by the
batch size, not by a count of valid labels, so that averaging gradients over data-parallel processes
gives exactly the gradient of the whole batch.

A model with a landmark head adds, in every stage but "pose", ``landmark_weight`` times the same Euclidean loss
on the landmarks (fractions of the frame's side) that the store knows, divided by B x 136.

Stages (poseau.config.STAGES):
    regress  pose-invariant model: L_m on its output
    routed   pose-dependent: L_m on the regressor of each frame's known pose group
    pose     pose-dependent: l^a only (the loop trains the pose estimator alone)
    joint    pose-dependent: L_m on the merged output + alpha * l^a
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def euclidean(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """pred, target, weight (B, A) -> the weighted Euclidean loss above."""
    return (weight * (pred - target) ** 2).sum() / (2 * pred.numel())


def pose_cross_entropy(logits: torch.Tensor, pose: torch.Tensor) -> torch.Tensor:
    """logits (B, 3), pose (B,) group or -1 (unknown, ignored) -> summed cross-entropy / B."""
    return F.cross_entropy(logits, pose, ignore_index=-1, reduction="sum") / len(pose)


def routed(per_group: torch.Tensor, pose: torch.Tensor) -> torch.Tensor:
    """(B, 3, A) estimates, (B,) known group -> (B, A) the estimate of each frame's own group (0 if unknown)."""
    return per_group[torch.arange(len(pose), device=pose.device), pose.clamp(min=0)] * (pose >= 0)[:, None]


def landmark_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """pred, target (B, 68, 2), target NaN where unknown -> the Euclidean loss over the known coordinates."""
    return euclidean(pred, torch.nan_to_num(target), torch.isfinite(target).to(pred.dtype))


def stage_loss(stage: str, out: dict[str, torch.Tensor], batch: dict[str, torch.Tensor], alpha: float,
               landmark_weight: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """The stage's loss on a batch, and the intensities (B, A) it judges."""
    loss, intensity = _au_loss(stage, out, batch, alpha)
    if landmark_weight and stage != "pose" and "landmarks" in out and "landmarks" in batch:
        loss = loss + landmark_weight * landmark_loss(out["landmarks"], batch["landmarks"])
    return loss, intensity


def _au_loss(stage: str, out: dict[str, torch.Tensor], batch: dict[str, torch.Tensor],
             alpha: float) -> tuple[torch.Tensor, torch.Tensor]:
    target, weight, pose = batch["target"], batch["weight"], batch["pose"]
    if stage == "routed":
        intensity = routed(out["per_group"], pose)
        return euclidean(intensity, target, weight * (pose >= 0)[:, None]), intensity
    intensity = out["intensity"]
    if stage == "regress":
        return euclidean(intensity, target, weight), intensity
    if stage == "pose":
        return pose_cross_entropy(out["pose_logits"], pose), intensity
    if stage == "joint":
        return euclidean(intensity, target, weight) + alpha * pose_cross_entropy(out["pose_logits"], pose), intensity
    raise ValueError(f"unknown stage {stage!r}")
