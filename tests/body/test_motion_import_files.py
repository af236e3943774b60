"""Motion files in: real third-party BVH rigs (tests/data/bvh), strict BVH parsing, joint-map files, AMASS npz and
SMPL pickles without model files, and the checks on zerohsi motion npz files."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from zerohsi.body.bvh import load_bvh
from zerohsi.body.fitting import model_joints
from zerohsi.body.motion_import import UNITS, Y_UP_TO_Z_UP, bvh_core_joints, import_bvh, import_smpl_motion
from zerohsi.body.params import CORE_JOINTS, core_joints
from zerohsi.cli.main import main
from zerohsi.errors import UserError
from zerohsi.motion import Motion

DATA = Path(__file__).resolve().parents[1] / "data" / "bvh"
#: file -> (rig label, unit, number of core joints found, path length of the root over the excerpt in metres)
REAL = {
    "cmu_01_01.bvh": ("cmu", "cmu", 21, 1.694),
    "mixamo_freebvh.bvh": ("mixamo", "cm", 21, 1.526),
    "biovision_mocapbank.bvh": ("biovision", "cm", 17, 0.739),
    "meredith_walk.bvh": ("cmu", "inch", 17, 6.426),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_bvh_rigs_are_recognised(name):
    label, unit, count, path_len = REAL[name]
    joints, names, report, fps = bvh_core_joints(DATA / name)
    assert (report.convention, report.units, report.up) == (label, unit, "y")
    assert len(names) == count and {"pelvis", "left_knee", "right_ankle", "head", "left_elbow"} <= set(names)
    raw = load_bvh(DATA / name)
    assert joints.shape == (raw.num_frames, count, 3) and fps == pytest.approx(1 / raw.frame_time)
    # the root joint's position is the file's own root channels, re-expressed Z-up in metres (to the micrometre)
    root = raw.motion[:, :3] @ Y_UP_TO_Z_UP.T * UNITS[unit]
    np.testing.assert_allclose(joints[:, names.index("pelvis")], root, atol=1e-6)
    assert np.linalg.norm(np.diff(joints[:, 0, :2], axis=0), axis=1).sum() == pytest.approx(path_len, abs=2e-3)
    height = joints[0, names.index("head"), 2] - joints[0, names.index("left_ankle"), 2]
    assert 1.1 < height < 1.7  # head joint to ankle of an adult
    knee, hip, ankle = (joints[:, names.index(n)] for n in ("left_knee", "left_hip", "left_ankle"))
    assert knee[0, 2] < hip[0, 2] and ankle[0, 2] < knee[0, 2]  # the takes start standing


def test_cmu_spine_and_neck_skip_zero_length_helpers():
    from zerohsi.body.joint_maps import bvh_core_map

    b = load_bvh(DATA / "cmu_01_01.bvh")
    _, m = bvh_core_map(b.names, parents=b.parents, rest=b.rest_positions())
    got = {k: b.names[v] for k, v in m.items()}
    # CMU's Neck sits on Spine1 and LeftFingerBase on LeftHand (zero offsets): the next joint stands for them
    assert (got["spine"], got["chest"], got["neck"], got["head"]) == ("Spine", "Spine1", "Neck1", "Head")
    assert (got["left_hip"], got["left_shoulder"], got["left_wrist"], got["left_hand"]) == \
        ("LeftUpLeg", "LeftArm", "LeftHand", "LFingers")


@pytest.mark.parametrize("name", ["cmu_01_01.bvh", "meredith_walk.bvh"])
def test_real_bvh_retargets_onto_anny(anny_body, name):
    motion, res, report = import_bvh(DATA / name, anny_body, fps=5, iters=80, smooth_weight=0.0)
    assert report.frames == len(motion) and motion.fps == 5
    assert res.mean_error_m < 0.06  # anny's proportions, not the performer's: a few centimetres
    j = core_joints(anny_body, model_joints(anny_body, motion.body)).numpy()
    feet = j[:, [CORE_JOINTS.index("left_ankle"), CORE_JOINTS.index("right_ankle")], 2]
    assert (j[:, CORE_JOINTS.index("head"), 2] > feet.max(1) + 0.7).all()  # upright (CMU 01_01 climbs)


def test_scale_and_joint_map(tmp_path):
    name = DATA / "meredith_walk.bvh"
    a, names, _, _ = bvh_core_joints(name)
    b, _, report, _ = bvh_core_joints(name, scale=0.0254)
    np.testing.assert_allclose(a, b)
    assert report.units == "0.0254 m/unit"
    with pytest.raises(UserError, match="--scale"):
        bvh_core_joints(name, scale=-1.0)
    table = {"Hips": "pelvis", "LeftUpLeg": "left_hip", "LeftLeg": "left_knee", "LeftFoot": "left_ankle",
             "RightUpLeg": "right_hip", "RightLeg": "right_knee", "RightFoot": "right_ankle", "Head": "head"}
    jmap = tmp_path / "map.json"
    jmap.write_text(json.dumps(table))
    c, cnames, report, _ = bvh_core_joints(name, joint_map=str(jmap))
    assert report.convention == "map:map.json" and set(cnames) == set(table.values())
    np.testing.assert_allclose(c[:, cnames.index("head")], a[:, names.index("head")])
    ymap = tmp_path / "map.yaml"
    ymap.write_text("Hips: pelvis\nLeftUpLeg: left_thigh\n")
    with pytest.raises(UserError, match="left_thigh"):
        bvh_core_joints(name, joint_map=str(ymap))
    ymap.write_text("Hips: pelvis\nLeftThigh: left_hip\n")
    with pytest.raises(UserError, match="LeftThigh"):
        bvh_core_joints(name, joint_map=str(ymap))


_TINY = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Spine
  {
    OFFSET 0 10 0
    CHANNELS 2 Zrotation Xrotation
    End Site
    {
      OFFSET 0 5 0
    }
  }
}
MOTION
Frames: {frames}
Frame Time: {ft}
{rows}
"""


@pytest.mark.parametrize("frames, ft, rows, message", [
    (2, "0.04", "0 90 0 0 0 0 1 2\n0 90 0 0 0 0 1 2 3", "line 20 has 9 values but the hierarchy declares 8"),
    (2, "0.04", "0 90 0 0 0 0 1\n0 90 0 0 0 0 1 2", "line 19 has 7 values"),
    (-1, "0.04", "0 90 0 0 0 0 1 2", "Frames: -1"),
    (0, "0.04", "", "Frames: 0"),
    (1, "0", "0 90 0 0 0 0 1 2", "Frame Time: 0"),
    (1, "-0.5", "0 90 0 0 0 0 1 2", "Frame Time: -0.5"),
    (3, "0.04", "0 90 0 0 0 0 1 2", "'Frames: 3' but the file holds 1 rows"),
    (1, "0.04", "0 90 0 0 0 x 1 2", "line 19 holds a value that is not a number"),
])
def test_bvh_reader_is_strict(tmp_path, frames, ft, rows, message):
    path = tmp_path / "bad.bvh"
    path.write_text(_TINY.replace("{frames}", str(frames)).replace("{ft}", ft).replace("{rows}", rows))
    with pytest.raises(UserError) as err:
        load_bvh(path)
    text = str(err.value)
    assert message in text and "\n" not in text and text.count(". ") == 0


def test_bvh_reader_accepts_the_well_formed_tiny_file(tmp_path):
    path = tmp_path / "ok.bvh"
    path.write_text(_TINY.replace("{frames}", "1").replace("{ft}", "0.04").replace("{rows}", "0 90 0 0 0 0 1 2"))
    b = load_bvh(path)
    assert b.num_frames == 1 and b.fps == pytest.approx(25.0)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))  # Windows line ends
    assert load_bvh(path).num_frames == 1


# -- SMPL-family rotations without model files ---------------------------------------------------------------------
def _amass_walk(T=12, knee=0.9):
    """A synthetic AMASS-style take: SMPL's usual Z-up root (a quarter turn about X), standing height, walking
    along -Y, the left knee (SMPL joint 4) flexing about its X axis."""
    poses = np.zeros((T, 156))
    poses[:, 0] = np.pi / 2
    s = np.linspace(0, 1, T)
    poses[:, 3 + 3 * 3] = knee * s
    trans = np.stack([0 * s, -0.6 * s, 0 * s + 0.95], 1)
    return dict(poses=poses, trans=trans, betas=np.zeros(16), mocap_framerate=np.float64(60.0),
                gender=np.str_("neutral"))


@pytest.fixture(scope="module")
def amass_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("amass") / "walk_poses.npz"
    np.savez(path, **_amass_walk())
    return path


def test_amass_npz_imports_without_model_files(amass_file, anny_body, tmp_path):
    motion, res, report = import_smpl_motion(amass_file, anny_body, fps=30, iters=80, smooth_weight=0.0)
    assert len(motion) == 6 and motion.fps == 30 and report.up == "z" and report.convention == "smpl-approx"
    assert res.mean_error_m < 0.06
    j = core_joints(anny_body, model_joints(anny_body, motion.body)).numpy()
    ankle, knee = j[:, CORE_JOINTS.index("left_ankle")], j[:, CORE_JOINTS.index("left_knee")]
    head, pelvis = j[:, CORE_JOINTS.index("head")], j[:, CORE_JOINTS.index("pelvis")]
    assert (head[:, 2] > pelvis[:, 2] + 0.3).all()  # upright in the Z-up world
    assert 0.0 < j[0, CORE_JOINTS.index("right_ankle"), 2] < 0.15  # AMASS's standing height puts feet on z = 0
    # facing -Y: the flexed left knee carries the ankle behind (+Y) and up
    assert ankle[-1, 1] - knee[-1, 1] > 0.15 and ankle[-1, 2] > ankle[0, 2] + 0.05
    assert pelvis[-1, 1] - pelvis[0, 1] == pytest.approx(-0.6 * 10 / 11, abs=0.03)
    out = tmp_path / "m.npz"
    assert main(["motion", "import", str(amass_file), "-o", str(out), "--iters", "20", "--fps", "10"]) == 0
    assert Motion.load(out).provenance["format"] == "amass"


def test_not_amass_npz_gets_a_sentence_about_its_keys(tmp_path, capsys):
    bad = tmp_path / "other.npz"
    np.savez(bad, foo=np.zeros(3), bar=np.ones(2))
    assert main(["motion", "import", str(bad), "-o", str(tmp_path / "x.npz")]) == 2
    err = capsys.readouterr().err
    assert "bar, foo" in err and "poses" in err and "SMPLH" not in err and "model" not in err
    assert not (tmp_path / "x.npz").exists()


def test_smpl_pickle_through_the_restricted_loader(tmp_path, anny_body):
    from scipy.spatial.transform import Rotation

    T = 4
    walk = _amass_walk(T)
    R = Rotation.from_rotvec(walk["poses"][:, :72].reshape(-1, 3)).as_matrix().reshape(T, 24, 3, 3)
    # 4D-Humans / PHALP style: rotation matrices under smpl_params, per person
    est = {0: {"smpl_params": {"global_orient": R[:, :1], "body_pose": R[:, 1:], "betas": np.zeros((T, 10))},
               "transl": walk["trans"]}}
    path = tmp_path / "est.pkl"
    path.write_bytes(pickle.dumps(est))
    motion, res, report = import_smpl_motion(path, anny_body, iters=40, smooth_weight=0.0)
    assert len(motion) == T and report.up == "+z" and res.mean_error_m < 0.08
    pelvis = core_joints(anny_body, model_joints(anny_body, motion.body)).numpy()[:, 0]
    np.testing.assert_allclose(pelvis[-1] - pelvis[0], walk["trans"][-1] - walk["trans"][0], atol=0.03)

    class Payload:
        def __reduce__(self):
            return (Path.touch, (tmp_path / "pwned",))

    evil = tmp_path / "evil.pkl"
    evil.write_bytes(pickle.dumps({"poses": Payload()}))
    with pytest.raises(UserError):
        import_smpl_motion(evil, anny_body, iters=5)
    assert not (tmp_path / "pwned").exists()


# -- zerohsi motion npz checks -------------------------------------------------------------------------------------
def _motion_arrays(T=5):
    return dict(body_transl=np.zeros((T, 3), np.float32), body_global_orient=np.zeros((T, 3), np.float32),
                body_body_pose=np.zeros((T, 12), np.float32), body_shape=np.zeros((T, 1), np.float32),
                body_model=np.str_("tiny"), fps=np.float64(10.0), provenance=np.str_("{}"))


@pytest.mark.parametrize("change, message", [
    ({"body_global_orient": np.zeros((3, 3)), "body_body_pose": np.zeros((7, 12))}, "different numbers of frames"),
    ({"provenance": np.str_("{not json")}, "provenance entry that is not JSON"),
    ({"fps": np.float64(0.0)}, "frame rate of 0"),
    ({"body_transl": np.zeros((5, 2))}, "'body_transl' of shape (5, 2)"),
])
def test_motion_file_checks(tmp_path, change, message, capsys):
    path = tmp_path / "m.npz"
    np.savez(path, **{**_motion_arrays(), **change})
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Motion.load(path)
    assert main(["motion", "info", str(path)]) == 2


def test_garbage_npz_never_mentions_allow_pickle(tmp_path, capsys):
    garbage = tmp_path / "g.npz"
    garbage.write_bytes(b"\x80\x04this is not a zip archive" * 10)
    obj = tmp_path / "o.npz"
    np.savez(obj, body_transl=np.array([object()], dtype=object))
    for path in (garbage, obj):
        assert main(["motion", "info", str(path)]) == 2
        assert main(["motion", "import", str(path), "-o", str(tmp_path / "x.npz")]) == 2
        err = capsys.readouterr().err
        assert "allow_pickle" not in err and err.count("\n") == 2


def _skeleton(spec):
    """[(name, parent name or None, offset)] -> names, parents, rest positions."""
    names = [n for n, _, _ in spec]
    parents = [-1 if p is None else names.index(p) for _, p, _ in spec]
    rest = np.zeros((len(spec), 3))
    for k, (_, p, off) in enumerate(spec):
        rest[k] = np.asarray(off, float) + (rest[parents[k]] if p is not None else 0.0)
    return names, parents, rest


@pytest.mark.parametrize("spec, want", [
    # Xsens MVN naming (Chest..Chest4, collars, Shoulder as the upper arm, Hip/Knee/Ankle/Toe); Y up, cm
    ([("Hips", None, (0, 0, 0)), ("Chest", "Hips", (0, 10.7, 0)), ("Chest2", "Chest", (0, 10.5, 0)),
      ("Chest3", "Chest2", (0, 9.5, 0)), ("Chest4", "Chest3", (0, 9.5, 0)), ("Neck", "Chest4", (0, 13.5, 0)),
      ("Head", "Neck", (0, 8.8, 0)), ("LeftCollar", "Chest4", (3, 7.5, 0)),
      ("LeftShoulder", "LeftCollar", (13.7, 0, 0)), ("LeftElbow", "LeftShoulder", (28, 0, 0)),
      ("LeftWrist", "LeftElbow", (22, 0, 0)),
      ("LeftHip", "Hips", (9, 0, 0)), ("LeftKnee", "LeftHip", (0, -42, 0)), ("LeftAnkle", "LeftKnee", (0, -41, 0)),
      ("LeftToe", "LeftAnkle", (0, -8, 14))],
     {"pelvis": "Hips", "spine": "Chest", "chest": "Chest3", "neck": "Neck", "left_shoulder": "LeftShoulder",
      "left_wrist": "LeftWrist", "left_hip": "LeftHip", "left_ankle": "LeftAnkle", "left_foot": "LeftToe"}),
    # Daz / Poser naming (hip, abdomen, chest, lCollar, lShldr, lThigh, lShin)
    ([("hip", None, (0, 0, 0)), ("abdomen", "hip", (0, 8, 0)), ("chest", "abdomen", (0, 20, 0)),
      ("neck", "chest", (0, 22, 0)), ("head", "neck", (0, 8, 0)), ("lCollar", "chest", (2, 18, 0)),
      ("lShldr", "lCollar", (14, 0, 0)), ("lForeArm", "lShldr", (27, 0, 0)), ("lHand", "lForeArm", (23, 0, 0)),
      ("lButtock", "hip", (8, 0, 0)), ("lThigh", "lButtock", (0, -3, 0)), ("lShin", "lThigh", (0, -42, 0)),
      ("lFoot", "lShin", (0, -40, 0))],
     {"pelvis": "hip", "spine": "abdomen", "chest": "chest", "left_shoulder": "lShldr", "left_elbow": "lForeArm",
      "left_wrist": "lHand", "left_hip": "lThigh", "left_knee": "lShin", "left_ankle": "lFoot"}),
])
def test_other_rig_namings(spec, want):
    from zerohsi.body.joint_maps import bvh_core_map

    names, parents, rest = _skeleton(spec)
    _, m = bvh_core_map(names, parents=parents, rest=rest)
    assert {k: names[m[k]] for k in want} == want


def test_approximate_skeleton_follows_smplx_conventions(tmp_path):
    """With the same rest joints, the model-free reading of AMASS rotations lands exactly on the smplx library's
    own joints (root rotated about the pelvis, trans added, parents and axis-angle order as SMPL's)."""
    testing = pytest.importorskip("zerohsi_smplx.testing")
    import torch

    from zerohsi.body.motion_import import smpl_core_joints
    from zerohsi.body.smpl_skeleton import SmplSkeleton
    from zerohsi.plugins import get_host

    folder = testing.write_random_smplx_model(tmp_path)
    smplx_body = get_host().build("body_model", "smplx", {"model_path": str(folder)})
    rest55 = SmplSkeleton.from_model_file(folder, "smplx").rest_joints.numpy()
    rest24 = np.concatenate([rest55[:22], rest55[20:22]])  # SMPL's hand points: none in SMPL-X, any will do
    g = np.random.default_rng(3)
    T = 5
    poses = np.zeros((T, 165))
    poses[:, :3] = [np.pi / 2, 0.1, 0.0]
    poses[:, 3:66] = 0.3 * g.standard_normal((T, 63))
    trans = np.cumsum(0.05 * g.standard_normal((T, 3)), 0) + [0, 0, 0.9]
    core, _ = smpl_core_joints({"poses": poses, "trans": trans, "smpl_rest_joints": rest24}, up="z")
    native = smplx_body.native(torch.zeros(T, 10), torch.as_tensor(poses[:, :3]), torch.as_tensor(poses[:, 3:66]),
                               torch.as_tensor(trans)).joints[:, :22].double().numpy()
    from zerohsi.body.joint_maps import SMPL_JOINT_NAMES, SMPL_TO_CORE

    want = native[:, [SMPL_JOINT_NAMES.index(SMPL_TO_CORE[n]) for n in CORE_JOINTS if n not in
                      ("left_hand", "right_hand")]]
    got = core[:, [k for k, n in enumerate(CORE_JOINTS) if n not in ("left_hand", "right_hand")]]
    np.testing.assert_allclose(got, want, atol=1e-4)
