"""Exports of a motion for other tools: AMASS-style npz, BVH skeleton animation, skinned animated GLB."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import numpy as np

from zerohsi.body.params import BodyModel
from zerohsi.errors import UserError
from zerohsi.motion import Motion

#: npz: AMASS-style; bvh: skeleton animation; bvh-mixamo: BVH with Mixamo joint names; glb: skinned animated body;
#: npz-native / bvh-native: the body's own parameters and skeleton (anny's 104 bones), whatever the body.
#: npz, bvh and bvh-mixamo carry SMPL's 22-joint body skeleton (joint rotations retargeted from the body, see
#: zerohsi.outputs.export.smpl) for bodies with SMPL correspondences other than SMPL-X (anny); a SMPL-X body writes
#: its real parameters, and bodies without SMPL correspondences their native layout.
FORMATS = ("npz", "bvh", "bvh-mixamo", "glb", "npz-native", "bvh-native")
#: each format's customary up axis: AMASS is +Z up, BVH tools and glTF (by its spec) expect +Y up
DEFAULT_UP = {"npz": "z", "bvh": "y", "bvh-mixamo": "y", "glb": "y", "npz-native": "z", "bvh-native": "y"}


def uses_smpl_skeleton(body_model: BodyModel) -> bool:
    """Whether npz/bvh exports of this body are retargeted onto SMPL's body skeleton."""
    from zerohsi.outputs.export.smpl import smpl22_sources

    return getattr(body_model, "name", "") != "smplx" and smpl22_sources(body_model) is not None


def export_file_name(fmt: str, body_model: BodyModel, stem: str = "motion") -> str:
    """motion.npz / motion.bvh / motion_mixamo.bvh / motion.glb / motion_<body>.npz|bvh for the native layouts."""
    fmt = fmt.lower()
    if fmt == "bvh-mixamo":
        return f"{stem}_mixamo.bvh"
    if fmt.endswith("-native"):
        return f"{stem}_{getattr(body_model, 'name', 'native') or 'native'}.{fmt.split('-')[0]}"
    return f"{stem}.{fmt}"


def export_motion(motion: Motion, body_model: BodyModel, out_dir: str | os.PathLike, fmt: str,
                  up: Optional[str] = None, *, object_mesh: Optional[tuple[np.ndarray, np.ndarray]] = None,
                  object_name: Optional[str] = None, stem: str = "motion", report: Optional[dict] = None) -> Path:
    """Write ``motion`` into ``out_dir`` (atomically, named by :func:`export_file_name`) and return the path.

    up: 'z' or 'y' (default: the format's customary axis, :data:`DEFAULT_UP`); object_mesh: (vertices (N,3) in the
    object's frame, faces (M,3)) for the GLB's object node; report: a dict that receives the SMPL retarget's
    position error (``retarget_mean_error_m``, ``retarget_max_error_m``) when the export is retargeted.
    """
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise UserError(f"Unknown export format '{fmt}'; choose one of {', '.join(FORMATS)}.")
    up = (up or DEFAULT_UP[fmt]).lower()
    if up not in ("z", "y"):
        raise UserError(f"Unknown up axis '{up}'; use 'z' or 'y'.")
    if len(motion) == 0:
        raise UserError("The motion has no frames; nothing to export.")
    if not motion.fps or motion.fps <= 0:
        raise UserError(f"The motion's frame rate is {motion.fps}; re-save it with a positive fps before exporting.")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UserError(f"Cannot export into '{out}': it is a file, not a folder.")
    path = out / export_file_name(fmt, body_model, stem)
    if fmt == "bvh-mixamo":
        from zerohsi.outputs.export.smpl import smpl22_sources

        smpl = smpl22_sources(body_model) is not None  # a SMPL-X body too: Mixamo names need the retarget
    else:
        smpl = uses_smpl_skeleton(body_model) and fmt in ("npz", "bvh")
    if fmt == "bvh-mixamo" and not smpl:
        raise UserError(f"The '{getattr(body_model, 'name', '?')}' body has no SMPL joint correspondences for a "
                        "Mixamo-named skeleton; export bvh-native instead.")
    if fmt in ("npz", "npz-native"):
        from zerohsi.outputs.export.npz import write_amass_npz

        out.mkdir(parents=True, exist_ok=True)
        arrays = write_amass_npz(path, motion, body_model, up, object_name=object_name, smpl=smpl)
        if smpl and report is not None:
            report.update(retarget_mean_error_m=float(arrays["retarget_error_m"]),
                          retarget_max_error_m=float(arrays["retarget_max_error_m"]))
        return path
    out.mkdir(parents=True, exist_ok=True)
    if smpl:
        from zerohsi.outputs.export.bvh import write_bvh
        from zerohsi.outputs.export.smpl import MIXAMO_NAMES, SMPL22_NAMES, retarget_to_smpl

        sm = retarget_to_smpl(body_model, motion.body, motion.fps)
        write_bvh(path, sm.animation(MIXAMO_NAMES if fmt == "bvh-mixamo" else SMPL22_NAMES, up=up))
        if report is not None:
            report.update(retarget_mean_error_m=sm.mean_error_m, retarget_max_error_m=sm.max_error_m)
        return path
    from zerohsi.outputs.export.skeleton import skeleton_animation

    anim = skeleton_animation(body_model, motion.body, motion.fps, up=up)
    if fmt in ("bvh", "bvh-native"):
        from zerohsi.outputs.export.bvh import write_bvh

        write_bvh(path, anim)
    else:
        from zerohsi.outputs.export.glb import write_glb

        poses = None if motion.object_poses is None else motion.object_poses.detach().cpu().numpy()
        write_glb(path, anim, body_model.faces.cpu().numpy(), body_model.skinning_weights.detach().cpu().numpy(),
                  up=up, object_poses=poses, object_mesh=object_mesh, object_name=object_name or "object")
    return path


def export_run(run_dir: str | os.PathLike, fmt: str, up: Optional[str] = None, *,
               body_model: Optional[BodyModel] = None, out_dir: Optional[str | os.PathLike] = None,
               report: Optional[dict] = None) -> Path:
    """Export a run folder's motion into ``out_dir`` (default ``RUN_DIR/exports/``); returns the path.

    The body model is rebuilt from the run's config unless given; the GLB's object node gets the object's mesh
    when the run's scene can be rebuilt.
    """
    from zerohsi.outputs.run import RunFolder

    run = RunFolder(run_dir)
    motion = run.motion
    model = body_model if body_model is not None else run.body_model
    object_mesh, object_name = None, None
    if motion.object_poses is not None:
        obj = run.object
        mesh = obj.mesh() if obj is not None and fmt.lower() == "glb" else None
        if mesh is not None:
            object_mesh = (np.asarray(mesh.vertices), np.asarray(mesh.faces))
        object_name = getattr(obj, "name", None) or (run.config.instance.name if run.config else None)
    return export_motion(motion, model, out_dir if out_dir is not None else run.exports_dir, fmt, up,
                         object_mesh=object_mesh, object_name=object_name, report=report)


__all__ = ["DEFAULT_UP", "FORMATS", "export_file_name", "export_motion", "export_run", "uses_smpl_skeleton"]
