"""The video-generator interface."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Protocol, runtime_checkable

import numpy as np

from zerohsi.video.video import Video

if TYPE_CHECKING:
    from zerohsi.clip_setup import Setup


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
    """What the pipeline and the video cache (:mod:`zerohsi.video.cache`) use of a video generator.

    Besides the two methods, the cache reads three optional attributes (``getattr`` with the defaults below):

    - ``name`` (str): the component's registered name, recorded in provenance and in ``zerohsi cache list``
      (default: the class name);
    - ``length_independent`` (bool, default False): True when the clip does not depend on the requested frame
      count and rate (a paid API or a diffusion model at its native rate): the cache then keys the clip without
      them, and another length resamples the stored clip instead of generating (paying for) it again;
    - ``request_key(request) -> JSON-able`` (default: none): anything else of the request that changes the output
      beyond first frame, prompt, seed and ``cache_key()`` (e.g. the scripted source's instance program).

    And the runner reads ``initial_body(setup) -> BodyParams | None`` (default: none): a generator whose clip starts
    from another state than the instance's (the test signal playing a motion file) says so, and that state becomes
    the clip's initial state, from which I0 is rendered.
    """

    def cache_key(self) -> dict:
        """Model name and every option that changes the output (no secrets: the key is stored in the cache)."""
        ...

    def generate(self, request: VideoRequest) -> Video:
        """The clip for ``request``: frames uint8 (T,H,W,3) at the generator's rate, starting from I0, with
        provenance (generator, model, whether it is a test signal, ...). The pipeline resamples it to the run's
        frame count and rate."""
        ...
