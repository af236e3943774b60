"""Diversity across seeds of one instance."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from zerohsi.metrics.base import EvalContext, MetricSkipped
from zerohsi.metrics.posed import common_length, posed_core_joints
from zerohsi.motion import Motion


def pairwise_joint_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean over frames and joints of ‖a − b‖ for joints (T,J,3) and (T',J,3) (metres; common frames only)."""
    n = common_length(a.shape[0], b.shape[0])
    return float((a[:n] - b[:n]).norm(dim=-1).mean())


def diversity_of(joint_sets: Sequence[torch.Tensor]) -> float:
    """Mean of :func:`pairwise_joint_distance` over all unordered pairs of (T,J,3) joint sequences (metres)."""
    n = len(joint_sets)
    if n < 2:
        raise ValueError("diversity needs at least two motions")
    vals = [pairwise_joint_distance(joint_sets[i], joint_sets[j]) for i in range(n) for j in range(i + 1, n)]
    return sum(vals) / len(vals)


class Diversity:
    """diversity (metres): mean per-joint distance (over frames and CORE_JOINTS) between this motion and each motion
    in ``ctx.others`` (the other seeds of the same instance), averaged over those motions. Skipped without others
    (``zerohsi bench`` computes it across the seeds of a sweep).
    """

    def __init__(self, cfg=None) -> None:
        pass

    def compute(self, motion: Motion, ctx: EvalContext) -> dict[str, float]:
        if not ctx.others:
            raise MetricSkipped("needs the other seeds of the same instance (zerohsi bench computes it across seeds)")
        mine = posed_core_joints(motion, ctx)
        dists = [pairwise_joint_distance(mine, posed_core_joints(o, ctx)) for o in ctx.others]
        return {"diversity": sum(dists) / len(dists)}
