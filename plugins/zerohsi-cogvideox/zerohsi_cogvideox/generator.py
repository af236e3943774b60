"""Image-to-video with a diffusers pipeline loaded from a local folder (``local_files_only``: no hub access)."""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zerohsi.errors import UserError
from zerohsi.video.base import VideoRequest
from zerohsi.video.io import resize_frames, to_uint8
from zerohsi.video.video import Video
from zerohsi_cogvideox.config import _I2VOptions, weights_folder
from zerohsi_cogvideox.pipelines import PIPELINES

log = logging.getLogger(__name__)

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
OFFLOAD = ("none", "model", "sequential")


class DiffusersI2VGenerator:
    """Generates at the model's native rate and length; the video stage resamples to the run's fps and frames."""

    length_independent = True

    def __init__(self, cfg: _I2VOptions, pipeline: str, name: str = "diffusers_i2v"):
        if pipeline not in PIPELINES:
            raise UserError(f"Unknown diffusers image-to-video pipeline '{pipeline}' (available: "
                            f"{', '.join(sorted(PIPELINES))}); set video.generator.options.pipeline.")
        if cfg.dtype != "auto" and cfg.dtype not in DTYPES:
            raise UserError(f"dtype '{cfg.dtype}' is not one of auto, {', '.join(DTYPES)}; set "
                            "video.generator.options.dtype.")
        if cfg.cpu_offload not in OFFLOAD:
            raise UserError(f"cpu_offload '{cfg.cpu_offload}' is not one of {', '.join(OFFLOAD)}; set "
                            "video.generator.options.cpu_offload.")
        if cfg.steps < 1 or cfg.num_frames < 1:
            raise UserError("steps and num_frames must be at least 1; fix video.generator.options.")
        self.cfg = cfg
        self.pipeline_name = pipeline
        self.name = name
        self.weights = weights_folder(cfg.weights)
        self._pipe = None

    def cache_key(self) -> dict:
        c = self.cfg
        return {"pipeline": self.pipeline_name, "weights": _weights_fingerprint(self.weights), "steps": c.steps,
                "guidance_scale": c.guidance_scale, "num_frames": c.num_frames, "fps": c.fps, "height": c.height,
                "width": c.width, "negative_prompt": c.negative_prompt, "dtype": self._dtype_name(),
                "max_sequence_length": c.max_sequence_length, "call_options": c.call_options}

    # -- loading --------------------------------------------------------------------------------------------------
    def _device(self) -> torch.device:
        from zerohsi.devices import resolve_device

        return resolve_device(self.cfg.device, "video.generator.options.device")

    def _dtype_name(self) -> str:
        if self.cfg.dtype != "auto":
            return self.cfg.dtype
        return "bfloat16" if self._device().type == "cuda" else "float32"

    def pipeline(self):
        """The loaded diffusers pipeline (loaded once)."""
        if self._pipe is not None:
            return self._pipe
        import diffusers

        cls = getattr(diffusers, PIPELINES[self.pipeline_name], None)
        if cls is None:
            raise UserError(f"The installed diffusers {diffusers.__version__} has no {PIPELINES[self.pipeline_name]};"
                            " upgrade diffusers.")
        declared = model_class(self.weights)
        if declared != cls.__name__:
            raise UserError(f"'{self.weights}' holds a {declared}, not a {cls.__name__}; point weights at an "
                            f"image-to-video model folder for '{self.pipeline_name}'.")
        try:
            pipe = cls.from_pretrained(str(self.weights), local_files_only=True, dtype=DTYPES[self._dtype_name()])
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise UserError(f"Could not load {PIPELINES[self.pipeline_name]} from '{self.weights}' "
                            f"({str(exc).splitlines()[0][:200]}); check that the folder holds that model's complete "
                            "weights.") from None
        device = self._device()
        if self.cfg.cpu_offload != "none" and device.type == "cuda":
            try:
                import accelerate  # noqa: F401
            except ImportError:
                raise UserError("cpu_offload needs the accelerate package; pip install 'zerohsi-cogvideox[offload]' "
                                "or set cpu_offload: none.") from None
            if self.cfg.cpu_offload == "model":
                pipe.enable_model_cpu_offload(device=device)
            else:
                pipe.enable_sequential_cpu_offload(device=device)
        else:
            if self.cfg.cpu_offload != "none":
                log.warning("cpu_offload=%s has no effect without CUDA; running on %s", self.cfg.cpu_offload, device)
            pipe.to(device)
        vae = getattr(pipe, "vae", None)
        if vae is not None:
            if self.cfg.vae_tiling and hasattr(vae, "enable_tiling"):
                vae.enable_tiling()
            if self.cfg.vae_slicing and hasattr(vae, "enable_slicing"):
                vae.enable_slicing()
        pipe.set_progress_bar_config(disable=True)
        self._pipe = pipe
        return pipe

    # -- generation -----------------------------------------------------------------------------------------------
    def generate(self, request: VideoRequest) -> Video:
        from PIL import Image

        pipe = self.pipeline()
        c = self.cfg
        # a CPU generator gives the same initial noise on every device, so a seed means the same video anywhere
        generator = torch.Generator(device="cpu").manual_seed(int(request.seed))
        wanted: dict[str, Any] = {
            "image": Image.fromarray(to_uint8(request.first_frame)), "prompt": request.prompt,
            "negative_prompt": c.negative_prompt or None, "num_inference_steps": c.steps,
            "guidance_scale": c.guidance_scale, "num_frames": c.num_frames, "height": c.height, "width": c.width,
            "generator": generator, "output_type": "np", "max_sequence_length": c.max_sequence_length,
            **c.call_options,
        }
        accepted = inspect.signature(pipe.__call__).parameters
        unknown = sorted(k for k in c.call_options if k not in accepted)
        if unknown:
            raise UserError(f"{type(pipe).__name__} does not accept {', '.join(unknown)}; remove them from "
                            "video.generator.options.call_options.")
        kwargs = {k: v for k, v in wanted.items() if k in accepted and v is not None}
        with torch.inference_mode():
            out = pipe(**kwargs)
        frames = np.asarray(out.frames[0] if isinstance(out.frames, (list, tuple)) else out.frames)
        if frames.ndim == 5:
            frames = frames[0]
        frames = to_uint8(frames)
        native = [int(frames.shape[2]), int(frames.shape[1])]
        h, w = request.first_frame.shape[:2]
        frames = resize_frames(frames, h, w)
        return Video(frames, float(c.fps), {
            "generator": self.name,
            "model": f"{PIPELINES[self.pipeline_name]}:{self.weights.name}", "steps": c.steps,
            "guidance_scale": c.guidance_scale, "native_size": native, "dtype": self._dtype_name(),
        })


def _weights_fingerprint(path: Path) -> str:
    """A cheap identity of a weights folder: its model_index.json plus every file's relative name and size (hashing
    gigabytes of weights on every run would cost more than it protects)."""
    h = hashlib.sha256((path / "model_index.json").read_bytes())
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(f"{f.relative_to(path)}:{f.stat().st_size}".encode())
    return h.hexdigest()[:32]


def model_class(path: str | Path) -> str:
    """The pipeline class a weights folder declares (model_index.json ``_class_name``)."""
    return str(json.loads((Path(path) / "model_index.json").read_text()).get("_class_name", "?"))
