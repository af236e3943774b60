"""The video-generator interface."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Protocol, runtime_checkable

import numpy as np

from zerohsi.video.video import Video

if TYPE_CHECKING:
    from zerohsi.setup import Setup


@dataclass
class VideoRequest:
    """first_frame float32 (H,W,3) in [0,1] (the rendered I0); prompt; seed; num_frames and fps wanted after
    resampling; setup: the clip's inputs (the scripted source plays its instance's program); workdir: a folder the
    generator may use for its own state (e.g. a paid task id written before polling, so a crash resumes it)."""

    first_frame: np.ndarray
    prompt: str
    seed: int
    num_frames: int
    fps: float
    workdir: Path
    setup: Optional[Setup] = None


@runtime_checkable
class VideoGenerator(Protocol):
    #: identifies the request for the content-addressed cache (model name and every option that changes output)
    def cache_key(self) -> dict: ...

    def generate(self, request: VideoRequest) -> Video: ...
