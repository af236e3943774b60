import json

import numpy as np
import pytest
import torch
from zerohsi_smpler_x.config import SmplerXConfig
from zerohsi_smpler_x.reader import SmplerXInitializer

from zerohsi.errors import UserError
from zerohsi.poseinit.testing import world_scenario, write_smpl_family_model
from zerohsi.segment.masks import Masks
from zerohsi.video.video import Video

T, W, H = 5, 64, 48


def _write(out, frame, person, params, focal, princpt, bbox):
    np.savez(out / "smplx" / f"{frame:05d}_{person}.npz", **{k: np.asarray(v, np.float32) for k, v in params.items()})
    (out / "meta" / f"{frame:05d}_{person}.json").write_text(
        json.dumps({"focal": focal, "princpt": princpt, "bbox": bbox}))


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    d = tmp_path_factory.mktemp("smplerx")
    model = write_smpl_family_model(d / "SMPLX_NEUTRAL.npz", "smplx")
    sc = world_scenario(T, "smplx", model, width=W, height=H)
    m, c = sc["motion"], sc["camera"]
    out = d / "out"
    (out / "smplx").mkdir(parents=True)
    (out / "meta").mkdir()
    K = sc["cameras"][0].K.double().numpy().tolist()
    for t in range(T):
        if t == 2:
            continue  # no person detected on frame 2
        p = {"global_orient": c["global_orient"][t][None], "body_pose": m["body_pose"][t].reshape(21, 3),
             "betas": m["betas"][t][None], "transl": c["transl"][t][None], "jaw_pose": np.zeros((1, 3)),
             "left_hand_pose": np.zeros((15, 3)), "right_hand_pose": np.zeros((15, 3)),
             "expression": np.zeros((1, 10))}
        # SMPLer-X numbers frames from 1; its virtual camera here equals ours
        _write(out, t + 1, 0, p, [K[0][0], K[1][1]], [K[0][2], K[1][2]], [20, 5, 20, 40])
        if t == 0:  # a bystander in the corner, with a different (wrong) pose
            q = dict(p, transl=p["transl"] + 1.0)
            _write(out, t + 1, 1, q, [K[0][0], K[1][1]], [K[0][2], K[1][2]], [0, 0, 8, 8])
    human = np.zeros((T, H, W), bool)
    human[:, 10:40, 25:35] = True
    sc.update(dir=d, out=out, model=model, masks=Masks(human), video=Video(np.zeros((T, H, W, 3), np.uint8), 10.0))
    return sc


def _adapter(sc, **kw):
    return SmplerXInitializer(SmplerXConfig(model_path=str(sc["model"]), output=str(sc["out"]), **kw))


def test_smpler_x_joints_in_world_and_gap(scenario):
    wj = _adapter(scenario).world_joints(scenario["video"], scenario["masks"], scenario["cameras"],
                                         scenario["skeleton"])
    assert not wj.world
    assert wj.valid.tolist() == [True, True, False, True, True]
    ok = torch.as_tensor(wj.valid)
    torch.testing.assert_close(wj.joints[ok], torch.as_tensor(scenario["joints_world"])[ok], atol=2e-5, rtol=0)


def test_smpler_x_virtual_camera_reprojection(scenario):
    """A crop camera with another focal length: the pelvis keeps its pixel, the body keeps its image size."""
    from zerohsi.poseinit.retarget import camera_to_world

    cam = scenario["cameras"][0]
    joints_c = torch.tensor([[[0.1, -0.05, 2.0], [0.2, 0.3, 2.1]]], dtype=torch.float64)
    Kv = torch.tensor([[500.0, 0, 40], [0, 500.0, 20], [0, 0, 1]], dtype=torch.float64)
    jw = camera_to_world(joints_c, Kv[None], [cam], [0], (W, H))
    uv, z = cam.to(torch.float64).project(jw[0])
    uv_v = (joints_c[0] @ Kv.T)[:, :2] / joints_c[0, :, 2:]
    torch.testing.assert_close(uv[0], uv_v[0], atol=1e-3, rtol=0)  # float32 camera
    f = cam.K[0, 0].item()
    torch.testing.assert_close(z[0], torch.tensor(2.0 * f / 500.0, dtype=torch.float64), atol=1e-5, rtol=0)
    torch.testing.assert_close((jw[0, 1] - jw[0, 0]).norm(), (joints_c[0, 1] - joints_c[0, 0]).norm())


def test_smpler_x_corrupt_files(scenario, tmp_path):
    out = tmp_path / "out"
    (out / "smplx").mkdir(parents=True)
    (out / "meta").mkdir()
    (out / "smplx" / "00001_0.npz").write_bytes(b"PK\x03\x04 truncated")
    (out / "meta" / "00001_0.json").write_text(json.dumps({"focal": [1, 1], "princpt": [0, 0], "bbox": [0, 0, 1, 1]}))
    a = SmplerXInitializer(SmplerXConfig(model_path=str(scenario["model"]), output=str(out / "smplx")))
    with pytest.raises(UserError, match="not a readable SMPLer-X result") as exc:
        a.world_joints(scenario["video"], None, scenario["cameras"], scenario["skeleton"])
    assert "\n" not in str(exc.value)
    (out / "meta" / "00001_0.json").write_text("{ nope")
    with pytest.raises(UserError, match="meta json"):
        a.world_joints(scenario["video"], None, scenario["cameras"], scenario["skeleton"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UserError, match="smplx"):
        SmplerXInitializer(SmplerXConfig(model_path=str(scenario["model"]), output=str(empty))).world_joints(
            scenario["video"], None, scenario["cameras"], scenario["skeleton"])
