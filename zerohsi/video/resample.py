"""Length and rate handling: generators work at their model's native rate; the pipeline wants a fixed rate and
frame count (paper: 153 generated frames at 30 fps, every third kept -> 51 frames at 10 fps)."""

from __future__ import annotations

import logging
import math

import numpy as np

from zerohsi.video.video import Video

log = logging.getLogger(__name__)


def resample_indices(num_source: int, source_fps: float, fps: float, num_frames: int) -> np.ndarray:
    """Indices into a clip of ``num_source`` frames at ``source_fps`` for ``num_frames`` frames at ``fps``.

    Output frame k shows time k / fps, i.e. the nearest source frame k * source_fps / fps (an integer ratio such
    as 30 -> 10 fps gives an exact stride of 3). Frames past the end of the source are dropped, so the result may
    be shorter than ``num_frames``; an upsampled clip repeats frames.
    """
    if num_source <= 0 or num_frames <= 0 or source_fps <= 0 or fps <= 0:
        raise ValueError("resample_indices needs positive counts and rates")
    pos = np.arange(num_frames, dtype=np.float64) * (source_fps / fps)
    # floor(x + 0.5) with a small tolerance so 2.9999999 is 3: rational ratios must give exact strides
    idx = np.floor(pos + 0.5 + 1e-9).astype(np.int64)
    return idx[idx < num_source]


def resample(video: Video, fps: float, num_frames: int) -> Video:
    """The clip at ``fps`` with (at most) ``num_frames`` frames; provenance keeps the source rate and length.

    A source that is too short yields fewer frames (with a warning) rather than invented ones.
    """
    idx = resample_indices(len(video), video.fps, fps, num_frames)
    if len(idx) < num_frames:
        log.warning("video has %d frames at %.3g fps (%.2f s); only %d of the %d frames wanted at %.3g fps exist",
                    len(video), video.fps, len(video) / video.fps, len(idx), num_frames, fps)
    if len(idx) == len(video) and math.isclose(fps, video.fps) and np.array_equal(idx, np.arange(len(video))):
        return Video(video.frames, float(fps), dict(video.provenance))
    prov = dict(video.provenance)
    prov.setdefault("native_fps", float(video.fps))
    prov.setdefault("native_frames", len(video))
    prov["resampled_indices"] = idx.tolist()
    return Video(np.ascontiguousarray(video.frames[idx]), float(fps), prov)


def resample_video(video: Video, num_frames: int, fps: float) -> Video:
    """:func:`resample` with the pipeline's argument order (frames, then rate)."""
    return resample(video, fps, num_frames)
