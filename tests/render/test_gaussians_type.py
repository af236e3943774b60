"""The Gaussians container: concatenation with group ids, dtype moves, rigid transforms."""

from __future__ import annotations

import pytest
import torch
from render_helpers import random_gaussians

from zerohsi.gaussians import Gaussians
from zerohsi.geometry import axis_angle_to_matrix, make_transform, quat_to_matrix


def test_cat_assigns_groups_and_pads_sh():
    scene = random_gaussians(5, seed=0, sh_degree=3)
    human = random_gaussians(3, seed=1)  # RGB
    obj = random_gaussians(2, seed=2, sh_degree=1)
    g = Gaussians.cat([scene, human, obj], groups=[0, 1, 2])
    assert len(g) == 10 and g.sh_degree == 3
    assert g.group.tolist() == [0] * 5 + [1] * 3 + [2] * 2
    # RGB became an SH DC term that evaluates back to the same colour; missing bands are zero
    torch.testing.assert_close(g.base_rgb()[5:8], human.colors)
    assert float(g.colors[5:8, 1:].abs().max()) == 0.0
    torch.testing.assert_close(g.colors[8:, :4], obj.colors)
    with pytest.raises(ValueError, match="colour widths"):
        Gaussians.cat([human, Gaussians(human.means, human.quats, human.scales, human.opacities,
                                        torch.zeros(3, 5))])


def test_to_keeps_group_ids_integer():
    g = random_gaussians(4).with_group(2).to(torch.float64)
    assert g.means.dtype == torch.float64 and g.group.dtype == torch.long and g.group.tolist() == [2] * 4


def test_transform_moves_means_and_rotates_orientations():
    g = random_gaussians(6, seed=3, dtype=torch.float64)
    R = axis_angle_to_matrix(torch.tensor([0.3, -0.2, 0.5], dtype=torch.float64))
    t = torch.tensor([1.0, 2.0, -0.5], dtype=torch.float64)
    h = g.transform(make_transform(R, t))
    torch.testing.assert_close(h.means, g.means @ R.T + t)
    torch.testing.assert_close(quat_to_matrix(h.quats), R @ quat_to_matrix(g.quats))
    torch.testing.assert_close(h.scales, g.scales)
