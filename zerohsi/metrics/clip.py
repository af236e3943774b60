"""CLIP score and CLIP consistency of the frames of a run, with open_clip and a local weights file.

No weights are ever downloaded: ``weights`` must name a local file (or ``ZEROHSI_CLIP_WEIGHTS`` must), or be the
literal ``"random"``, which builds the architecture with random weights (for tests and smoke runs only: the numbers
mean nothing then, and the metric's provenance says so with ``random_weights: true``, which keeps such runs out of
the tables' "ours" rows).

The frames scored are the reconstruction rendered with the run's avatar, object, scene and tracked cameras
(``ctx.rendered``, see :mod:`zerohsi.outputs.reconstruction`). Without renders the metrics are skipped; they never
fall back to the source video. ``frames="video"`` scores the source video on purpose, under its own keys
(``clip_score_source``, ``clip_consistency_source``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

from zerohsi.errors import UserError
from zerohsi.metrics.base import EvalContext, MetricSkipped
from zerohsi.metrics.configs import ClipConfig
from zerohsi.motion import Motion

if TYPE_CHECKING:
    from zerohsi.video.video import Video

WEIGHTS_ENV = "ZEROHSI_CLIP_WEIGHTS"
RANDOM = "random"


@dataclass
class ClipModel:
    """A loaded open_clip model with its tokenizer and image normalisation."""

    model: Any
    tokenizer: Any
    image_size: tuple[int, int]
    mean: torch.Tensor
    std: torch.Tensor
    device: torch.device
    random_weights: bool

    @torch.no_grad()
    def encode_frames(self, frames: np.ndarray, batch_size: int = 16) -> torch.Tensor:
        """uint8 (T,H,W,3) -> (T,D) unit-norm image embeddings."""
        out = []
        for i in range(0, len(frames), batch_size):
            x = torch.from_numpy(np.ascontiguousarray(frames[i:i + batch_size])).to(self.device)
            out.append(F.normalize(self.model.encode_image(self.preprocess(x)).float(), dim=-1))
        return torch.cat(out)

    @torch.no_grad()
    def encode_text(self, text: str) -> torch.Tensor:
        """A prompt -> (D,) unit-norm text embedding."""
        tokens = self.tokenizer([text]).to(self.device)
        return F.normalize(self.model.encode_text(tokens).float(), dim=-1)[0]

    def preprocess(self, frames: torch.Tensor) -> torch.Tensor:
        """uint8 (B,H,W,3) -> normalised (B,3,h,w): shortest side resized (bicubic, antialiased), centre crop."""
        x = frames.permute(0, 3, 1, 2).float() / 255.0
        th, tw = self.image_size
        H, W = x.shape[-2:]
        s = max(th / H, tw / W)
        nh, nw = max(th, round(H * s)), max(tw, round(W * s))
        x = F.interpolate(x, size=(nh, nw), mode="bicubic", antialias=True, align_corners=False).clamp(0, 1)
        top, left = (nh - th) // 2, (nw - tw) // 2
        x = x[..., top:top + th, left:left + tw]
        return (x - self.mean[:, None, None]) / self.std[:, None, None]


_MODELS: dict[tuple, ClipModel] = {}


def _device(name: str) -> torch.device:
    from zerohsi.devices import resolve_device

    return resolve_device(name, "clip metric device")


def load_clip(cfg: ClipConfig) -> ClipModel:
    """Build (once per process and settings) the open_clip model named by ``cfg`` from local files only."""
    weights = cfg.weights or os.environ.get(WEIGHTS_ENV)
    if not weights:
        raise UserError(f"CLIP metrics need local open_clip weights for {cfg.model}: set {WEIGHTS_ENV}=/path/to/"
                        "weights (or the metric option 'weights'); nothing is downloaded.")
    random_weights = weights == RANDOM
    if not random_weights and not Path(weights).expanduser().is_file():
        raise UserError(f"CLIP weights file '{weights}' does not exist; point {WEIGHTS_ENV} at a local "
                        f"open_clip checkpoint for {cfg.model}.")
    device = _device(cfg.device)
    key = (cfg.model, weights, json.dumps(cfg.architecture, sort_keys=True, default=str), str(device))
    if key in _MODELS:
        return _MODELS[key]
    try:
        import open_clip
    except ImportError:
        raise UserError("CLIP metrics need open_clip: pip install 'zerohsi[clip]'.") from None
    if not cfg.model.startswith("local-dir:") and cfg.model.replace("/", "-") not in open_clip.list_models():
        raise UserError(f"Unknown open_clip model '{cfg.model}'; pick one of open_clip.list_models() "
                        "or give local-dir:PATH.")
    arch = dict(cfg.architecture)
    try:
        model = open_clip.create_model(
            cfg.model, pretrained=None if random_weights else str(Path(weights).expanduser()),
            load_weights=not random_weights, pretrained_image=False, pretrained_text=False, device=device,
            weights_only=True, **arch)
    except (RuntimeError, ValueError, KeyError, OSError) as exc:
        raise UserError(f"Cannot load CLIP weights '{weights}' into {cfg.model}: {str(exc).splitlines()[0]}") \
            from None
    model.eval()
    tokenizer = open_clip.get_tokenizer(cfg.model, context_length=arch.get("text_cfg", {}).get("context_length"))
    pp = getattr(model.visual, "preprocess_cfg", {}) or {}
    size = pp.get("size", getattr(model.visual, "image_size", 224))
    size = (size, size) if isinstance(size, int) else tuple(size)
    mean = torch.tensor(pp.get("mean", open_clip.OPENAI_DATASET_MEAN), dtype=torch.float32, device=device)
    std = torch.tensor(pp.get("std", open_clip.OPENAI_DATASET_STD), dtype=torch.float32, device=device)
    loaded = ClipModel(model, tokenizer, size, mean, std, device, random_weights)
    _MODELS[key] = loaded
    return loaded


FRAMES = ("rendered", "video")


def select_frames(ctx: EvalContext, which: str) -> Video:
    """The frames a CLIP metric scores: the rendered reconstruction, or (on request) the source video."""
    if which not in FRAMES:
        raise UserError(f"CLIP option frames='{which}' is not one of {', '.join(FRAMES)}; use 'rendered'.")
    video = ctx.rendered if which == "rendered" else ctx.video
    if video is None or len(video) == 0:
        what = "rendered reconstruction frames" if which == "rendered" else "source video"
        raise MetricSkipped(f"no {what} to score")
    return video


def clip_score(image_emb: torch.Tensor, text_emb: torch.Tensor) -> float:
    """100 · mean over frames of cos(image_t, text) for unit-norm (T,D) and (D,) embeddings."""
    return 100.0 * float((image_emb @ text_emb).mean())


def clip_consistency(image_emb: torch.Tensor) -> float:
    """Mean over t of cos(image_t, image_{t+1}) for unit-norm (T,D) embeddings with T >= 2."""
    if image_emb.shape[0] < 2:
        raise ValueError("CLIP consistency needs at least two frames")
    return float((image_emb[1:] * image_emb[:-1]).sum(-1).mean())


class _ClipMetric:
    def __init__(self, cfg: ClipConfig | None = None) -> None:
        self.cfg = cfg or ClipConfig()
        #: what produced the last value: the CLIP model, its weights, and which frames were scored
        self.provenance: dict[str, Any] = {}

    def _frames(self, ctx: EvalContext) -> Video:
        return select_frames(ctx, self.cfg.frames)

    def _embed(self, ctx: EvalContext, video: Video) -> tuple[ClipModel, torch.Tensor]:
        cache = ctx.extras.setdefault("_clip_embeddings", {})
        clip = load_clip(self.cfg)
        key = (id(video), id(clip))
        if key not in cache:
            cache[key] = (video, clip.encode_frames(video.frames, self.cfg.batch_size))
        weights = self.cfg.weights or os.environ.get(WEIGHTS_ENV) or ""
        self.provenance = {"model": self.cfg.model, "random_weights": clip.random_weights,
                           "weights": RANDOM if clip.random_weights else Path(weights).name,
                           "frames": self.cfg.frames, "num_frames": len(video)}
        return clip, cache[key][1]

    def _key(self, name: str) -> str:
        return name if self.cfg.frames == "rendered" else f"{name}_source"


class ClipScore(_ClipMetric):
    """clip_score: 100 · mean over frames of the cosine similarity between the prompt's CLIP text embedding and each
    frame's CLIP image embedding (higher is better; the paper reports ~22–24 with ViT-B-32-class models)."""

    def compute(self, motion: Motion, ctx: EvalContext) -> dict[str, float]:
        if not ctx.prompt:
            raise MetricSkipped("no text prompt to score the frames against")
        video = self._frames(ctx)
        clip, emb = self._embed(ctx, video)
        return {self._key("clip_score"): clip_score(emb, clip.encode_text(ctx.prompt))}


class ClipConsistency(_ClipMetric):
    """clip_consistency: mean cosine similarity of the CLIP image embeddings of adjacent frames (1 = identical);
    skipped for fewer than two frames."""

    def compute(self, motion: Motion, ctx: EvalContext) -> dict[str, float]:
        video = self._frames(ctx)
        if len(video) < 2:
            raise MetricSkipped("CLIP consistency needs at least two frames")
        clip, emb = self._embed(ctx, video)
        return {self._key("clip_consistency"): clip_consistency(emb)}
