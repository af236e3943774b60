"""Pene% as the ZeroHSI paper defines it (percent of body vertices inside the scene, averaged over frames), on a
constructed body whose answer is known exactly."""

from __future__ import annotations

import pytest
import torch

from zerohsi.body.params import BodyOutput, BodyParams
from zerohsi.metrics.base import EvalContext
from zerohsi.metrics.penetration import ScenePenetration
from zerohsi.motion import Motion

V = 10_000


class CloudBody:
    """V vertices 1 m above the root, except vertex 0, which sits ``depth`` below it (the root is on the floor)."""

    name = "cloud"

    def __init__(self, depth: float) -> None:
        self.depth = depth

    def __call__(self, p: BodyParams) -> BodyOutput:
        verts = p.transl[:, None].repeat(1, V, 1)
        verts[:, 1:, 2] += 1.0
        verts[:, 0, 2] -= self.depth
        return BodyOutput(verts, verts[:, :1], torch.eye(4).expand(len(p), 1, 4, 4))


class Floor:
    def sdf(self, p: torch.Tensor) -> torch.Tensor:
        return p[..., 2]  # solid below z = 0


def _motion(T: int) -> Motion:
    z = torch.zeros(T, 3)
    return Motion(BodyParams(z, z.clone(), torch.zeros(T, 3), torch.zeros(T, 1)), "cloud", 10.0)


def test_one_vertex_in_ten_thousand_is_a_hundredth_of_a_percent():
    out = ScenePenetration().compute(_motion(5), EvalContext(CloudBody(0.001), scene=Floor()))
    assert out["pene_pct"] == pytest.approx(100.0 / V)  # 0.01 %, not 1.0
    assert out["pene_frames"] == 1.0  # every frame has that vertex inside
    assert out["pene_mean"] == pytest.approx(0.001, abs=1e-6) and out["pene_max"] == pytest.approx(0.001, abs=1e-6)


def test_averaged_over_frames():
    motion = _motion(4)
    motion.body.transl[2:, 2] = 0.5  # the last two frames lifted: no vertex inside
    out = ScenePenetration().compute(motion, EvalContext(CloudBody(0.01), scene=Floor()))
    assert out["pene_pct"] == pytest.approx(100.0 / V / 2)
    assert out["pene_frames"] == pytest.approx(0.5)
