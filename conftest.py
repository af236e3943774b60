"""Session fixtures shared by every test directory (tests/ and plugins/*/tests/).

``anny_body``: the default body backend, built once per session (~0.3 s with anny's cache built; the first build of
the cache takes about a minute). ``avatar``: a small Gaussian avatar on it (600 Gaussians). ``avatar_camera``: a
64x64 camera looking at that avatar standing at the origin with its feet on the floor (z = 0).
"""

from __future__ import annotations

import os

import pytest


def pytest_configure(config):
    """One intra-op thread per test process (override with ZEROHSI_TEST_THREADS): the suite runs under
    pytest-xdist with a worker per core, and oversubscribed OpenMP threads made small-tensor code ~10x slower."""
    import torch

    torch.set_num_threads(int(os.environ.get("ZEROHSI_TEST_THREADS", "1")))


@pytest.fixture(scope="session")
def anny_body():
    """zerohsi.body.anny_model.AnnyBody (float32, warp skinning). Do not mutate it: it is shared."""
    from zerohsi.body.anny_model import AnnyBody

    return AnnyBody()


@pytest.fixture(scope="session")
def avatar(anny_body):
    """A 600-Gaussian 'casual' Avatar on ``anny_body`` (seed 0); its colour net starts as the identity."""
    from zerohsi.body.avatar import Avatar

    return Avatar.create(anny_body, num_gaussians=600, appearance="casual", seed=0, color_hidden=16)


@pytest.fixture(scope="session")
def standing_params(anny_body):
    """BodyParams (B=1) of the anny body standing at the origin, feet on z = 0, facing -Y."""
    from zerohsi.body.poses import pose_preset

    return pose_preset(anny_body, "standing", on_floor=True)


@pytest.fixture(scope="session")
def avatar_camera():
    """A 64x64 pinhole camera 3 m in front of the origin (at -Y), looking at the avatar's chest."""
    from zerohsi.cameras import Camera

    return Camera.look_at((0.0, -3.0, 1.0), (0.0, 0.0, 0.9), width=64, height=64, fov_deg=45.0)
