"""Shared tiny scenes for the render tests."""

from __future__ import annotations

import pytest
from render_helpers import random_gaussians

from zerohsi.cameras import Camera
from zerohsi.gaussians import Gaussians


@pytest.fixture(scope="session")
def small_scene() -> Gaussians:
    return random_gaussians(150, seed=1)


@pytest.fixture(scope="session")
def small_camera() -> Camera:
    return Camera.look_at((2.5, -1.0, 1.0), (0.0, 0.0, 0.0), width=40, height=32, fov_deg=50)


@pytest.fixture(autouse=True)
def _one_thread():
    """These tests run many tiny renders; on a loaded machine intra-op threads only add synchronisation stalls."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
