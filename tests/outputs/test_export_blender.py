"""Blender reads the exports: the SMPL-named BVH and the skinned GLB of an anny motion are imported with `bpy`
(Blender as a Python module, the optional `blender` extra), and the bone count, the frame range and joint
positions at a middle frame are checked against the motion. Blender runs in a child process (its bundled
libraries stay out of the test process). bpy pins numpy<2, which zerohsi's environment does not satisfy, so it is
not installed into it: `make test` installs it on its own into $ZEROHSI_BPY_PATH (pip --target, no dependencies; it
runs with the environment's numpy), and the test is skipped when neither that folder nor an installed bpy exists."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from zerohsi.body.params import BodyParams
from zerohsi.motion import Motion
from zerohsi.outputs.export import export_motion
from zerohsi.outputs.export.smpl import ANNY_SOURCES, SMPL22_NAMES

_BPY_PATH = os.environ.get("ZEROHSI_BPY_PATH", "")
_HAVE_BPY = (bool(_BPY_PATH) and (Path(_BPY_PATH) / "bpy").is_dir()) or importlib.util.find_spec("bpy") is not None
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not _HAVE_BPY, reason="bpy is not installed (make test installs it into "
                                 "$ZEROHSI_BPY_PATH with pip install --no-deps --target)")]

_BLENDER = r"""
import json, sys
import bpy

bvh_path, glb_path, fps, mid = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
out = {}


def armature():
    return next(o for o in bpy.context.scene.objects if o.type == "ARMATURE")


def heads(arm, frame):
    bpy.context.scene.frame_set(frame)
    bpy.context.view_layer.update()
    return {b.name: list(arm.matrix_world @ b.head) for b in arm.pose.bones}


bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.context.scene.render.fps = fps
bpy.ops.import_anim.bvh(filepath=bvh_path, frame_start=1, update_scene_fps=False, update_scene_duration=True)
arm = armature()
act = arm.animation_data.action
out["bvh"] = {"bones": len(arm.data.bones), "frames": list(act.frame_range), "heads": heads(arm, 1 + mid)}

bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.context.scene.render.fps = fps
bpy.ops.import_scene.gltf(filepath=glb_path)
arm = armature()
act = arm.animation_data.action
start = int(round(act.frame_range[0]))
out["glb"] = {"bones": len(arm.data.bones), "frames": list(act.frame_range), "heads": heads(arm, start + mid),
              "meshes": sum(o.type == "MESH" for o in bpy.context.scene.objects)}
print("RESULT" + json.dumps(out))
"""


def test_blender_imports_bvh_and_glb(anny_body, tmp_path):
    from zerohsi.body.fitting import DEFAULT_FREE_JOINTS, free_bones

    T, fps = 8, 24
    g = torch.Generator().manual_seed(2)
    rest = anny_body.rest_params(T)
    pose = torch.zeros(T, rest.body_pose.shape[1] // 3, 3)
    bones = free_bones(anny_body, DEFAULT_FREE_JOINTS)
    pose[:, bones] = torch.randn(T, len(bones), 3, generator=g) * 0.3
    params = BodyParams(transl=torch.tensor([[0.05 * t, -0.1 * t, 0.9] for t in range(T)]),
                        global_orient=torch.randn(T, 3, generator=g) * 0.2, body_pose=pose.reshape(T, -1),
                        shape=rest.shape)
    motion = Motion(body=params, body_model="anny", fps=float(fps))
    bvh_path = export_motion(motion, anny_body, tmp_path, "bvh")
    glb_path = export_motion(motion, anny_body, tmp_path, "glb")
    mid = T // 2
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (_BPY_PATH, os.environ.get("PYTHONPATH", "")) if p)}
    proc = subprocess.run([sys.executable, "-c", _BLENDER, str(bvh_path), str(glb_path), str(fps), str(mid)], env=env,
                          capture_output=True, text=True, timeout=300)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")), None)
    assert line is not None, proc.stdout[-2000:] + proc.stderr[-2000:]
    res = json.loads(line[len("RESULT"):])
    joints = anny_body(motion.body).joints.double().numpy()  # zerohsi's +Z-up world is Blender's

    bvh = res["bvh"]
    assert bvh["bones"] == len(SMPL22_NAMES)
    assert bvh["frames"] == [1.0, float(T)]
    for name in ("left_wrist", "right_ankle", "head", "left_knee"):
        want = joints[mid, list(anny_body.joint_names).index(ANNY_SOURCES[name])]
        np.testing.assert_allclose(bvh["heads"][name], want, atol=1e-4, err_msg=name)

    glb = res["glb"]
    assert glb["bones"] == len(anny_body.joint_names) and glb["meshes"] >= 1
    assert glb["frames"][1] - glb["frames"][0] == pytest.approx(T - 1)
    for name in ("wrist.L", "foot.R", "head", "lowerleg01.L"):
        want = joints[mid, list(anny_body.joint_names).index(name)]
        np.testing.assert_allclose(glb["heads"][name], want, atol=1e-4, err_msg=name)
