"""Config dataclasses of the built-in video sources (import-light: registration reads them without torch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass
class FileVideoConfig:
    #: an mp4/webm/... file, a folder of image frames, or an npz frame store (required; checked by the generator so
    #: a missing path gets its own sentence)
    path: Optional[str] = None
    #: the clip's frame rate; None uses the file's own rate (a folder of frames defaults to 30)
    fps: Optional[float] = None
    #: mean absolute difference (0..1) between the clip's first frame and I0 above which the clip is refused (it
    #: does not start from the exported first frame)
    first_frame_tolerance: float = 0.08
    #: resize frames to I0's size when they differ (the pipeline renders at I0's size)
    resize_to_first_frame: bool = True


@dataclass
class AppearanceGapConfig:
    """How the scripted test signal's pixels differ from the reconstruction's model (each part seedable).

    Each strength is 0 for off; the defaults give a visible but moderate gap.
    """

    #: seed of the gap; None derives it from the request seed
    seed: Optional[int] = None
    #: how far the rendered avatar's colours drift from the reconstruction avatar's (0..1)
    avatar_color: float = 0.3
    #: global lighting gain drawn from 1 +/- gain
    gain: float = 0.08
    #: per-channel colour tint drawn from 1 +/- tint
    tint: float = 0.04
    #: std of additive Gaussian sensor noise, in [0,1] intensity units
    noise: float = 0.01
    #: std of the Gaussian blur kernel in pixels (0: none)
    blur_px: float = 0.5
    #: std of the camera shake: rotation in degrees and translation in metres (0: a static camera)
    shake_deg: float = 0.0
    shake_m: float = 0.0


@dataclass
class ScriptedConfig:
    """The scripted TEST SIGNAL: plays a known motion program and renders it with an appearance gap."""

    #: a Motion .npz to play instead of the instance's program (e.g. from `zerohsi motion import`)
    motion: Optional[str] = None
    #: "start" moves a Motion file rigidly (turn about the vertical, horizontal shift) so its frame 0 stands where the
    #: instance's initial state stands, facing its heading (the imported mocap's own placement usually leaves the
    #: person outside the instance camera); "own" plays it where it was recorded
    placement: str = "start"
    #: render backend for the test signal ("auto", "torch", "gsplat", ...)
    render_backend: str = "auto"
    #: how the test signal's pixels differ from the reconstruction's model (seed, avatar_color, gain, tint, noise,
    #: blur_px, shake_deg, shake_m)
    appearance: AppearanceGapConfig = field(default_factory=AppearanceGapConfig)


def require_clip(cfg: FileVideoConfig) -> None:
    """The clip must be named and exist before a run starts (its content is checked once I0 is rendered)."""
    from pathlib import Path

    from zerohsi.errors import UserError

    if not cfg.path or cfg.path == "???":
        raise UserError("The file video generator needs a clip: set video.generator.options.path to an mp4 or a "
                        "folder of frames.")
    if not Path(cfg.path).expanduser().exists():
        raise UserError(f"Clip '{cfg.path}' does not exist; check video.generator.options.path.")
