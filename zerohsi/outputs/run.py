"""Reading a run folder (what `zerohsi run` wrote) for the viewer, the report and the exports.

Layout: config.yaml, video.mp4, frames.npz (key ``frames``), motion.npz, ground_truth_motion.npz (scripted sources),
masks.npz (``human``, ``object``), metrics.json, timings.json, losses.json, overlay.mp4, log.txt, report.html,
exports/. Everything but motion.npz is optional; each accessor returns None when its file is absent.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from zerohsi.errors import UserError
from zerohsi.io import load_npz

if TYPE_CHECKING:
    from zerohsi.body.params import BodyModel
    from zerohsi.clip_setup import Setup
    from zerohsi.config import RunConfig
    from zerohsi.motion import Motion
    from zerohsi.scenes.scene import Scene, SceneObject
    from zerohsi.segment.masks import Masks

log = logging.getLogger("zerohsi")


class RunFolder:
    """Lazy, cached access to the artifacts of one run folder."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise UserError(f"Run folder '{self.path}' does not exist; pass the folder `zerohsi run` wrote.")
        if not (self.path / "motion.npz").is_file():
            raise UserError(f"'{self.path}' is not a finished zerohsi run (no motion.npz); pass a run folder whose "
                            "run completed, or resume it with `zerohsi run --resume`.")

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    @property
    def name(self) -> str:
        return self.path.name

    def file(self, name: str) -> Optional[Path]:
        p = self.path / name
        return p if p.is_file() else None

    @functools.cached_property
    def motion(self) -> Motion:
        from zerohsi.motion import Motion

        return Motion.load(self.path / "motion.npz")

    @functools.cached_property
    def ground_truth(self) -> Optional[Motion]:
        from zerohsi.motion import Motion

        p = self.file("ground_truth_motion.npz")
        return Motion.load(p) if p else None

    @functools.cached_property
    def config(self) -> Optional[RunConfig]:
        from zerohsi.config import load_saved_config

        p = self.file("config.yaml")
        return load_saved_config(p) if p else None

    @functools.cached_property
    def frames(self) -> Optional[np.ndarray]:
        """Source frames uint8 (T,H,W,3), from frames.npz or else video.mp4."""
        p = self.file("frames.npz")
        if p:
            return load_npz(p)["frames"]
        p = self.file("video.mp4")
        if p:
            from zerohsi.video.io import read_video

            return read_video(p).frames
        return None

    @functools.cached_property
    def masks(self) -> Optional[Masks]:
        from zerohsi.segment.masks import Masks

        p = self.file("masks.npz")
        if not p:
            return None
        d = load_npz(p)
        return Masks(human=d["human"].astype(bool), object=d["object"].astype(bool) if "object" in d else None)

    def json(self, name: str) -> Optional[Any]:
        p = self.file(name)
        if not p:
            return None
        try:
            return json.loads(p.read_text())
        except json.JSONDecodeError as exc:
            raise UserError(f"'{p}' is not valid JSON ({exc.msg} at line {exc.lineno}); re-run the stage that "
                            "writes it.") from None

    @property
    def metrics(self) -> dict[str, Any]:
        return self.json("metrics.json") or {}

    @property
    def timings(self) -> dict[str, Any]:
        return self.json("timings.json") or {}

    @property
    def losses(self) -> dict[str, Any]:
        return self.json("losses.json") or {}

    @functools.cached_property
    def body_model(self) -> BodyModel:
        """The run's body backend, built with the options the run used (same name as the motion's)."""
        from zerohsi.plugins import get_host

        name, options = self.motion.body_model, None
        cfg = self.config
        if cfg is not None and cfg.avatar.body.name == name:
            options = dict(cfg.avatar.body.options)
        return get_host().build("body_model", name, options)

    @functools.cached_property
    def setup(self) -> Optional[Setup]:
        """Scene, object and avatar rebuilt from the saved config on the CPU, or None when that is impossible."""
        cfg = self.config
        if cfg is None:
            return None
        try:
            import torch

            from zerohsi.clip_setup import build_setup

            return build_setup(cfg, device=torch.device("cpu"))
        except (ImportError, UserError) as exc:
            log.warning("cannot rebuild the scene of %s: %s", self.path, exc)
            return None

    def _instance(self):
        """The suite instance the run acted out (None when it cannot be found)."""
        cfg = self.config
        if cfg is None:
            return None
        try:
            if cfg.instance.file:
                from zerohsi.scenes.instance_file import load_instance_file

                return load_instance_file(cfg.instance.file).instance()
            from zerohsi.scenes.suite import load_suite

            return load_suite(cfg.instance.suite).get(cfg.instance.name)
        except (ImportError, UserError) as exc:
            log.warning("cannot find the instance of %s: %s", self.path, exc)
            return None

    @functools.cached_property
    def object(self) -> Optional[SceneObject]:
        """The run's object (None for static interactions or when it cannot be rebuilt)."""
        if self.config is not None and self.config.instance.file:
            return self.scene_and_object[1]
        inst = self._instance()
        if inst is None or not getattr(inst, "object", None):
            return None
        try:
            from zerohsi.scenes import build_object

            return build_object(inst.object)
        except (ImportError, UserError) as exc:
            log.warning("cannot rebuild the object of %s: %s", self.path, exc)
            return None

    @functools.cached_property
    def scene_and_object(self) -> tuple[Optional[Scene], Optional[SceneObject]]:
        """The run's scene and object (no avatar: cheaper than :attr:`setup`), or Nones when they cannot be built."""
        if self.config is not None and self.config.instance.file:  # the user's own scene: an instance file
            try:
                from zerohsi.scenes.instance_file import resolve_instance

                return resolve_instance(self.config.instance)[1:]
            except (ImportError, UserError) as exc:
                log.warning("cannot rebuild the scene of %s: %s", self.path, exc)
                return None, None
        inst = self._instance()
        if inst is None:
            return None, None
        try:
            from zerohsi.scenes import build_scene

            ply = self.config.instance.scene_ply
            scene = build_scene(inst.scene, ply=ply) if ply else build_scene(inst.scene)
        except (ImportError, UserError) as exc:
            log.warning("cannot rebuild the scene of %s: %s", self.path, exc)
            scene = None
        return scene, self.object

    @property
    def exports_dir(self) -> Path:
        return self.path / "exports"


def is_run_folder(path: str | os.PathLike) -> bool:
    return (Path(path) / "motion.npz").is_file()


def find_runs(path: str | os.PathLike) -> list[Path]:
    """Run folders at or below ``path`` (a benchmark sweep keeps one per instance and seed), sorted."""
    root = Path(path)
    found = []
    for dirpath, dirnames, _ in os.walk(root):
        if is_run_folder(dirpath):
            found.append(Path(dirpath))
            dirnames.clear()  # a run's own subfolders (exports/, checkpoints) are not runs
    return sorted(found)
