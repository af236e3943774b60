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


class _Payload:
    """Unpickling this object runs a shell command that creates a marker file (a stand-in for an attacker's code)."""

    def __init__(self, marker) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        import os

        return os.system, (f"touch '{self.marker}'",)


@pytest.fixture
def payload(tmp_path):
    """A poisoned-file factory: ``payload.pickle(path)`` writes a pickle, ``payload.npz(path, **arrays)`` an npz with
    one object array, ``payload.torch(path)`` a torch checkpoint, each running code when loaded unsafely;
    ``payload.ran`` says whether any ran."""
    import pickle
    from types import SimpleNamespace

    import numpy as np

    marker = tmp_path / "PAYLOAD_RAN"

    def write_pickle(path, wrap=lambda p: {"v_template": p}):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(wrap(_Payload(marker)), protocol=2))
        return path

    def write_npz(path, **arrays):
        path.parent.mkdir(parents=True, exist_ok=True)
        obj = np.empty(1, dtype=object)
        obj[0] = _Payload(marker)
        np.savez(path, evil=obj, **arrays)
        return path

    def write_torch(path, extra=None):
        import torch

        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"problem": _Payload(marker), **(extra or {})}, path)
        return path

    return SimpleNamespace(pickle=write_pickle, npz=write_npz, torch=write_torch, marker=marker,
                           ran=lambda: marker.exists())
