"""The ``file`` video source: a clip the user already generated elsewhere (mp4/webm or a folder of frames).

The clip must start from the rendered first frame I0 for reconstruction to make sense; a first frame that differs
markedly is reported with a warning (the run goes on: generators often shift colours slightly).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np

from zerohsi.errors import UserError
from zerohsi.video.base import VideoRequest
from zerohsi.video.configs import FileVideoConfig
from zerohsi.video.io import read_video, resize_frames, to_uint8
from zerohsi.video.video import Video

log = logging.getLogger(__name__)


def first_frame_difference(frame0: np.ndarray, first_frame: np.ndarray) -> float:
    """Mean absolute difference in [0,1] between uint8 frame0 (H,W,3) and I0 (float [0,1] or uint8), with I0
    resized to frame0's size if needed."""
    ref = resize_frames(to_uint8(first_frame)[None], frame0.shape[0], frame0.shape[1])[0]
    return float(np.abs(frame0.astype(np.float32) - ref.astype(np.float32)).mean() / 255.0)


class FileVideoSource:
    """Imports an existing clip as the generated video."""

    name = "file"
    length_independent = True

    def __init__(self, cfg: FileVideoConfig):
        if not cfg.path or cfg.path == "???":
            raise UserError("The file video generator needs a clip: set video.generator.options.path to an mp4 or a "
                            "folder of frames.")
        self.cfg = cfg
        self.path = Path(cfg.path).expanduser()

    def cache_key(self) -> dict:
        # the clip's bytes decide the output, not its name: hash the file (or the folder's files)
        return {"source": "file", "content": _content_hash(self.path), "fps": self.cfg.fps,
                "resize": self.cfg.resize_to_first_frame}

    def generate(self, request: VideoRequest) -> Video:
        video = read_video(self.path, fps=self.cfg.fps)
        h, w = request.first_frame.shape[:2]
        if (video.height, video.width) != (h, w):
            if not self.cfg.resize_to_first_frame:
                raise UserError(f"Clip '{self.path}' is {video.width}x{video.height} but the first frame is {w}x{h}; "
                                "render at the clip's size or enable resize_to_first_frame.")
            log.info("resizing clip from %dx%d to %dx%d", video.width, video.height, w, h)
            video = Video(resize_frames(video.frames, h, w), video.fps, dict(video.provenance))
        diff = first_frame_difference(video.frames[0], request.first_frame)
        if diff > self.cfg.first_frame_tolerance:
            log.warning("the first frame of '%s' differs from the rendered first frame (mean abs difference %.3f > "
                        "%.3f); was the clip generated from this scene, camera and avatar?", self.path, diff,
                        self.cfg.first_frame_tolerance)
        video.provenance.update(generator="file", model="file", first_frame_difference=diff)
        return video


def _content_hash(path: Path) -> str:
    if not path.exists():
        raise UserError(f"Clip '{path}' does not exist; check video.generator.options.path.")
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        h.update(f.name.encode())
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()
