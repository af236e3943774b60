import math

import torch

from zerohsi.body.params import BodyParams
from zerohsi.motion import Motion
from zerohsi.plugins import get_host


def _motion(T=30, seed=0):
    g = torch.Generator().manual_seed(seed)
    t = torch.linspace(0, 1, T)[:, None]
    transl = torch.cat([t, 0 * t, 0.9 + 0 * t], 1) + 0.02 * torch.randn(T, 3, generator=g)
    orient = torch.cat([0 * t, 0 * t, t * math.pi / 2], 1)
    pose = 0.1 * torch.randn(T, 6, generator=g)
    return Motion(BodyParams(transl, orient, pose, torch.zeros(T, 4)), "test", 10.0)


def test_discovered_through_entry_point():
    host = get_host(reload=True)
    entry = host.get("refiner", "temporal_smooth")
    assert entry.distribution == "zerohsi-example"
    assert host.plugins["example"].status == "ok"


def test_smoothing_reduces_jerk_and_keeps_linear_motion():
    refiner = get_host().build("refiner", "temporal_smooth", {"sigma_frames": 2.0})
    m = _motion()
    out, report = refiner.refine(m)
    assert report["after"]["transl_jerk"] < 0.5 * report["before"]["transl_jerk"]
    # a noise-free linear ramp is a fixed point of the filter away from the ends
    clean = Motion(m.body.replace(transl=torch.linspace(0, 1, 30)[:, None].repeat(1, 3)), "test", 10.0)
    out2, _ = refiner.refine(clean)
    assert torch.allclose(out2.body.transl[7:-7], clean.body.transl[7:-7], atol=1e-5)


def test_rotation_smoothing_stays_on_rotation_manifold():
    refiner = get_host().build("refiner", "temporal_smooth", {"sigma_frames": 1.5})
    out, _ = refiner.refine(_motion())
    # yaw ramps 0 -> 90 degrees; the filtered orientation keeps its ramp and unit-norm axis
    yaw = out.body.global_orient[:, 2]
    assert torch.all(yaw[1:] - yaw[:-1] > -1e-4)
    assert abs(float(yaw[15]) - math.pi / 2 * 15 / 29) < 0.02
