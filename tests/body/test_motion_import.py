import numpy as np
import pytest

from zerohsi.body.fitting import model_joints
from zerohsi.body.params import CORE_JOINTS, core_joints
from zerohsi.body.poses import neutral_params
from zerohsi.cli.main import main
from zerohsi.errors import UserError
from zerohsi.motion import Motion

# CMU-style hierarchy: (name, parent, core joint placing it or None for a point between parent and child)
_CMU = [("Hips", None, "pelvis"), ("LeftUpLeg", "Hips", "left_hip"), ("LeftLeg", "LeftUpLeg", "left_knee"),
        ("LeftFoot", "LeftLeg", "left_ankle"), ("LeftToeBase", "LeftFoot", "left_foot"),
        ("RightUpLeg", "Hips", "right_hip"), ("RightLeg", "RightUpLeg", "right_knee"),
        ("RightFoot", "RightLeg", "right_ankle"), ("RightToeBase", "RightFoot", "right_foot"),
        ("Spine", "Hips", "spine"), ("Spine1", "Spine", "chest"), ("Neck", "Spine1", "neck"),
        ("Head", "Neck", "head"), ("LeftArm", "Spine1", "left_shoulder"), ("LeftForeArm", "LeftArm", "left_elbow"),
        ("LeftHand", "LeftForeArm", "left_wrist"), ("RightArm", "Spine1", "right_shoulder"),
        ("RightForeArm", "RightArm", "right_elbow"), ("RightHand", "RightForeArm", "right_wrist")]


def _write_cmu_bvh(path, rest_core, frames):
    """rest_core: CORE name -> (3,) Z-up metres; frames: list of (root_pos_m (3,), {joint: (z, x, y) degrees}).
    Written Y-up in centimetres, ZXY channels."""
    to_y = lambda p: np.array([p[0], p[2], -p[1]]) * 100.0  # noqa: E731
    children = {}
    for name, parent, _ in _CMU:
        children.setdefault(parent, []).append(name)
    core_of = {n: c for n, _, c in _CMU}
    parent_of = {n: p for n, p, _ in _CMU}
    order = []
    lines = ["HIERARCHY"]

    def emit(name, depth):
        order.append(name)
        pad = "  " * depth
        p = parent_of[name]
        off = np.zeros(3) if p is None else to_y(rest_core[core_of[name]]) - to_y(rest_core[core_of[p]])
        lines.append(f"{pad}{'ROOT' if p is None else 'JOINT'} {name}")
        lines.append(pad + "{")
        lines.append(f"{pad}  OFFSET {off[0]:.5f} {off[1]:.5f} {off[2]:.5f}")
        chans = "6 Xposition Yposition Zposition" if p is None else "3"
        lines.append(f"{pad}  CHANNELS {chans} Zrotation Xrotation Yrotation")
        for c in children.get(name, []):
            emit(c, depth + 1)
        if name not in children:
            lines.extend([pad + "  End Site", pad + "  {", pad + "    OFFSET 0 -3 0", pad + "  }"])
        lines.append(pad + "}")

    emit("Hips", 0)
    lines += ["MOTION", f"Frames: {len(frames)}", "Frame Time: 0.0333333"]
    for root, rots in frames:
        vals = list(to_y(root))
        for name in order:
            vals += list(rots.get(name, (0.0, 0.0, 0.0)))
        lines.append(" ".join(f"{v:.5f}" for v in vals))
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def cmu_bvh(tmp_path_factory, anny_body):
    j = core_joints(anny_body, model_joints(anny_body, neutral_params(anny_body)))[0]
    rest = {n: j[k].numpy().astype(np.float64) for k, n in enumerate(CORE_JOINTS)}
    frames = [(np.array([0.0, 0.0, 0.95]), {"RightForeArm": (0.0, -50.0, 0.0), "Hips": (20.0, 0.0, 0.0)}),
              (np.array([0.1, 0.0, 0.93]), {"LeftLeg": (0.0, 60.0, 0.0), "LeftUpLeg": (0.0, -30.0, 0.0)})]
    path = tmp_path_factory.mktemp("bvh") / "walk.bvh"
    _write_cmu_bvh(path, rest, frames)
    return path


def test_bvh_import_retargets_onto_anny(cmu_bvh, anny_body):
    from zerohsi.body.motion_import import import_bvh

    motion, res, report = import_bvh(cmu_bvh, anny_body, iters=150, smooth_weight=0.0)
    assert (report.convention, report.units, report.up) == ("cmu", "cm", "y")
    assert len(motion) == 2 and abs(motion.fps - 30.0) < 0.01
    assert res.mean_error_m < 0.02
    j = core_joints(anny_body, model_joints(anny_body, motion.body))
    knee, ankle = CORE_JOINTS.index("left_knee"), CORE_JOINTS.index("left_ankle")
    # frame 1 bends the left knee: the ankle moves behind the knee (+Y)
    assert float(j[1, ankle, 1] - j[1, knee, 1]) > 0.1
    assert abs(float(j[0, 0, 2]) - 0.95) < 0.02


def test_cli_motion_import_and_errors(cmu_bvh, tmp_path, capsys):
    out = tmp_path / "m.npz"
    assert main(["motion", "import", str(cmu_bvh), "-o", str(out), "--iters", "30"]) == 0
    m = Motion.load(out)
    assert m.body_model == "anny" and len(m) == 2
    assert main(["motion", "info", str(out)]) == 0
    assert main(["motion", "import", str(tmp_path / "missing.bvh"), "-o", str(tmp_path / "x.npz")]) == 2
    assert not (tmp_path / "x.npz").exists()
    bad = tmp_path / "bad.bvh"
    bad.write_text("HIERARCHY\nROOT a\n{\n")
    assert main(["motion", "import", str(bad), "-o", str(tmp_path / "y.npz")]) == 2
    with pytest.raises(UserError):
        from zerohsi.body.motion_import import detect_units

        detect_units(1e6)


def test_cli_avatar_preview(tmp_path):
    import imageio.v3 as iio

    out = tmp_path / "a.png"
    assert main(["avatar", "preview", "--out", str(out), "--size", "64", "--num-gaussians", "400",
                 "--pose", "t_pose"]) == 0
    img = iio.imread(out)
    assert img.shape == (64, 48, 3)
    assert (img < 200).any(axis=-1).mean() > 0.03  # the avatar covers part of the white background
    assert main(["avatar", "preview", "--out", str(tmp_path / "b.png"), "--pose", "nope"]) == 2
