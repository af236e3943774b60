"""The ``file`` video source: a clip the user generated elsewhere (mp4/webm, a folder of frames or an npz store).

This is how a clip from a web-only video service comes back: ``zerohsi scenes first-frame`` exported the rendered
first frame I0, the service animated it, and this source checks that the returned clip really starts from that
image (same aspect, first-frame difference within a tolerance) and lasts long enough, then resamples it to the
run's rate and length. A clip that does not start from I0 cannot be reconstructed in I0's scene and camera, so that
is an error, not a warning.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np

from zerohsi.errors import UserError
from zerohsi.video.base import VideoRequest
from zerohsi.video.configs import FileVideoConfig, require_clip
from zerohsi.video.io import read_video, resize_frames, to_uint8
from zerohsi.video.resample import resample, resample_indices
from zerohsi.video.video import Video

log = logging.getLogger(__name__)

#: aspect ratios (width / height) closer than this count as the same (services round sizes to multiples of 8/16)
ASPECT_TOLERANCE = 0.02


def first_frame_difference(frame0: np.ndarray, first_frame: np.ndarray) -> float:
    """Mean absolute difference in [0,1] between uint8 frame0 (H,W,3) and I0 (float [0,1] or uint8), with I0
    resized to frame0's size if needed."""
    ref = resize_frames(to_uint8(first_frame)[None], frame0.shape[0], frame0.shape[1])[0]
    return float(np.abs(frame0.astype(np.float32) - ref.astype(np.float32)).mean() / 255.0)


def frames_needed(num_frames: int, fps: float, source_fps: float) -> int:
    """How many frames a clip at ``source_fps`` needs to give ``num_frames`` frames at ``fps``."""
    return int(np.floor((num_frames - 1) * source_fps / fps + 0.5 + 1e-9)) + 1


class FileVideoSource:
    """Imports an existing clip as the generated video."""

    name = "file"
    # keyed by the wanted length and rate too: checking a local clip against each request costs nothing, and a run
    # asking for more frames than the clip holds must be told so, not served a short cached clip

    def __init__(self, cfg: FileVideoConfig):
        require_clip(cfg)
        if not cfg.first_frame_tolerance > 0:
            raise UserError(f"video.generator.options.first_frame_tolerance must be positive, got "
                            f"{cfg.first_frame_tolerance}.")
        self.cfg = cfg
        self.path = Path(cfg.path).expanduser()

    def cache_key(self) -> dict:
        # the clip's bytes decide the output, not its name: hash the file (or the folder's files)
        return {"source": "file", "content": _content_hash(self.path), "fps": self.cfg.fps,
                "resize": self.cfg.resize_to_first_frame, "tolerance": self.cfg.first_frame_tolerance}

    def generate(self, request: VideoRequest) -> Video:
        video = read_video(self.path, fps=self.cfg.fps)
        h, w = request.first_frame.shape[:2]
        clip_aspect, want_aspect = video.width / video.height, w / h
        if abs(clip_aspect / want_aspect - 1) > ASPECT_TOLERANCE:
            raise UserError(f"Clip '{self.path}' is {video.width}x{video.height} (aspect {clip_aspect:.3f}) but the "
                            f"first frame is {w}x{h} (aspect {want_aspect:.3f}); ask the video service for the "
                            "first frame's aspect and do not crop or pad the clip.")
        native = {"native_width": video.width, "native_height": video.height}
        if (video.height, video.width) != (h, w):
            if not self.cfg.resize_to_first_frame:
                raise UserError(f"Clip '{self.path}' is {video.width}x{video.height} but the first frame is {w}x{h}; "
                                "render at the clip's size or enable resize_to_first_frame.")
            if video.height < h:
                log.warning("clip '%s' is %dx%d, smaller than the %dx%d first frame: it is upsampled, and fine detail "
                            "the fit relies on is missing", self.path, video.width, video.height, w, h)
            video = Video(resize_frames(video.frames, h, w), video.fps, dict(video.provenance))
        diff = first_frame_difference(video.frames[0], request.first_frame)
        if diff > self.cfg.first_frame_tolerance:
            raise UserError(f"The first frame of clip '{self.path}' differs from the exported first frame (mean "
                            f"absolute difference {diff:.3f} > {self.cfg.first_frame_tolerance:g}): generate the clip "
                            "from the image `zerohsi scenes first-frame` wrote for this instance, camera and avatar "
                            "(or raise video.generator.options.first_frame_tolerance if it is).")
        have = len(resample_indices(len(video), video.fps, request.fps, request.num_frames))
        if have < request.num_frames:
            need = frames_needed(request.num_frames, request.fps, video.fps)
            raise UserError(f"Clip '{self.path}' has {len(video)} frames at {video.fps:g} fps "
                            f"({len(video) / video.fps:.2f} s) but the run needs {request.num_frames} frames at "
                            f"{request.fps:g} fps ({need} source frames); use a longer clip or set "
                            f"video.num_frames={have}.")
        video = resample(video, request.fps, request.num_frames)
        video.provenance.update(generator="file", model="file", first_frame_difference=round(diff, 5), **native)
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
