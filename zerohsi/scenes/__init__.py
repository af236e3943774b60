"""Scenes, objects and the AnyInteraction suite.

``build_scene(name, seed, density)`` gives a :class:`Scene` (the procedural twin, or the user's real 3DGS ``.ply``
when the suite file or the caller names one); ``build_object(name, seed)`` a :class:`SceneObject`;
``zerohsi.scenes.suite.load_suite(name)`` the benchmark instances. Built scenes and objects are cached in-process
(they are deterministic): treat them as read-only.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from zerohsi.scenes.scene import Scene, SceneObject

__all__ = ["build_scene", "build_object", "scene_names", "object_names", "clear_cache"]


def scene_names() -> list[str]:
    """The twelve AnyInteraction scene names."""
    from zerohsi.scenes.twins import SCENES

    return list(SCENES)


def object_names() -> list[str]:
    """The seven AnyInteraction object names."""
    from zerohsi.scenes.objects import OBJECTS

    return list(OBJECTS)


def build_scene(name: str, seed: int = 0, density: float = 1.0, *, ply: Optional[str] = None,
                procedural: bool = False) -> Scene:
    """The scene ``name``.

    ply: a real 3DGS file that replaces the procedural twin (settings such as up axis, scale and mesh come from the
    suite's scene entry when it has one); otherwise the suite file's ``ply`` for this scene is used when set, and
    the procedural twin (``seed``, ``density`` ~ 30k Gaussians at 1.0) when not, or when ``procedural`` is True.
    """
    return _build_scene(str(name), int(seed), float(density), None if ply is None else str(ply), bool(procedural))


@lru_cache(maxsize=16)
def _build_scene(name: str, seed: int, density: float, ply: Optional[str], procedural: bool) -> Scene:
    from dataclasses import replace

    from zerohsi.scenes.procedural import build_procedural_scene
    from zerohsi.scenes.scene import SceneSpec

    if procedural:
        return build_procedural_scene(name, seed, density)
    from zerohsi.scenes.suite import default_suites_dir, scene_spec

    spec = scene_spec(name)
    base = default_suites_dir() / "anyinteraction"
    if ply is not None:
        from pathlib import Path

        spec = replace(spec, ply=ply) if spec is not None else SceneSpec(name=name, ply=ply)
        base = Path.cwd()
    if spec is None or spec.ply is None:
        return build_procedural_scene(name, seed, density)
    from zerohsi.scenes.realscene import load_real_scene

    scene = load_real_scene(spec, base)
    if not scene.targets and name in scene_names():
        # instances refer to targets by name: without ones configured for this capture, keep the twin's (right
        # when the capture was aligned to the twin's layout; configure `targets` in the suite file otherwise)
        from zerohsi.scenes.twins import layout

        scene.targets = dict(layout(name).targets)
        scene.info["targets_from"] = "procedural twin"
    return scene


def build_object(name: str, seed: int = 0, density: float = 1.0) -> SceneObject:
    """The procedural object ``name`` in its canonical frame (~3k Gaussians at density 1.0)."""
    return _build_object(str(name), int(seed), float(density))


@lru_cache(maxsize=16)
def _build_object(name: str, seed: int, density: float) -> SceneObject:
    from zerohsi.scenes.procedural import build_procedural_object

    return build_procedural_object(name, seed, density)


def clear_cache() -> None:
    """Forget built scenes and objects (e.g. after editing the suite file)."""
    _build_scene.cache_clear()
    _build_object.cache_clear()
