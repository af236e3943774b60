"""Options of the diffusers-based video generators (import-light)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from zerohsi.errors import UserError


@dataclass
class _I2VOptions:
    #: a local diffusers pipeline folder (with model_index.json), e.g. a downloaded THUDM/CogVideoX-5b-I2V
    weights: str = "???"
    #: denoising steps
    steps: int = 50
    #: classifier-free guidance scale (higher follows the prompt more closely)
    guidance_scale: float = 6.0
    #: frames the model generates (the pipeline resamples to the run's frame count and rate)
    num_frames: int = 49
    #: the model's native frame rate
    fps: float = 8.0
    #: generation height in pixels; None uses the model's own default (CogVideoX: 480); frames are resized to I0's
    #: size afterwards
    height: Optional[int] = None
    #: generation width in pixels; None uses the model's own default (CogVideoX: 720)
    width: Optional[int] = None
    #: what the video should not show (empty: none)
    negative_prompt: str = ""
    #: auto (bfloat16 on CUDA, float32 on CPU) | float32 | float16 | bfloat16
    dtype: str = "auto"
    #: auto | cpu | cuda | cuda:N
    device: str = "auto"
    #: none | model | sequential (offloading needs CUDA and the `accelerate` package)
    cpu_offload: str = "none"
    #: decode the video latents tile by tile (less GPU memory, a little slower)
    vae_tiling: bool = True
    #: decode the latents one slice of the batch at a time (less GPU memory)
    vae_slicing: bool = False
    #: text tokens; None keeps the pipeline's default (CogVideoX: 226)
    max_sequence_length: Optional[int] = None
    #: further keyword arguments of the pipeline call (only those the pipeline accepts are passed)
    call_options: dict[str, Any] = field(default_factory=dict)


@dataclass
class CogVideoXConfig(_I2VOptions):
    """CogVideoX image-to-video (e.g. CogVideoX-5b-I2V: 49 frames at 8 fps, 480x720)."""


@dataclass
class DiffusersI2VConfig(_I2VOptions):
    """Any diffusers image-to-video pipeline, chosen by a registered short name (see ``PIPELINES``)."""

    #: the pipeline's short name: cogvideox, hunyuan_video, i2vgen_xl, ltx, svd or wan (required)
    pipeline: str = "???"


def weights_folder(weights: str) -> Path:
    """The local diffusers pipeline folder named by the ``weights`` option (it must hold model_index.json)."""
    if not weights or weights == "???":
        raise UserError("This generator needs local model weights: set video.generator.options.weights to the "
                        "diffusers model folder you downloaded.")
    path = Path(weights).expanduser()
    index = path / "model_index.json"
    if not index.is_file():
        raise UserError(f"'{path}' is not a diffusers pipeline folder (no model_index.json); point "
                        "video.generator.options.weights at the downloaded model folder.")
    try:
        data = json.loads(index.read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        data = None
    if not isinstance(data, dict):
        raise UserError(f"'{index}' is not valid model_index.json (a JSON object naming the pipeline's parts); "
                        "download the model folder again.")
    return path.resolve()
