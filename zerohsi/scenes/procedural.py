"""Build procedural scenes and objects: primitives -> analytic SDF + surface Gaussians."""

from __future__ import annotations

import torch

from zerohsi.errors import UserError
from zerohsi.scenes.objects import OBJECTS, contact_regions, object_layout
from zerohsi.scenes.primitives import serial_torch
from zerohsi.scenes.scene import Scene, SceneObject
from zerohsi.scenes.surfels import surfel_gaussians, union
from zerohsi.scenes.twins import SCENES, layout

#: Gaussians of a scene at density 1 (about; hidden-surface removal drops a few percent)
SCENE_GAUSSIANS = 30000
#: Gaussians of an object at density 1
OBJECT_GAUSSIANS = 3000


def scene_names() -> list[str]:
    return list(SCENES)


def object_names() -> list[str]:
    return list(OBJECTS)


def build_procedural_scene(name: str, seed: int = 0, density: float = 1.0) -> Scene:
    """The procedural twin of scene ``name``: analytic SDF, ~30k * density Gaussians (group 0), targets."""
    if name not in SCENES:
        raise UserError(f"Unknown scene '{name}'; choose one of {', '.join(SCENES)}.")
    if not density > 0:
        raise UserError(f"Scene density must be positive, got {density}.")
    L = layout(name, seed)
    n = max(int(SCENE_GAUSSIANS * density), 200)
    with serial_torch():
        g = surfel_gaussians(L.prims, n, seed, group=0, weights=L.weights,
                             min_per_primitive=max(4, int(16 * min(density, 1.0))))
    solids = [p for p in L.prims if p.solid]
    lo = g.means.min(0).values
    hi = g.means.max(0).values
    return Scene(name, g, union(solids), floor_height=0.0, targets=L.targets, bounds=torch.stack([lo, hi]),
                 source="procedural", info={"seed": int(seed), "density": float(density),
                                            "indoor": SCENES[name][1], "primitives": len(L.prims),
                                            "geometry": "primitives"},
                 primitives=L.prims)


def build_procedural_object(name: str, seed: int = 0, density: float = 1.0) -> SceneObject:
    """Procedural object ``name`` in its canonical frame: analytic SDF, Gaussians (group 2), contact regions."""
    if name not in OBJECTS:
        raise UserError(f"Unknown object '{name}'; choose one of {', '.join(OBJECTS)}.")
    if not density > 0:
        raise UserError(f"Object density must be positive, got {density}.")
    L = object_layout(name)
    n = max(int(OBJECT_GAUSSIANS * density), 100)
    with serial_torch():
        g = surfel_gaussians(L.prims, n, seed, group=2, weights=L.weights, min_per_primitive=8)
        regions = contact_regions(L, OBJECTS[name][1], seed)
    return SceneObject(name, g, union(L.prims), contact_regions=regions, primitives=L.prims,
                       info={"seed": int(seed), "density": float(density)})
