"""The ``camera_move`` generator: a seeded zoom and pan over I0 (see the package docstring)."""

from __future__ import annotations

import numpy as np

from zerohsi.video.base import VideoRequest
from zerohsi.video.io import to_uint8
from zerohsi.video.video import Video
from zerohsi_example_video.config import CameraMoveConfig


class CameraMoveGenerator:
    #: the registered name, recorded in provenance and `zerohsi cache list`
    name = "camera_move"
    #: the clip depends on the requested length (it is generated at that length), so the cache keys it with it;
    #: a model whose clip does not (a paid API at its native length) sets True and is never bought twice
    length_independent = False

    def __init__(self, cfg: CameraMoveConfig) -> None:
        self.cfg = cfg

    def cache_key(self) -> dict:
        # every option that changes the output, never a secret (the key is stored in the cache)
        return {"model": "camera_move-v1", "zoom": self.cfg.zoom, "pan": self.cfg.pan, "fps": self.cfg.fps}

    def generate(self, request: VideoRequest) -> Video:
        image = np.asarray(request.first_frame, dtype=np.float32)
        H, W = image.shape[:2]
        T = max(2, int(round(request.num_frames * self.cfg.fps / request.fps)))
        angle = np.random.default_rng(request.seed).uniform(0.0, 2.0 * np.pi)
        frames = []
        for t in range(T):
            s = 0.5 - 0.5 * np.cos(np.pi * t / (T - 1))  # ease in and out: the move starts and ends at rest
            zoom = 1.0 + (self.cfg.zoom - 1.0) * s
            shift = self.cfg.pan * s * np.array([np.cos(angle) * W, np.sin(angle) * H])
            frames.append(_zoom_pan(image, zoom, shift))
        frames = to_uint8(np.stack(frames))
        frames[0] = to_uint8(image)  # a clip starts exactly at I0, as image-to-video models are asked to
        return Video(frames, self.cfg.fps, {"generator": self.name, "model": "camera_move-v1", "test_signal": False,
                                            "seed": int(request.seed), "prompt": request.prompt})


def _zoom_pan(image: np.ndarray, zoom: float, shift: np.ndarray) -> np.ndarray:
    """``image`` seen through a camera zoomed by ``zoom`` about the centre and panned by ``shift`` (x, y) pixels:
    each output pixel samples the input bilinearly (edges clamped)."""
    H, W = image.shape[:2]
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float32)
    src_x = np.clip((xs - W / 2) / zoom + W / 2 + shift[0], 0, W - 1)
    src_y = np.clip((ys - H / 2) / zoom + H / 2 + shift[1], 0, H - 1)
    x0, y0 = np.floor(src_x).astype(int), np.floor(src_y).astype(int)
    x1, y1 = np.minimum(x0 + 1, W - 1), np.minimum(y0 + 1, H - 1)
    fx, fy = (src_x - x0)[..., None], (src_y - y0)[..., None]
    top = image[y0, x0] * (1 - fx) + image[y0, x1] * fx
    bottom = image[y1, x0] * (1 - fx) + image[y1, x1] * fx
    return top * (1 - fy) + bottom * fy
