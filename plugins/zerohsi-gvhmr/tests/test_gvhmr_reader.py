import math

import numpy as np
import pytest
import torch
from zerohsi_gvhmr.config import GvhmrConfig
from zerohsi_gvhmr.reader import GvhmrInitializer

from zerohsi.errors import UserError
from zerohsi.poseinit.testing import world_scenario, write_smpl_family_model
from zerohsi.video.video import Video

T = 5


def _params(d):
    return {k: torch.as_tensor(np.asarray(v, np.float32)) for k, v in d.items()}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    d = tmp_path_factory.mktemp("gvhmr")
    model = write_smpl_family_model(d / "smplx" / "SMPLX_NEUTRAL.npz", "smplx")
    sc = world_scenario(T, "smplx", model)
    m, c = sc["motion"], sc["camera"]
    incam = {"global_orient": c["global_orient"], "body_pose": m["body_pose"], "betas": m["betas"],
             "transl": c["transl"]}
    glob = {k: m[k].copy() for k in ("global_orient", "body_pose", "betas", "transl")}
    incam["body_pose"] = incam["body_pose"].copy()
    incam["body_pose"][3] = np.nan  # GVHMR lost the person on frame 3
    f = math.sqrt(64 ** 2 + 48 ** 2)
    K = torch.tensor([[f, 0, 32], [0, f, 24], [0, 0, 1]]).expand(T, 3, 3).clone()
    out = d / "demo" / "clip"
    out.mkdir(parents=True)
    torch.save({"smpl_params_global": _params(glob), "smpl_params_incam": _params(incam), "K_fullimg": K,
                "net_outputs": {"x": torch.zeros(2)}}, out / "hmr4d_results.pt")
    sc.update(dir=d, model=d, video=Video(np.zeros((T, 48, 64, 3), np.uint8), 10.0))
    return sc


@pytest.mark.parametrize("trajectory", ["world", "camera"])
def test_gvhmr_world_joints_match_ground_truth(scenario, trajectory):
    a = GvhmrInitializer(GvhmrConfig(model_path=str(scenario["model"]), output=str(scenario["dir"]),
                                     trajectory=trajectory))
    wj = a.world_joints(scenario["video"], None, scenario["cameras"], scenario["skeleton"])
    assert wj.valid.tolist() == [True, True, True, False, True]
    assert wj.world == (trajectory == "world")
    ok = torch.as_tensor(wj.valid)
    # float32 on disk: micrometre agreement
    torch.testing.assert_close(wj.joints[ok], torch.as_tensor(scenario["joints_world"])[ok], atol=2e-5, rtol=0)


def test_gvhmr_gap_reported(scenario, monkeypatch):
    from zerohsi.poseinit import retarget

    monkeypatch.setattr(retarget, "retarget", lambda setup, targets, *, iters: targets)
    a = GvhmrInitializer(GvhmrConfig(model_path=str(scenario["model"]), output=str(scenario["dir"])))
    init = a.initialize(scenario["video"], None, scenario["cameras"], setup=None)
    assert not init.valid[3] and any("frames 3" in n for n in init.notes)
    assert torch.isfinite(init.body).all()


class _Custom:
    pass


def test_gvhmr_corrupt_and_unsafe_files(scenario, tmp_path):
    bad = tmp_path / "hmr4d_results.pt"
    bad.write_bytes(b"not a torch file at all")
    a = GvhmrInitializer(GvhmrConfig(model_path=str(scenario["model"]), output=str(bad)))
    with pytest.raises(UserError, match="corrupt") as exc:
        a.world_joints(scenario["video"], None, scenario["cameras"], scenario["skeleton"])
    assert "\n" not in str(exc.value)
    torch.save({"smpl_params_global": _Custom()}, bad)
    with pytest.raises(UserError, match="GVHMR"):
        a.world_joints(scenario["video"], None, scenario["cameras"], scenario["skeleton"])
    torch.save({"smpl_params_global": {}}, bad)
    with pytest.raises(UserError, match="lacks"):
        a.world_joints(scenario["video"], None, scenario["cameras"], scenario["skeleton"])
    with pytest.raises(UserError, match="trajectory"):
        GvhmrInitializer(GvhmrConfig(trajectory="sky"))
