"""A minimal body for the harness tests: CORE_JOINTS at fixed offsets from the root translation."""

from __future__ import annotations

import pytest
import torch

from zerohsi.body.params import CORE_JOINTS, BodyOutput, BodyParams


class PointBody:
    name = "point_body"
    joint_names = list(CORE_JOINTS)
    num_body_joints = len(CORE_JOINTS) - 1
    shape_dim = 1

    def __call__(self, p: BodyParams) -> BodyOutput:
        j = p.transl[:, None] + torch.linspace(0, 1, len(CORE_JOINTS))[None, :, None]
        return BodyOutput(j, j, torch.eye(4).expand(len(p), len(CORE_JOINTS), 4, 4))

    forward = __call__

    def rest_params(self, batch: int = 1) -> BodyParams:
        return BodyParams(torch.zeros(batch, 3), torch.zeros(batch, 3), torch.zeros(batch, 60), torch.zeros(batch, 1))

    def core_joint_index(self):
        return {n: i for i, n in enumerate(CORE_JOINTS)}


@pytest.fixture(scope="session")
def point_body() -> PointBody:
    return PointBody()
