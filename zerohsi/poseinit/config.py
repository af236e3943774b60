"""Options of the built-in pose initializers (dataclasses only: imported when plugins are listed)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PreviousFrameConfig:
    pass


@dataclass
class RestConfig:
    #: keep the initial state's body pose (True) or the body model's rest pose (False) as every frame's estimate
    from_initial_state: bool = False


@dataclass
class SmplAdapterConfig:
    """Options every SMPL-family adapter takes.

    model_path: the SMPL / SMPL-X model file (or a folder laid out as smplx.create expects) — the user's licensed
    download; gender: neutral | male | female; output: the tool's result file or folder (read as is); command: when
    output is empty, a template run on the clip (``{video}`` an mp4 of it, ``{output}`` the folder to write); cwd: the
    folder to run the command in; timeout_s: limit for the command; fit_iters: retargeting iterations per frame.
    """

    model_path: str = ""
    gender: str = "neutral"
    output: str = ""
    command: str = ""
    cwd: str = ""
    timeout_s: float = 3600.0
    fit_iters: int = 100
