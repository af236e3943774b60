"""Geometric sanity checks of suite instances against their scenes (used by tests and `zerohsi scenes check`).

The body is approximated by a vertical capsule (radius 0.2 m, feet to 1.7 m) until a posed body mesh is needed;
that is enough to catch a start position inside furniture or a camera that cannot see the person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import torch

from zerohsi.scenes.scene import Scene, SceneObject
from zerohsi.scenes.sdf import sphere_trace
from zerohsi.scenes.suite import Instance, Location

BODY_RADIUS = 0.2
BODY_HEIGHT = 1.7


def resolve_xy(scene: Scene, loc: Location) -> tuple[float, float]:
    """A program location as a floor spot: a target's approach spot (or its point), or the given coordinates."""
    if isinstance(loc, str):
        t = scene.target(loc)
        return t.approach if t.approach is not None else (t.point[0], t.point[1])
    return (float(loc[0]), float(loc[1]))


def waypoints(inst: Instance, scene: Scene) -> list[tuple[float, float]]:
    """Floor spots the person stands on during the program: the start and every walk/carry destination."""
    pts = [tuple(inst.human_init.root_xy)]
    for step in inst.program:
        if step.action in ("walk_to", "carry_to"):
            pts.append(resolve_xy(scene, step.args["target"]))
    return pts  # type: ignore[return-value]


def view_points(inst: Instance, scene: Scene) -> list[tuple[float, float]]:
    """Waypoints plus the spots objects are pushed to (the person ends beside them): all must be in view."""
    pts = waypoints(inst, scene)
    pts += [tuple(s.args["to"]) for s in inst.program if s.action == "push"]  # type: ignore[misc]
    return pts


def body_points(xy: tuple[float, float], n: int = 12) -> torch.Tensor:
    """(n,3) points on the axis of the standing-body capsule at floor spot ``xy`` (from knee height to the head
    centre; the feet are excluded so a foot over a rug's edge is no collision)."""
    z = torch.linspace(0.35, BODY_HEIGHT - BODY_RADIUS, n)
    return torch.stack([torch.full_like(z, xy[0]), torch.full_like(z, xy[1]), z], -1)


@dataclass
class InstanceReport:
    name: str
    problems: list[str] = field(default_factory=list)
    clearance_m: float = float("inf")
    object_gap_m: Optional[float] = None

    @property
    def ok(self) -> bool:
        return not self.problems


def check_geometry(inst: Instance, scene: Scene, obj: Optional[SceneObject] = None, *, width: int = 128,
                   height: int = 96, margin_px: float = 1.0) -> InstanceReport:
    """Check that the person stands free of furniture at every waypoint, the object rests on its surface, and the
    camera sees the person (head to feet, unoccluded torso) and the object."""
    rep = InstanceReport(inst.name)
    cam = inst.camera(width, height)
    eye = cam.center
    with torch.no_grad():
        free = waypoints(inst, scene)
        for xy in view_points(inst, scene):
            if xy in free:
                axis = body_points(xy)
                clearance = float(scene.sdf(axis, include_floor=False).min()) - BODY_RADIUS
                rep.clearance_m = min(rep.clearance_m, clearance)
                if clearance < -0.02:
                    rep.problems.append(f"body at {xy} penetrates the scene by {-clearance:.3f} m")
            ends = torch.tensor([[xy[0], xy[1], 0.0], [xy[0], xy[1], BODY_HEIGHT]])
            uv, z = cam.project(ends)
            inside = (z > 0.1) & (uv[:, 0] >= -margin_px) & (uv[:, 0] <= width + margin_px) & \
                (uv[:, 1] >= -margin_px) & (uv[:, 1] <= height + margin_px)
            if not bool(inside.all()):
                rep.problems.append(f"body at {xy} is not fully in view (feet/head pixels {uv.tolist()})")
        # lines of sight from the camera to the pelvis and chest at every spot, traced together
        spots = view_points(inst, scene)
        targets_ = torch.tensor([[x, y, zc] for x, y in spots for zc in (0.9, 1.3)])
        d = targets_ - eye
        dist = d.norm(dim=-1)
        stop = dist - BODY_RADIUS - 0.05
        hit = sphere_trace(lambda q: scene.sdf(q, include_floor=True), eye.expand_as(targets_).contiguous(),
                           d / dist[:, None], stop, steps=64)
        for k in torch.nonzero(hit < stop - 0.01).flatten().tolist():
            rep.problems.append(f"the view of the body at {spots[k // 2]} (z={float(targets_[k, 2])}) is blocked "
                                f"at {float(hit[k]):.2f} m")
        if obj is not None:
            pose = inst.object_pose()
            pts = obj.surface_points(1024, seed=0)
            world = pts @ pose[:3, :3].T + pose[:3, 3]
            d = scene.sdf(world, include_floor=True)
            rep.object_gap_m = float(d.min())
            if float(d.min()) < -0.015:
                rep.problems.append(f"object penetrates the scene by {-float(d.min()):.3f} m")
            if float(d.min()) > 0.02:
                rep.problems.append(f"object floats {float(d.min()):.3f} m above the nearest surface")
            uv, z = cam.project(world)
            vis = (z > 0.1) & (uv[:, 0] >= 0) & (uv[:, 0] <= width) & (uv[:, 1] >= 0) & (uv[:, 1] <= height)
            if float(vis.float().mean()) < 0.95:
                rep.problems.append(f"only {float(vis.float().mean()):.0%} of the object is in view")
            on = inst.object_init.resting_on if inst.object_init is not None else "floor"
            if on != "floor":
                t = scene.target(on)
                if abs(t.point[2] - float(pose[2, 3])) > 0.01:
                    rep.problems.append(f"object base z={float(pose[2, 3]):.3f} is not on '{on}' (z={t.point[2]})")
            elif abs(float(pose[2, 3]) - scene.floor_height) > 0.01:
                rep.problems.append(f"object base z={float(pose[2, 3]):.3f} is not on the floor")
    return rep
