"""The pipeline's last stage: everything a user looks at and takes away, written into the run folder.

``write_outputs(run_dir, setup)`` renders the reconstruction, writes overlay.mp4 (source | reconstruction | the fitted
body and object tinted over the source, segmentation masks outlined) and optionally orbit.mp4, the requested exports
under exports/, and report.html — each atomically.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import numpy as np

if TYPE_CHECKING:
    from zerohsi.body.params import BodyModel
    from zerohsi.clip_setup import Setup
    from zerohsi.outputs.video import ReconstructionFrames

log = logging.getLogger("zerohsi")


def write_outputs(run_dir: str | os.PathLike, setup: Optional[Setup] = None, *, formats: Sequence[str] = ("npz",),
                  overlay: bool = True, orbit: bool = False, orbit_frames: Optional[int] = None, report: bool = True,
                  recon: Optional[ReconstructionFrames] = None, body_model: Optional[BodyModel] = None,
                  backend: str = "auto") -> dict[str, Path | float]:
    """Write the run's outputs; returns name -> path written, plus ``seconds_<name>`` timings.

    setup: the run's Setup (scene, object, avatar) — needed to render the reconstruction and the orbit; recon: the
    re-rendered frames with part coverage when the caller already has them; body_model: defaults to the avatar's (else
    the one the run's config names); orbit_frames: length of the orbit video (default max(T, 24)); backend: render
    backend for the re-renders.
    """
    from zerohsi.outputs.export import export_motion
    from zerohsi.outputs.report import build_report
    from zerohsi.outputs.run import RunFolder
    from zerohsi.outputs.video import render_orbit, render_reconstruction_layers, write_side_by_side

    run = RunFolder(run_dir)
    motion = run.motion
    if body_model is None:
        body_model = setup.avatar.body_model if setup is not None else run.body_model
    written: dict[str, Path | float] = {}

    def timed(name: str, fn):
        start = time.perf_counter()
        out = fn()
        written[f"seconds_{name}"] = time.perf_counter() - start
        if out is not None:
            written[name] = out
        return out

    if overlay and run.frames is not None and (recon is not None or setup is not None):
        def _overlay() -> Path:
            frames = recon if recon is not None else render_reconstruction_layers(setup, motion, backend=backend)
            path = run.path / "overlay.mp4"
            write_side_by_side(path, run.frames, frames, run.masks, motion.fps)
            return path

        timed("overlay", _overlay)
    if orbit and setup is not None:
        timed("orbit", lambda: (render_orbit(setup, motion, run.path / "orbit.mp4", num_frames=orbit_frames,
                                             backend=backend),
                                run.path / "orbit.mp4")[1])
    mesh = setup.obj.mesh() if setup is not None and setup.obj is not None else None
    object_mesh = (np.asarray(mesh.vertices), np.asarray(mesh.faces)) if mesh is not None else None
    object_name = setup.obj.name if setup is not None and setup.obj is not None else None
    for fmt in formats:
        timed(f"export_{fmt}", lambda fmt=fmt: export_motion(motion, body_model, run.exports_dir, fmt,
                                                             object_mesh=object_mesh, object_name=object_name))
    if report:
        timed("report", lambda: build_report(run.path, body_model=body_model,
                                             scene=setup.scene if setup is not None else None,
                                             obj=setup.obj if setup is not None else None))
    return written
