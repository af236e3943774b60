"""Session fixtures of the own-scene tests: the synthetic capture (see synthetic_capture.py) as scenes and a file."""

from __future__ import annotations

import pytest
from synthetic_capture import make_capture


@pytest.fixture(scope="session")
def capture_scene():
    """The synthetic capture as an aligned Scene (SDF built from its Gaussians)."""
    from zerohsi.scenes.realscene import scene_from_gaussians

    return scene_from_gaussians("capture", make_capture(), voxel_size=0.1)


@pytest.fixture(scope="session")
def holed_scene():
    from zerohsi.scenes.realscene import scene_from_gaussians

    return scene_from_gaussians("holed", make_capture(hole=True, pillar=False), voxel_size=0.1)


@pytest.fixture(scope="session")
def capture_ply(tmp_path_factory):
    """The synthetic capture written as an INRIA .ply."""
    from zerohsi.ply import save_ply

    path = tmp_path_factory.mktemp("capture") / "capture.ply"
    save_ply(path, make_capture())
    return path
