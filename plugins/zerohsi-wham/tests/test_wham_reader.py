import pickle

import joblib
import numpy as np
import pytest
import torch
from zerohsi_wham.config import WhamConfig
from zerohsi_wham.reader import WhamInitializer

from zerohsi.errors import UserError
from zerohsi.poseinit.testing import world_scenario, write_smpl_family_model
from zerohsi.video.video import Video

T = 6


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    d = tmp_path_factory.mktemp("wham")
    model = write_smpl_family_model(d / "SMPL_NEUTRAL.npz", "smpl")
    sc = world_scenario(T, "smpl", model)
    m, c = sc["motion"], sc["camera"]
    keep = np.array([0, 1, 3, 4, 5])  # WHAM lost the person on frame 2
    track = {"pose": np.concatenate([c["global_orient"], m["body_pose"]], 1)[keep],
             "trans": c["transl"][keep],
             "pose_world": np.concatenate([m["global_orient"], m["body_pose"]], 1)[keep],
             "trans_world": m["transl"][keep], "betas": m["betas"][keep],
             "verts": np.zeros((len(keep), 4, 3), np.float32), "frame_ids": keep}
    short = {k: v[:2] for k, v in track.items()}
    short["frame_ids"] = np.array([4, 5])
    joblib.dump({0: short, 1: track}, d / "wham_output.pkl")
    sc.update(dir=d, model=model, video=Video(np.zeros((T, 48, 64, 3), np.uint8), 10.0))
    return sc


def _adapter(sc, **kw):
    return WhamInitializer(WhamConfig(model_path=str(sc["model"]), output=str(sc["dir"]), **kw))


@pytest.mark.parametrize("trajectory", ["world", "camera"])
def test_wham_world_joints_match_ground_truth_and_fill_gap(scenario, trajectory):
    a = _adapter(scenario, trajectory=trajectory)
    wj = a.world_joints(scenario["video"], None, scenario["cameras"], scenario["skeleton"])
    assert wj.world == (trajectory == "world")
    assert wj.valid.tolist() == [True, True, False, True, True, True]
    gt = torch.as_tensor(scenario["joints_world"])
    ok = torch.as_tensor(wj.valid)
    torch.testing.assert_close(wj.joints[ok], gt[ok], atol=1e-6, rtol=0)
    assert "track 1" in " ".join(wj.notes)  # the longest track was chosen


def test_wham_gap_filled_in_pose_init(scenario, monkeypatch):
    from zerohsi.poseinit import retarget

    seen = {}

    def fake_retarget(setup, targets, *, iters):
        seen["targets"] = targets
        return None

    # the fit belongs to the body package; here only what reaches it is checked
    monkeypatch.setattr(retarget, "retarget", fake_retarget)
    init = _adapter(scenario).initialize(scenario["video"], None, scenario["cameras"], setup=None)
    assert init.world and init.valid.tolist() == [True, True, False, True, True, True]
    assert any("frames 2" in n for n in init.notes)
    tg = seen["targets"]
    assert tg.shape == (T, 21, 3)
    torch.testing.assert_close(tg[2], (tg[1] + tg[3]) / 2, atol=1e-5, rtol=0)


def test_wham_track_choice_and_errors(scenario, tmp_path):
    with pytest.raises(UserError, match="track 7"):
        _adapter(scenario, track_id=7).world_joints(scenario["video"], None, scenario["cameras"],
                                                    scenario["skeleton"])
    bad = tmp_path / "wham_output.pkl"
    bad.write_bytes((scenario["dir"] / "wham_output.pkl").read_bytes()[:300])
    a = WhamInitializer(WhamConfig(model_path=str(scenario["model"]), output=str(bad)))
    with pytest.raises(UserError, match="corrupt") as exc:
        a.world_joints(scenario["video"], None, scenario["cameras"], scenario["skeleton"])
    assert "\n" not in str(exc.value)


class _Payload:
    def __reduce__(self):
        return (exec, ("raise SystemExit('code ran')",))


def test_wham_file_cannot_run_code(scenario, tmp_path):
    evil = tmp_path / "wham_output.pkl"
    with open(evil, "wb") as f:
        pickle.dump({0: {"pose": _Payload()}}, f)
    a = WhamInitializer(WhamConfig(model_path=str(scenario["model"]), output=str(evil)))
    with pytest.raises(UserError, match="builtins.exec"):
        a.world_joints(scenario["video"], None, scenario["cameras"], scenario["skeleton"])


def test_wham_missing_model_file(scenario, tmp_path):
    a = WhamInitializer(WhamConfig(model_path=str(tmp_path), output=str(scenario["dir"])))
    with pytest.raises(UserError, match="SMPL_NEUTRAL"):
        a.skeleton()
    with pytest.raises(UserError, match="model_path"):
        WhamInitializer(WhamConfig(output=str(scenario["dir"]))).skeleton()


def test_wham_runs_the_configured_command(scenario, tmp_path):
    import shlex
    import sys

    src = scenario["dir"] / "wham_output.pkl"
    # stands in for WHAM's demo: reads the clip it is given, writes its result into a sub-folder of the output
    script = ("import os, shutil, sys; d = os.path.join(sys.argv[2], 'demo'); os.makedirs(d); "
              f"assert os.path.getsize(sys.argv[1]) > 0; shutil.copy({str(src)!r}, os.path.join(d, 'wham_output.pkl'))")
    cmd = f"{shlex.quote(sys.executable)} -c {shlex.quote(script)} {{video}} {{output}}"
    a = WhamInitializer(WhamConfig(model_path=str(scenario["model"]), command=cmd))
    wj = a.world_joints(scenario["video"], None, scenario["cameras"], scenario["skeleton"])
    assert wj.valid.sum() == 5
    fail = WhamInitializer(WhamConfig(model_path=str(scenario["model"]),
                                      command=f"{shlex.quote(sys.executable)} -c 'raise SystemExit(3)' {{video}}"))
    with pytest.raises(UserError, match="exited with code 3"):
        fail.world_joints(scenario["video"], None, scenario["cameras"], scenario["skeleton"])
    with pytest.raises(UserError, match="either options.output"):
        WhamInitializer(WhamConfig(model_path=str(scenario["model"]))).world_joints(
            scenario["video"], None, scenario["cameras"], scenario["skeleton"])
