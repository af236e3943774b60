import numpy as np
import pytest


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("ZEROHSI_CACHE_DIR", str(d))
    return d


def _moving_square(T=12, H=32, W=48, seed=0):
    """A clip whose frames are all different: a bright square moving right over a smooth background."""
    rng = np.random.default_rng(seed)
    frames = np.empty((T, H, W, 3), np.uint8)
    yy, xx = np.mgrid[0:H, 0:W]
    bg = np.stack([40 + xx, 60 + yy, 50 + 0 * xx + int(rng.integers(0, 30))], -1).astype(np.uint8)
    for t in range(T):
        f = bg.copy()
        x = 2 + 2 * t
        f[8:20, x:x + 10] = (230, 120, 30)
        frames[t] = f
    return frames


@pytest.fixture
def moving_square():
    """The clip factory _moving_square(T, H, W, seed) -> uint8 (T,H,W,3)."""
    return _moving_square
