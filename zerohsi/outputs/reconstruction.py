"""The reconstruction as a video: the fitted motion rendered with the run's avatar, object and scene from its tracked
cameras, saved in the run folder (``recon_frames.npz`` + ``reconstruction.mp4``).

These renders are what the CLIP metrics score (the paper scores the synthesised interaction, not the generated
video that guided it); baselines, which have no cameras of their own, are rendered the same way from the cameras of
the matching zerohsi run (or the instance's first camera).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import numpy as np

from zerohsi.io import atomic_savez, load_npz

if TYPE_CHECKING:
    from zerohsi.cameras import Camera
    from zerohsi.clip_setup import Setup
    from zerohsi.motion import Motion
    from zerohsi.video.video import Video

FRAMES_FILE = "recon_frames.npz"
VIDEO_FILE = "reconstruction.mp4"


def render_reconstruction_video(setup: Setup, motion: Motion, run_dir: str | os.PathLike, *,
                                cameras: Optional[Sequence[Camera]] = None, backend: str = "auto",
                                background: Sequence[float] = (0.0, 0.0, 0.0), mp4: bool = True) -> Video:
    """Render every frame of ``motion`` from its own tracked camera (or ``cameras[t]``), write ``recon_frames.npz``
    (uint8 frames, fps) and ``reconstruction.mp4`` into ``run_dir``, and return the frames as a Video whose
    provenance says they are renders of the reconstruction."""
    from zerohsi.outputs.video import render_frames
    from zerohsi.video.io import write_mp4
    from zerohsi.video.video import Video

    if cameras is None:
        cameras = motion.cameras() if motion.K is not None else [setup.camera0] * len(motion)
    if len(cameras) < len(motion):
        raise ValueError(f"{len(cameras)} cameras for {len(motion)} frames")
    frames = render_frames(setup, motion, list(cameras)[:len(motion)], range(len(motion)), backend=backend,
                           background=background)
    run_dir = Path(run_dir)
    atomic_savez(run_dir / FRAMES_FILE, frames=frames, fps=np.float64(motion.fps))
    if mp4:
        write_mp4(run_dir / VIDEO_FILE, frames, motion.fps)
    return Video(frames, float(motion.fps), {"rendered": "reconstruction", "backend": backend,
                                             "cameras": "tracked" if motion.K is not None else "instance"})


def load_reconstruction_video(run_dir: str | os.PathLike) -> Optional[Video]:
    """The saved renders of a run's reconstruction, or None when the run has none."""
    from zerohsi.video.video import Video

    path = Path(run_dir) / FRAMES_FILE
    if not path.is_file():
        return None
    data = load_npz(path)
    frames = data.get("frames")
    if frames is None or frames.ndim != 4 or frames.dtype != np.uint8:
        return None
    return Video(frames, float(data.get("fps", 10.0)), {"rendered": "reconstruction"})
