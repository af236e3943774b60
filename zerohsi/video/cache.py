"""The stage cache for videos: content-addressed, shared across runs, so a paid video is never bought twice.

An entry is addressed by the sha256 of (first-frame pixels, prompt, generator name + ``generator.cache_key()``
[+ ``generator.request_key(request)`` when the generator has one], seed, frame count, fps); generators that set
``length_independent = True`` (their clip is the same whatever length is asked) are keyed without frame count and
fps, and the stored clip is resampled for each request. It holds the frames
losslessly (``cache_frames.npz``, at the generator's native rate), ``cache_meta.json`` (the key material and
provenance) and, beside them, every side file the generator wrote into its work folder (e.g. the scripted test
signal's ``ground_truth_motion.npz``), so ``entry_dir / name`` finds them.

Entries are built in a temporary folder and renamed into place, so an interrupted generation leaves no entry; a
lock file per key keeps two concurrent runs of the same request from both calling a paid API. A generator works in
a stable per-key folder (``videos/.pending-<key>``), not in the run's folder: a paid task id it saves there is
found again by any later run of the same request, whichever run folder that uses, until the entry is complete.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from zerohsi.io import atomic_write_json
from zerohsi.video.base import VideoGenerator, VideoRequest
from zerohsi.video.io import frames_hash, load_frames, save_frames, to_uint8
from zerohsi.video.resample import resample
from zerohsi.video.video import Video

log = logging.getLogger(__name__)

#: bump when the entry layout or the key material changes
CACHE_FORMAT = 1
VIDEOS = "videos"
FRAMES_FILE = "cache_frames.npz"
META_FILE = "cache_meta.json"


def default_cache_dir() -> Path:
    """``$ZEROHSI_CACHE_DIR`` if set, else ``~/.cache/zerohsi``."""
    env = os.environ.get("ZEROHSI_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "zerohsi"


def resolve_cache_dir(cache_dir: str | os.PathLike | None) -> Path:
    return Path(cache_dir).expanduser() if cache_dir else default_cache_dir()


def request_key_material(generator: VideoGenerator, request: VideoRequest, name: str) -> dict[str, Any]:
    """Everything that decides the generated video, as a JSON-able dict (no secrets: generators' cache keys
    hold model names and options only)."""
    material = {
        "format": CACHE_FORMAT,
        "first_frame": frames_hash(to_uint8(request.first_frame)[None]),
        "prompt": request.prompt,
        "generator": name,
        "generator_key": generator.cache_key(),
        "seed": int(request.seed),
    }
    # a generator whose clip does not depend on the wanted length (a paid API, a diffusion model at its native
    # rate) is keyed without it: asking for another fps or frame count resamples the stored clip, never re-buys it
    if not getattr(generator, "length_independent", False):
        material.update(num_frames=int(request.num_frames), fps=float(request.fps))
    request_key = getattr(generator, "request_key", None)
    if callable(request_key):
        material["request_key"] = request_key(request)
    return material


def cache_key(material: dict[str, Any]) -> str:
    blob = json.dumps(material, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass
class CacheEntry:
    """One cached video: its folder and metadata."""

    path: Path
    meta: dict[str, Any]

    @property
    def key(self) -> str:
        return self.path.name

    def video(self) -> Video:
        video = load_frames(self.path / FRAMES_FILE)
        video.provenance = dict(self.meta.get("provenance", {}))
        return video

    def files(self) -> list[Path]:
        """The generator's side files."""
        own = {self.path / FRAMES_FILE, self.path / META_FILE}
        return sorted(p for p in self.path.rglob("*") if p.is_file() and p not in own)

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())


def lookup(key: str, cache_dir: str | os.PathLike | None = None) -> Optional[CacheEntry]:
    path = resolve_cache_dir(cache_dir) / VIDEOS / key
    meta_path = path / META_FILE
    if not (meta_path.is_file() and (path / FRAMES_FILE).is_file()):
        return None
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        log.warning("ignoring unreadable cache entry %s", path)
        return None
    return CacheEntry(path, meta)


def cached_generate(generator: VideoGenerator, request: VideoRequest, cache_dir: str | os.PathLike | None = None,
                    *, name: str | None = None, refresh: bool = False) -> tuple[Video, Path]:
    """Generate (or fetch from the cache) the video for ``request``, resampled to ``request.fps`` and
    ``request.num_frames``.

    name: the generator's registered name (recorded in the key and provenance; defaults to the generator's
    ``name`` attribute, else its class name).
    refresh: regenerate even when an entry exists (the old entry is replaced only once the new one is complete).
    The generator runs in a stable per-key folder; its side files end up in the entry and are copied into
    ``request.workdir`` (on a hit too, so a hit leaves exactly what a fresh generation leaves).
    Returns (video, entry folder).
    """
    name = name or getattr(generator, "name", None) or type(generator).__name__
    material = request_key_material(generator, request, name)
    key = cache_key(material)
    videos = resolve_cache_dir(cache_dir) / VIDEOS
    videos.mkdir(parents=True, exist_ok=True)
    with _key_lock(videos / f".{key}.lock"):
        entry = None if refresh else lookup(key, cache_dir)
        if entry is not None:
            log.info("video cache hit %s (%s)", key[:12], name)
            _copy_tree(entry.path, Path(request.workdir))
        else:
            entry = _generate_entry(generator, request, videos, key, material, name)
    video = entry.video()
    video.provenance.update(cache_key=key)
    return resample(video, request.fps, request.num_frames), entry.path


def _generate_entry(generator: VideoGenerator, request: VideoRequest, videos: Path, key: str,
                    material: dict[str, Any], name: str) -> CacheEntry:
    pending = videos / f".pending-{key}"
    pending.mkdir(parents=True, exist_ok=True)
    video = generator.generate(dataclasses.replace(request, workdir=pending))
    provenance = {"generator": name, "prompt": request.prompt, "seed": int(request.seed), **video.provenance}
    provenance.setdefault("source_hash", frames_hash(video.frames))
    meta = {"key": material, "provenance": provenance, "created": time.time(), "native_fps": float(video.fps),
            "native_frames": len(video), "height": video.height, "width": video.width}
    tmp = videos / f".tmp-{key}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir(parents=True)
        reserved = [n for n in (FRAMES_FILE, META_FILE) if (pending / n).exists()]
        if reserved:
            raise ValueError(f"video generator {name} wrote {reserved[0]}, a name the cache reserves")
        _copy_tree(pending, tmp)
        save_frames(tmp / FRAMES_FILE, Video(video.frames, video.fps))
        atomic_write_json(tmp / META_FILE, meta)
        final = videos / key
        if final.exists():  # refresh: swap the complete new entry in for the old one
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(pending, ignore_errors=True)
    _copy_tree(final, Path(request.workdir))
    return CacheEntry(final, meta)


def _copy_tree(src: Path, dst: Path) -> None:
    """Copy side files (not the cache's own files, not hidden temporaries of atomic writes in flight)."""
    if not src.is_dir():
        return
    for path in src.rglob("*"):
        if path.parent == src and path.name in (FRAMES_FILE, META_FILE):
            continue
        if path.is_file() and not path.name.startswith("."):
            target = dst / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.resolve() != path.resolve():
                shutil.copy2(path, target)


@contextlib.contextmanager
def _key_lock(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # no advisory locks on this platform: concurrent identical runs are not guarded
        yield
        return
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# -- maintenance (``zerohsi cache list|clear``) ------------------------------------------------------------------
def list_entries(cache_dir: str | os.PathLike | None = None) -> list[CacheEntry]:
    """All complete entries, newest first."""
    root = resolve_cache_dir(cache_dir) / VIDEOS
    if not root.is_dir():
        return []
    entries = [e for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
               if (e := lookup(p.name, cache_dir)) is not None]
    return sorted(entries, key=lambda e: -float(e.meta.get("created", 0)))


def list_in_flight(cache_dir: str | os.PathLike | None = None, keys: list[str] | None = None) -> list[Path]:
    """Work folders of generations that started but did not finish (``videos/.pending-<key>``): a paid video
    generator keeps the id of a task it already paid for there, so the next run picks the task up instead of
    buying the video again. Newest first; only those whose key starts with one of ``keys`` when given."""
    root = resolve_cache_dir(cache_dir) / VIDEOS
    found = [p for p in root.glob(".pending-*") if p.is_dir()] if root.is_dir() else []
    if keys:
        found = [p for p in found if any(p.name.removeprefix(".pending-").startswith(k) for k in keys)]
    return sorted(found, key=lambda p: -p.stat().st_mtime)


def clear(cache_dir: str | os.PathLike | None = None, *, generator: str | None = None,
          older_than_s: float | None = None, keys: list[str] | None = None,
          in_flight: bool = False) -> list[CacheEntry]:
    """Delete entries (all by default; or those of one generator, older than a duration, or whose key starts with
    one of ``keys``) plus leftovers of interrupted copies; returns the deleted entries. Generations still in
    flight (:func:`list_in_flight`) are kept unless ``in_flight`` is set: forgetting one means paying again."""
    root = resolve_cache_dir(cache_dir) / VIDEOS
    now = time.time()
    removed = []
    for entry in list_entries(cache_dir):
        prov = entry.meta.get("provenance", {})
        if generator is not None and prov.get("generator") != generator:
            continue
        if older_than_s is not None and now - float(entry.meta.get("created", now)) < older_than_s:
            continue
        if keys and not any(entry.key.startswith(k) for k in keys):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(entry)
    if generator is None and older_than_s is None and not keys and root.is_dir():
        for stale in root.glob(".tmp-*"):  # half-copied entries: nothing paid is lost with them
            shutil.rmtree(stale, ignore_errors=True)
    if in_flight:
        for pending in list_in_flight(cache_dir, keys):
            shutil.rmtree(pending, ignore_errors=True)
    return removed

