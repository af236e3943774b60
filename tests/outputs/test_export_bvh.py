"""BVH export round trip: re-import with the independent `bvh` parser, redo forward kinematics, compare joints."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from zerohsi.outputs.export import export_motion
from zerohsi.outputs.export.skeleton import Z_UP_TO_Y_UP

bvh = pytest.importorskip("bvh")


def _elemental(axis: str, deg: float) -> np.ndarray:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return {"X": np.array([[1, 0, 0], [0, c, -s], [0, s, c]]),
            "Y": np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]),
            "Z": np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])}[axis]


def bvh_fk(doc: bvh.Bvh) -> dict[str, np.ndarray]:
    """Joint name -> (T,3) world positions, by the textbook BVH reading (channels applied left to right)."""
    names = doc.get_joints_names()
    out: dict[str, np.ndarray] = {}
    T = doc.nframes
    glob_R: dict[str, list] = {n: [None] * T for n in names}
    for t in range(T):
        for name in names:  # parents come before children in file order
            chans = doc.joint_channels(name)
            vals = doc.frame_joint_channels(t, name, chans)
            R, pos = np.eye(3), np.zeros(3)
            for ch, v in zip(chans, vals, strict=True):
                if ch.endswith("rotation"):
                    R = R @ _elemental(ch[0], v)
                else:
                    pos["XYZ".index(ch[0])] = v
            offset = np.array(doc.joint_offset(name))
            parent = doc.joint_parent(name)
            if parent is None:
                p = offset + pos
                G = R
            else:
                pn = parent.name
                p = out[pn][t] + glob_R[pn][t] @ offset
                G = glob_R[pn][t] @ R
            out.setdefault(name, np.zeros((T, 3)))[t] = p
            glob_R[name][t] = G
    return out


@pytest.mark.parametrize("up", ["y", "z"])
def test_bvh_round_trip_matches_body_joints(tmp_path, tiny_body, tiny_motion, up):
    path = export_motion(tiny_motion, tiny_body, tmp_path, "bvh", up=up)
    doc = bvh.Bvh(path.read_text())
    assert doc.nframes == len(tiny_motion)
    assert doc.frame_time == pytest.approx(1 / tiny_motion.fps, rel=1e-6)
    names = doc.get_joints_names()
    assert names[0] == "pelvis" and "left_arm" in names  # whitespace in names is made BVH-safe
    assert doc.joint_parent("head").name == "spine"
    assert doc.joint_parent("right_arm").name == "spine"
    # offsets are rest-pose bone vectors of the sequence's shape (shape 0.5 scales bones by 1.05)
    U = Z_UP_TO_Y_UP if up == "y" else np.eye(3)
    assert np.allclose(doc.joint_offset("head"), U @ np.array([0, 0, 0.3 * 1.05]), atol=1e-5)

    fk = bvh_fk(doc)
    joints = tiny_body(tiny_motion.body).joints.double().numpy() @ U.T
    for j, name in enumerate(["pelvis", "spine", "head", "left_arm", "right_arm"]):
        np.testing.assert_allclose(fk[name], joints[:, j], atol=1e-4)


def test_bvh_angles_are_unwrapped_over_time(tmp_path, tiny_body, tiny_motion):
    # a root spinning steadily about the up axis crosses +-180 deg; consecutive frames must stay close
    m = tiny_motion
    T = 40
    angles = torch.linspace(0, 4 * np.pi, T)
    body = m.body[:1].replace(transl=torch.zeros(1, 3)).to(torch.float32)
    body = type(body).cat([body] * T).replace(global_orient=torch.stack([0 * angles, 0 * angles, angles], 1))
    spin = type(m)(body=body, body_model="tiny", fps=30.0)
    doc = bvh.Bvh(export_motion(spin, tiny_body, tmp_path, "bvh", up="z").read_text())
    rot = np.array(doc.frames_joint_channels("pelvis", ["Zrotation", "Xrotation", "Yrotation"]))
    assert np.abs(np.diff(rot, axis=0)).max() < 30.0
    assert rot[-1, 0] - rot[0, 0] == pytest.approx(720.0, abs=1.0)


def test_bvh_long_sequence_chunks(tmp_path, tiny_body, make_motion):
    m = make_motion(300, seed=3, with_object=False)
    doc = bvh.Bvh(export_motion(m, tiny_body, tmp_path, "bvh", up="z").read_text())
    assert doc.nframes == 300
    root = np.array(doc.frames_joint_channels("pelvis", ["Xposition", "Yposition", "Zposition"]))
    np.testing.assert_allclose(root, tiny_body(m.body).joints[:, 0].numpy(), atol=1e-4)


def test_bvh_names_are_tokens_and_unique():
    from zerohsi.outputs.export.bvh import unique_names

    assert unique_names(["left arm", "left_arm", "", "left arm"]) == ["left_arm", "left_arm_1", "joint2", "left_arm_2"]


def test_bvh_reads_back_with_zerohsis_own_reader(tmp_path, tiny_body, tiny_motion):
    """The project's BVH reader (used to import mocap) agrees with the writer."""
    from zerohsi.body.bvh import load_bvh

    doc = load_bvh(export_motion(tiny_motion, tiny_body, tmp_path, "bvh", up="z"))
    assert doc.num_frames == len(tiny_motion) and doc.fps == pytest.approx(tiny_motion.fps)
    pos = doc.global_positions()  # (T, joints + end sites, 3)
    idx = [doc.names.index(n) for n in ["pelvis", "spine", "head", "left_arm", "right_arm"]]
    np.testing.assert_allclose(pos[:, idx], tiny_body(tiny_motion.body).joints.numpy(), atol=1e-4)
