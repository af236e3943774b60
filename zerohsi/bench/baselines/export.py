"""Writing each run's trajectory and goal in each baseline's input format.

The paper's protocol gives the baselines ZeroHSI's own trajectories and goals. From every successful run of a sweep
(its motion.npz) this writes, under ``<out>/<instance>/seed<k>/``:

- ``lingo_segments.pkl``: LINGO's segment list, a pickle of plain dicts/lists/floats (LINGO reads pickles):
  {scene_name, text, start_location, end_location (pelvis goal), hand_location, episode_num, seg_num}, y-up.
- ``trumans_trajectory.npy``: (N,3) float32 pelvis trajectory points at 30 fps, y-up.
- ``chois_input.json``: object name, text, pelvis waypoints (z-up, one per second), first/last object pose (4x4).
"""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch

from zerohsi.io import atomic_path, atomic_write_text

BASELINE_FPS = 30.0


def zup_to_yup(points: np.ndarray) -> np.ndarray:
    """(...,3) our world (+Z up) -> the y-up world of TRUMANS and LINGO."""
    from zerohsi.poseinit.retarget import YUP_TO_ZUP

    return points @ YUP_TO_ZUP.numpy()  # row vectors: p_y = R^T p_z


def upsample(points: np.ndarray, fps: float, target_fps: float = BASELINE_FPS) -> np.ndarray:
    """(T,3) at fps -> linearly interpolated at target_fps over the same duration."""
    T = points.shape[0]
    if T < 2:
        return points.copy()
    t_src = np.arange(T) / fps
    t_dst = np.arange(0.0, t_src[-1] + 1e-9, 1.0 / target_fps)
    return np.stack([np.interp(t_dst, t_src, points[:, k]) for k in range(3)], -1)


def export_run(motion, body_model, out_dir: Path, *, scene_name: str, text: str, object_name: Optional[str],
               episode: int = 0) -> dict[str, Path]:
    """Write the three baselines' inputs for one run's motion."""
    from zerohsi.body.params import core_joints
    from zerohsi.metrics.posed import pose_motion

    joints = core_joints(body_model, pose_motion(motion, body_model).joints,
                         ["pelvis", "left_hand", "right_hand"]).double().numpy()
    pelvis, hands = joints[:, 0], joints[:, 1:]
    out_dir = Path(out_dir)
    hand_goal = hands[-1].mean(0)
    if motion.object_poses is not None:
        hand_goal = motion.object_poses[-1, :3, 3].double().numpy()
    seg = {"scene_name": scene_name, "text": text, "start_location": zup_to_yup(pelvis[0]).tolist(),
           "end_location": zup_to_yup(pelvis[-1]).tolist(), "hand_location": zup_to_yup(hand_goal).tolist(),
           "episode_num": int(episode), "seg_num": 0}
    paths = {"lingo": out_dir / "lingo_segments.pkl", "trumans": out_dir / "trumans_trajectory.npy",
             "chois": out_dir / "chois_input.json"}
    with atomic_path(paths["lingo"]) as tmp:
        tmp.write_bytes(pickle.dumps([seg], protocol=4))
    with atomic_path(paths["trumans"], suffix=".npy") as tmp:
        np.save(tmp, zup_to_yup(upsample(pelvis, motion.fps)).astype(np.float32), allow_pickle=False)
    step = max(1, int(round(motion.fps)))
    chois: dict[str, Any] = {"object": object_name, "text": text, "fps": BASELINE_FPS,
                             "num_frames": int(round(len(motion) / motion.fps * BASELINE_FPS)),
                             "waypoints": pelvis[::step].tolist() + ([pelvis[-1].tolist()] if (len(pelvis) - 1) % step
                                                                     else [])}
    if motion.object_poses is not None:
        chois["object_pose_start"] = motion.object_poses[0].tolist()
        chois["object_pose_end"] = motion.object_poses[-1].tolist()
    atomic_write_text(paths["chois"], json.dumps(chois, indent=2) + "\n")
    return paths


def run_scene_object(rec: dict[str, Any], motion) -> tuple[str, Optional[str], str]:
    """(scene name, object name or None, prompt) a sweep run really used: from its record's provenance, else from
    its suite instance (records written before provenance existed)."""
    from zerohsi.errors import UserError

    prov = rec.get("provenance") or {}
    if prov.get("scene"):
        return str(prov["scene"]), prov.get("object"), str(prov.get("prompt") or motion.provenance.get("prompt", ""))
    from zerohsi.scenes.suite import load_suite

    try:
        inst = load_suite(rec.get("suite") or "anyinteraction").get(rec["instance"])
    except UserError:
        raise UserError(f"Run '{rec.get('run_dir')}' records no scene and its instance '{rec['instance']}' is not in "
                        f"suite '{rec.get('suite')}'; re-run it with this version of zerohsi.") from None
    return str(inst.scene), inst.object or None, str(motion.provenance.get("prompt") or inst.prompt)


def export_inputs(sweep_dir: str | os.PathLike, out_dir: str | os.PathLike, *, variant: str = "zerohsi",
                  host=None, body_model=None) -> list[dict[str, Path]]:
    """Baseline inputs for every successful ``variant`` run of a sweep folder; returns the written paths."""
    from zerohsi.bench.sweep import iter_records
    from zerohsi.errors import UserError
    from zerohsi.motion import Motion
    from zerohsi.plugins import get_host

    written = []
    bodies: dict[str, Any] = {}
    for rec in iter_records(sweep_dir):
        motion_path = Path(rec.get("run_dir", "")) / "motion.npz"
        if rec.get("status") != "ok" or rec.get("variant") != variant or not motion_path.is_file():
            continue
        motion = Motion.load(motion_path)
        body = body_model or bodies.get(motion.body_model)
        if body is None:
            body = bodies[motion.body_model] = (host or get_host()).build("body_model", motion.body_model)
        scene, obj, prompt = run_scene_object(rec, motion)
        with torch.no_grad():
            written.append(export_run(motion, body, Path(out_dir) / rec["instance"] / f"seed{rec['seed']}",
                                      scene_name=scene, text=prompt, object_name=obj, episode=int(rec["seed"])))
    if not written:
        raise UserError(f"'{sweep_dir}' holds no successful '{variant}' runs with a motion.npz; run "
                        "`zerohsi bench` first.")
    return written
