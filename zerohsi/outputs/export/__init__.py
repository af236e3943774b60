"""Exports of a motion for other tools: AMASS-style npz, BVH skeleton animation, skinned animated GLB."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import numpy as np

from zerohsi.body.params import BodyModel
from zerohsi.errors import UserError
from zerohsi.motion import Motion

FORMATS = ("npz", "bvh", "glb")
#: each format's customary up axis: AMASS is +Z up, BVH tools and glTF (by its spec) expect +Y up
DEFAULT_UP = {"npz": "z", "bvh": "y", "glb": "y"}


def export_motion(motion: Motion, body_model: BodyModel, out_dir: str | os.PathLike, fmt: str,
                  up: Optional[str] = None, *, object_mesh: Optional[tuple[np.ndarray, np.ndarray]] = None,
                  object_name: Optional[str] = None, stem: str = "motion") -> Path:
    """Write ``motion`` as ``out_dir/<stem>.<fmt>`` (atomically) and return the path.

    up: 'z' or 'y' (default: the format's customary axis, :data:`DEFAULT_UP`); object_mesh: (vertices (N,3) in the
    object's frame, faces (M,3)) for the GLB's object node.
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
    path = Path(out_dir) / f"{stem}.{fmt}"
    if fmt == "npz":
        from zerohsi.outputs.export.npz import write_amass_npz

        write_amass_npz(path, motion, body_model, up, object_name=object_name)
        return path
    from zerohsi.outputs.export.skeleton import skeleton_animation

    anim = skeleton_animation(body_model, motion.body, motion.fps, up=up)
    if fmt == "bvh":
        from zerohsi.outputs.export.bvh import write_bvh

        write_bvh(path, anim)
    else:
        from zerohsi.outputs.export.glb import write_glb

        poses = None if motion.object_poses is None else motion.object_poses.detach().cpu().numpy()
        write_glb(path, anim, body_model.faces.cpu().numpy(), body_model.skinning_weights.detach().cpu().numpy(),
                  up=up, object_poses=poses, object_mesh=object_mesh, object_name=object_name or "object")
    return path


def export_run(run_dir: str | os.PathLike, fmt: str, up: Optional[str] = None, *,
               body_model: Optional[BodyModel] = None) -> Path:
    """Export a run folder's motion into ``RUN_DIR/exports/motion.<fmt>``; returns the path.

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
    return export_motion(motion, model, run.exports_dir, fmt, up, object_mesh=object_mesh, object_name=object_name)


__all__ = ["DEFAULT_UP", "FORMATS", "export_motion", "export_run"]
