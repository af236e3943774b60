"""Motion out for SMPL tools with the default anny body: the SMPL+H (AMASS-layout) npz, SMPL- and Mixamo-named BVH,
read back independently (SMPL's forward kinematics written out here, the `bvh` package) and re-imported."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from zerohsi.body.fitting import model_joints
from zerohsi.body.params import CORE_JOINTS, BodyParams, core_joints
from zerohsi.cli.main import main
from zerohsi.motion import Motion
from zerohsi.outputs.export import export_motion
from zerohsi.outputs.export.skeleton import Z_UP_TO_Y_UP
from zerohsi.outputs.export.smpl import ANNY_SOURCES, MIXAMO_NAMES, SMPL22_NAMES


@pytest.fixture(scope="module")
def anny_walk(anny_body):
    """Random rotations of the bones zerohsi's fits move (the core joints'), as in every fitted motion."""
    from zerohsi.body.fitting import DEFAULT_FREE_JOINTS, free_bones

    T = 6
    g = torch.Generator().manual_seed(1)
    rest = anny_body.rest_params(T)
    pose = torch.zeros(T, rest.body_pose.shape[1] // 3, 3)
    bones = free_bones(anny_body, DEFAULT_FREE_JOINTS)
    pose[:, bones] = torch.randn(T, len(bones), 3, generator=g) * 0.3
    params = BodyParams(transl=torch.tensor([[0.0, -0.1 * t, 0.0] for t in range(T)]),
                        global_orient=torch.randn(T, 3, generator=g) * 0.3, body_pose=pose.reshape(T, -1),
                        shape=rest.shape)
    return Motion(body=params, body_model="anny", fps=12.0)


def _anny_smpl_joints(body, motion) -> np.ndarray:
    """(T,22,3) the anny joints standing for SMPL's 22 (world, Z up)."""
    idx = [list(body.joint_names).index(ANNY_SOURCES[n]) for n in SMPL22_NAMES]
    return body(motion.body).joints.double().numpy()[:, idx]


def smpl_fk(poses: np.ndarray, trans: np.ndarray, rest: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """SMPL's forward kinematics of axis-angle ``poses`` (T,3J'): rotations about each rest joint, root rotated about
    itself, so the root joint lands at rest[0] + trans."""
    T, J = poses.shape[0], len(parents)
    R = Rotation.from_rotvec(poses[:, : 3 * J].reshape(-1, 3)).as_matrix().reshape(T, J, 3, 3)
    G, P = np.zeros_like(R), np.zeros((T, J, 3))
    for k, p in enumerate(parents):
        if p < 0:
            G[:, k], P[:, k] = R[:, k], rest[k] + trans
        else:
            G[:, k] = G[:, p] @ R[:, k]
            P[:, k] = P[:, p] + G[:, p] @ (rest[k] - rest[p])
    return P


@pytest.mark.parametrize("up", ["z", "y"])
def test_smplh_npz_has_amass_keys_and_reproduces_the_body(anny_body, anny_walk, tmp_path, up):
    report: dict = {}
    path = export_motion(anny_walk, anny_body, tmp_path, "npz", up=up, report=report)
    assert path.name == "motion.npz"
    with np.load(path, allow_pickle=False) as f:
        d = {k: f[k] for k in f.files}
    T = len(anny_walk)
    assert d["poses"].shape == (T, 156) and d["trans"].shape == (T, 3) and d["betas"].shape == (16,)
    assert float(d["mocap_framerate"]) == 12.0 and str(d["gender"]) == "neutral"
    assert str(d["surface_model_type"]) == "smplh" and str(d["source_body_model"]) == "anny"
    np.testing.assert_array_equal(d["poses"][:, 66:], 0.0)  # hands stay at rest
    np.testing.assert_allclose(d["poses"][:, :3], d["root_orient"])
    np.testing.assert_allclose(d["poses"][:, 3:66], d["pose_body"])
    assert report["retarget_mean_error_m"] < 1e-4 and report["retarget_max_error_m"] < 1e-3
    U = Z_UP_TO_Y_UP if up == "y" else np.eye(3)
    want = _anny_smpl_joints(anny_body, anny_walk) @ U.T
    got = smpl_fk(d["poses"], d["trans"], d["smpl_rest_joints"].astype(np.float64), d["parents"])
    np.testing.assert_allclose(got, want, atol=1e-3)
    np.testing.assert_allclose(d["joints"], want, atol=1e-3)
    # the rest skeleton is a T-pose in SMPL's model frame (+Y up, +X left): arms out sideways, legs down
    rest = d["smpl_rest_joints"]
    arm = rest[SMPL22_NAMES.index("left_elbow")] - rest[SMPL22_NAMES.index("left_shoulder")]
    shin = rest[SMPL22_NAMES.index("left_ankle")] - rest[SMPL22_NAMES.index("left_knee")]
    assert arm[0] > 0.2 and abs(arm[1]) < 0.03 and shin[1] < -0.3


def test_smplh_npz_reimports_onto_anny(anny_body, anny_walk, tmp_path):
    path = export_motion(anny_walk, anny_body, tmp_path, "npz")
    out = tmp_path / "back.npz"
    assert main(["motion", "import", str(path), "-o", str(out), "--iters", "150"]) == 0
    back = Motion.load(out)
    assert len(back) == len(anny_walk) and back.fps == anny_walk.fps
    a = core_joints(anny_body, model_joints(anny_body, anny_walk.body)).numpy()
    b = core_joints(anny_body, model_joints(anny_body, back.body)).numpy()
    err = np.linalg.norm(a - b, axis=-1)
    assert err.mean() < 0.03, err.mean(0)


@pytest.mark.parametrize("fmt, names", [("bvh", SMPL22_NAMES), ("bvh-mixamo", MIXAMO_NAMES)])
def test_smpl_and_mixamo_bvh_follow_the_body(anny_body, anny_walk, tmp_path, fmt, names):
    bvh = pytest.importorskip("bvh")
    from test_export_bvh import bvh_fk

    from zerohsi.body.motion_import import bvh_core_joints

    report: dict = {}
    path = export_motion(anny_walk, anny_body, tmp_path, fmt, report=report)
    assert path.name == ("motion.bvh" if fmt == "bvh" else "motion_mixamo.bvh")
    doc = bvh.Bvh(path.read_text())
    assert doc.get_joints_names() == [n for n in _depth_first(names)]
    assert doc.nframes == len(anny_walk) and doc.frame_time == pytest.approx(1 / 12.0)
    fk = bvh_fk(doc)
    want = _anny_smpl_joints(anny_body, anny_walk) @ Z_UP_TO_Y_UP.T
    got = np.stack([fk[n] for n in names], 1)
    np.testing.assert_allclose(got, want, atol=1e-3)
    assert report["retarget_max_error_m"] < 1e-3
    # zerohsi's importer recognises both skeletons by their names
    joints, cnames, rep, _ = bvh_core_joints(path)
    assert rep.convention == ("smpl_long" if fmt == "bvh" else "mixamo") and rep.units == "m"
    core = core_joints(anny_body, model_joints(anny_body, anny_walk.body)).numpy()
    legs = [c for c in cnames if c.endswith(("_knee", "_ankle", "_elbow", "_wrist"))]
    np.testing.assert_allclose(joints[:, [cnames.index(c) for c in legs]],
                               core[:, [CORE_JOINTS.index(c) for c in legs]], atol=1e-3)


def _depth_first(names):
    from zerohsi.outputs.export.smpl import PARENTS22

    order, stack = [], [0]
    while stack:
        j = stack.pop()
        order.append(names[j])
        stack.extend(reversed([c for c in range(len(PARENTS22)) if PARENTS22[c] == j]))
    return order


def test_cli_export_out_folder(anny_body, anny_walk, tmp_path, monkeypatch, capsys):
    from run_folder import make_run_folder

    from zerohsi.outputs.run import RunFolder

    monkeypatch.setattr(RunFolder, "body_model", property(lambda self: anny_body))
    monkeypatch.setattr(RunFolder, "object", property(lambda self: None))
    run = make_run_folder(tmp_path / "walk-s0", anny_walk)
    out = tmp_path / "for_blender"
    assert main(["export", str(run), "-f", "npz,bvh,bvh-mixamo", "-f", "npz-native,bvh-native", "--out",
                 str(out)]) == 0
    printed = capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["motion.bvh", "motion.npz", "motion_anny.bvh",
                                                     "motion_anny.npz", "motion_mixamo.bvh"]
    assert printed.count("SMPL retarget position error") == 3
    assert not (run / "exports").exists()
    (tmp_path / "afile").write_text("x")
    assert main(["export", str(run), "--out", str(tmp_path / "afile")]) == 2
    assert main(["export", str(run), "--out", str(tmp_path / "no" / "such")]) == 2
