"""Preview renders of scenes and instances (scene + object + a simple body marker at the start position)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Optional

import torch

from zerohsi.cameras import Camera
from zerohsi.gaussians import Gaussians

if TYPE_CHECKING:
    from zerohsi.scenes.scene import Scene, SceneObject
    from zerohsi.scenes.suite import Instance


def body_marker(xy: tuple[float, float], yaw_deg: float = 0.0, n: int = 600) -> Gaussians:
    """Gaussians (group 1) of a 1.7 m person-sized marker: legs, torso, head and a nose showing the heading."""
    from zerohsi.scenes.layout import Layout, mat
    from zerohsi.scenes.surfels import surfel_gaussians

    L = Layout("marker")
    skin, shirt, pants = mat((0.85, 0.65, 0.5)), mat((0.9, 0.45, 0.1)), mat((0.2, 0.25, 0.45))
    with L.place(xy[0], xy[1], yaw_deg):
        L.rod((0, -0.1, 0.1), (0, -0.1, 0.85), 0.07, pants)
        L.rod((0, 0.1, 0.1), (0, 0.1, 0.85), 0.07, pants)
        L.rod((0, 0, 0.95), (0, 0, 1.35), 0.17, shirt)
        L.sphere((0, 0, 1.6), 0.11, skin)
        L.sphere((0.11, 0, 1.6), 0.03, skin)
    return surfel_gaussians(L.prims, n, 0, group=1, min_per_primitive=20)


def overview_camera(scene: Scene, width: int, height: int) -> Camera:
    """A camera in front of the scene (on its -Y side) looking at its centre from above eye height."""
    lo, hi = scene.bounds[0].tolist(), scene.bounds[1].tolist()
    cx, cy = (lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2
    span = max(hi[0] - lo[0], 1.0)
    fov = 70.0
    dist = 0.5 * span / math.tan(math.radians(fov / 2))
    eye = (cx, lo[1] - 0.3 * dist, scene.floor_height + 2.0 + 0.2 * span)
    return Camera.look_at(eye, (cx, cy, scene.floor_height + 0.5), width=width, height=height, fov_deg=fov)


def render_preview(scene: Scene, inst: Optional[Instance], obj: Optional[SceneObject], *, width: int = 320,
                   height: int = 240, backend: str = "auto") -> torch.Tensor:
    """(H,W,3) float image of the scene from the instance camera (or an overview camera), with the object at its
    initial pose and a body marker at the initial root position."""
    from zerohsi.render import render

    parts = [scene.gaussians]
    if inst is not None:
        cam = inst.camera(width, height)
        parts.append(body_marker(inst.human_init.root_xy, inst.human_init.yaw_deg))
        if obj is not None and inst.object_pose() is not None:
            parts.append(obj.posed_gaussians(inst.object_pose()))
    else:
        cam = overview_camera(scene, width, height)
    with torch.no_grad():
        out = render(Gaussians.cat(parts), cam, backend=backend, background=(0.75, 0.82, 0.92))
    return out.rgb
