"""Reading and writing videos: mp4/webm through PyAV, folders of frames, and lossless npz frame stores.

Everything written goes through a temporary file that is renamed when complete, so a crash never leaves a
half-written video behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from fractions import Fraction
from pathlib import Path

import numpy as np

from zerohsi.errors import UserError
from zerohsi.io import atomic_path, load_npz
from zerohsi.video.video import Video

VIDEO_SUFFIXES = (".mp4", ".webm", ".mov", ".mkv", ".avi", ".m4v", ".gif")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


def frames_hash(frames: np.ndarray) -> str:
    """sha256 of uint8 frames (T,H,W,3) including their shape: the content address of a clip."""
    h = hashlib.sha256(str(tuple(frames.shape)).encode())
    h.update(np.ascontiguousarray(frames).tobytes())
    return h.hexdigest()


def to_uint8(image: np.ndarray) -> np.ndarray:
    """float [0,1] or uint8 image(s) (...,H,W,3) -> uint8, rounding to nearest."""
    image = np.asarray(image)
    if image.dtype == np.uint8:
        return image
    return (np.clip(image.astype(np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def resize_frames(frames: np.ndarray, height: int, width: int) -> np.ndarray:
    """uint8 (T,H,W,3) -> uint8 (T,height,width,3), antialiased bilinear (a no-op at the same size)."""
    if frames.shape[1:3] == (height, width):
        return frames
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float()
    y = F.interpolate(x, size=(height, width), mode="bilinear", align_corners=False, antialias=True)
    return y.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()


def encode_png(image: np.ndarray) -> bytes:
    """uint8 or float [0,1] image (H,W,3) -> PNG bytes."""
    import imageio.v3 as iio

    return iio.imwrite("<bytes>", to_uint8(image), extension=".png")


# -- writing ----------------------------------------------------------------------------------------------------
def write_mp4(path: str | os.PathLike, frames: np.ndarray, fps: float, *, crf: int = 18) -> Path:
    """Write uint8 frames (T,H,W,3) as an H.264 mp4, atomically.

    yuv420p (what every player accepts) needs even sizes: an odd width or height is padded by one replicated edge
    pixel. ``crf`` is x264's quality (0 lossless luma, 18 visually lossless, 23 default).
    """
    frames = _check_frames(frames)
    if frames.shape[1] % 2 or frames.shape[2] % 2:
        frames = np.pad(frames, ((0, 0), (0, frames.shape[1] % 2), (0, frames.shape[2] % 2), (0, 0)), mode="edge")
    import av

    path = Path(path)
    with atomic_path(path, suffix=path.suffix or ".mp4") as tmp:
        with av.open(str(tmp), mode="w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
            stream.width, stream.height = int(frames.shape[2]), int(frames.shape[1])
            stream.pix_fmt = "yuv420p"
            stream.options = {"crf": str(int(crf)), "preset": "veryfast"}
            for frame in frames:
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
    return path


def save_frames(path: str | os.PathLike, video: Video) -> Path:
    """Store a video losslessly (compressed npz: frames, fps) atomically; provenance travels separately as JSON."""
    from zerohsi.io import atomic_savez

    atomic_savez(path, frames=_check_frames(video.frames), fps=np.float64(video.fps))
    return Path(path)


def load_frames(path: str | os.PathLike) -> Video:
    """Read a lossless npz written by :func:`save_frames`."""
    try:
        data = load_npz(path)
    except FileNotFoundError:
        raise UserError(f"Frame store '{path}' does not exist; check the path.") from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile):
        raise UserError(f"'{path}' is not a readable frame store (not an npz, corrupt, or holding pickled objects, "
                        "which zerohsi never loads); write it with zerohsi's save_frames.") from None
    if "frames" not in data:
        raise UserError(f"'{path}' holds no 'frames' array; write it with zerohsi's save_frames.")
    return Video(_check_frames(data["frames"], where=str(path)), float(data.get("fps", 30.0)))


# -- reading ----------------------------------------------------------------------------------------------------
def read_video(path: str | os.PathLike, *, fps: float | None = None, max_frames: int | None = None) -> Video:
    """Read a video file (mp4, webm, ...), a folder of image frames (sorted by the numbers in their names) or a
    lossless npz frame store into a :class:`Video` (frames uint8 (T,H,W,3)).

    ``fps`` overrides the file's rate (a folder of frames has none: 30 is assumed unless given). The provenance
    records the source path and the sha256 of the decoded frames.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise UserError(f"Video '{path}' does not exist; check the path.")
    if path.is_dir():
        video = _read_folder(path, max_frames)
    elif path.suffix.lower() == ".npz":
        video = load_frames(path)
    elif path.suffix.lower() in VIDEO_SUFFIXES:
        video = _read_container(path, max_frames)
    else:
        raise UserError(f"'{path}' is neither a video ({', '.join(VIDEO_SUFFIXES)}), a folder of frames nor an "
                        "npz frame store; give one of those.")
    if max_frames is not None:
        video.frames = video.frames[:max_frames]
    if fps is not None:
        video.fps = float(fps)
    video.provenance.update(source=str(path), source_hash=frames_hash(video.frames))
    return video


def _read_container(path: Path, max_frames: int | None) -> Video:
    import av

    frames = []
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or 30
            for frame in container.decode(stream):
                frames.append(frame.to_ndarray(format="rgb24"))
                if max_frames is not None and len(frames) >= max_frames:
                    break
    except (av.error.FFmpegError, IndexError) as exc:
        raise UserError(f"Could not decode video '{path}' ({exc}); re-encode it as H.264 mp4.") from None
    if not frames:
        raise UserError(f"Video '{path}' contains no decodable frames; re-encode it as H.264 mp4.")
    return Video(np.stack(frames), float(rate))


def _natural_key(name: str) -> list:
    return [int(s) if s.isdigit() else s.lower() for s in re.split(r"(\d+)", name)]


def _read_folder(path: Path, max_frames: int | None) -> Video:
    import imageio.v3 as iio

    files = sorted((p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES),
                   key=lambda p: _natural_key(p.name))
    if max_frames is not None:
        files = files[:max_frames]
    if not files:
        raise UserError(f"Folder '{path}' holds no image frames ({', '.join(IMAGE_SUFFIXES)}); point to the folder "
                        "that contains them.")
    frames = []
    for f in files:
        try:
            img = np.asarray(iio.imread(f))
        except (OSError, ValueError) as exc:
            raise UserError(f"Could not read frame '{f}' ({exc}); remove or replace it.") from None
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=-1)
        img = img[..., :3]
        if img.dtype != np.uint8 and np.issubdtype(img.dtype, np.integer):  # 16-bit PNG/TIFF
            img = img.astype(np.float32) / float(np.iinfo(img.dtype).max)
        img = to_uint8(img)
        if frames and img.shape != frames[0].shape:
            raise UserError(f"Frame '{f.name}' is {img.shape[1]}x{img.shape[0]} but the first frame is "
                            f"{frames[0].shape[1]}x{frames[0].shape[0]}; all frames must share one size.")
        frames.append(img)
    return Video(np.stack(frames), 30.0)


def _check_frames(frames: np.ndarray, where: str = "frames") -> np.ndarray:
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] == 0:
        raise ValueError(f"{where}: expected uint8 (T,H,W,3) with T>0, got {frames.dtype} {frames.shape}")
    return frames
