"""The scene and object types: Gaussians + a signed distance field + what a person can interact with.

World convention: +Z up, metres, the floor at ``floor_height``. Yaw angles are headings measured counter-clockwise
from +X about +Z (yaw 0 faces +X, yaw 90 faces +Y), in degrees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional

import torch

from zerohsi.errors import UserError
from zerohsi.gaussians import Gaussians

TARGET_KINDS = ("sit", "lie", "lean", "stand", "surface", "reach")
#: ``Scene.info["geometry"]`` -> what the scene's SDF (and so the penetration and contact metrics) was built from
GEOMETRY_SOURCES = {"primitives": "analytic SDF of the procedural scene's shapes",
                    "mesh": "SDF of the mesh given with the capture",
                    "gaussians": "SDF built from the capture's Gaussians (no mesh given)"}


@dataclass(frozen=True)
class Target:
    """A named place a person interacts with, in world metres.

    kind: sit | lie | lean | stand | surface | reach. point: sit -> the seat point on top of the seat surface where
    the buttocks rest; lie -> the centre of the lying surface (top); lean -> the contact point on the leaned-on
    surface; stand -> a spot on the floor; surface -> the centre of a horizontal surface top objects can be put on;
    reach -> a point to touch. facing_deg: the yaw the person faces while using it (for lie: the head direction).
    approach: a floor spot (x, y) to walk to before using it. extent: half sizes (x, y) of a surface in world axes.
    """

    name: str
    kind: str
    point: tuple[float, float, float]
    facing_deg: float = 0.0
    approach: Optional[tuple[float, float]] = None
    extent: Optional[tuple[float, float]] = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "point": list(self.point), "facing_deg": self.facing_deg,
                "approach": None if self.approach is None else list(self.approach),
                "extent": None if self.extent is None else list(self.extent)}


@dataclass
class ContactRegion:
    """Where hands hold an object, in the object's canonical frame: points (K,3), outward normals (K,3), the
    hand(s) meant to use it (left | right | both | any)."""

    name: str
    points: torch.Tensor
    normals: torch.Tensor
    hand: str = "any"

    @property
    def center(self) -> torch.Tensor:
        """(3,) mean of the region's points."""
        return self.points.mean(0)

    def world(self, pose: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Points and normals (K,3) in the world for an object pose (4,4) object-to-world."""
        R, t = pose[:3, :3], pose[:3, 3]
        return self.points.to(pose) @ R.T + t, self.normals.to(pose) @ R.T


def _to_local(points: torch.Tensor, pose: torch.Tensor) -> torch.Tensor:
    R, t = pose[:3, :3].to(points), pose[:3, 3].to(points)
    return (points - t) @ R


class Scene:
    """A 3D Gaussian scene with geometry.

    gaussians: the scene's Gaussians (group 0); sdf_fn: (...,3) world -> (...) signed distance of everything except
    the floor (negative inside solid); floor_height: z of the floor plane (solid below); targets: named interaction
    targets; bounds (2,3): min/max corner of the scene content; source: "procedural" or the .ply path; info: facts
    about how it was built (estimated floor, voxel size, ...); primitives: the procedural shapes, when any.
    """

    up = (0.0, 0.0, 1.0)

    def __init__(self, name: str, gaussians: Gaussians, sdf_fn: Callable[[torch.Tensor], torch.Tensor], *,
                 floor_height: float = 0.0, targets: Optional[dict[str, Target]] = None,
                 bounds: Optional[torch.Tensor] = None, source: str = "procedural",
                 info: Optional[dict[str, Any]] = None, primitives: Optional[list] = None) -> None:
        self.name = name
        self.gaussians = gaussians
        self.sdf_fn = sdf_fn
        self.floor_height = float(floor_height)
        self.targets: dict[str, Target] = dict(targets or {})
        self.bounds = bounds if bounds is not None else torch.stack(
            [gaussians.means.min(0).values, gaussians.means.max(0).values])
        self.source = source
        self.info: dict[str, Any] = dict(info or {})
        self.primitives = primitives

    def __repr__(self) -> str:
        return (f"Scene({self.name!r}, {len(self.gaussians)} Gaussians, floor z={self.floor_height:.3f}, "
                f"{len(self.targets)} targets, source={self.source!r})")

    def sdf(self, points: torch.Tensor, *, include_floor: bool = True) -> torch.Tensor:
        """(...,3) world points -> (...) signed distance in metres, negative inside solid; differentiable.

        With ``include_floor`` the solid half space below the floor counts (body parts below the floor penetrate)."""
        d = self.sdf_fn(points)
        if include_floor:
            d = torch.minimum(d, points[..., 2] - self.floor_height)
        return d

    def sdf_grid(self, voxel_size: float = 0.05, margin: float = 0.3):
        """The scene's SDF (floor excluded) sampled once on a voxel grid over its bounds (+ margin) and cached: a
        :class:`~zerohsi.scenes.sdf.GridSDF` for fast approximate lookups of many points (trilinear, error well
        below a voxel near surfaces). Real scenes already are a grid and return it."""
        from zerohsi.scenes.sdf import GridSDF

        if isinstance(self.sdf_fn, GridSDF):
            return self.sdf_fn
        cache = self.__dict__.setdefault("_grids", {})
        key = round(float(voxel_size), 6)
        if key not in cache:
            lo = self.bounds[0].float() - margin
            hi = self.bounds[1].float() + margin
            lo[2] = self.floor_height - 2 * voxel_size
            n = torch.ceil((hi - lo) / voxel_size).long() + 1
            axes = [lo[i] + voxel_size * torch.arange(int(n[i])) for i in range(3)]
            zz, yy, xx = torch.meshgrid(axes[2], axes[1], axes[0], indexing="ij")
            pts = torch.stack([xx, yy, zz], -1).reshape(-1, 3)
            with torch.no_grad():
                values = torch.cat([self.sdf_fn(c) for c in torch.split(pts, 262144)])
            cache[key] = GridSDF(values.reshape(zz.shape), lo, voxel_size)
        return cache[key]

    def to(self, device) -> Scene:
        """This scene with its Gaussians and (grid) SDF on ``device`` (analytic SDFs follow the query points)."""
        sdf_fn = self.sdf_fn.to(device) if isinstance(self.sdf_fn, torch.nn.Module) else self.sdf_fn
        return Scene(self.name, self.gaussians.to(device), sdf_fn, floor_height=self.floor_height,
                     targets=self.targets, bounds=self.bounds, source=self.source, info=self.info,
                     primitives=self.primitives)

    def target(self, name: str) -> Target:
        try:
            return self.targets[name]
        except KeyError:
            raise UserError(f"Scene '{self.name}' has no interaction target '{name}'; choose one of "
                            f"{', '.join(sorted(self.targets)) or '(none)'}.") from None

    def mesh(self):
        """A trimesh.Trimesh of the scene's primitives (procedural scenes only; None otherwise)."""
        if self.primitives is None:
            return None
        from zerohsi.scenes.meshing import primitives_mesh

        return primitives_mesh(self.primitives)


class SceneObject:
    """A rigid object in its canonical frame: resting on the plane z = 0 of that frame, centred on the Z axis,
    its front (the side a person uses it from) towards -Y.

    gaussians: canonical Gaussians (group 2); sdf_fn: (...,3) object-frame points -> (...) signed distance;
    contact_regions: named hand-contact regions; dims: (3,) extent in metres; primitives: its shapes.
    """

    def __init__(self, name: str, gaussians: Gaussians, sdf_fn: Callable[[torch.Tensor], torch.Tensor], *,
                 contact_regions: Optional[dict[str, ContactRegion]] = None, primitives: Optional[list] = None,
                 info: Optional[dict[str, Any]] = None) -> None:
        self.name = name
        self.gaussians = gaussians
        self.sdf_fn = sdf_fn
        self.contact_regions: dict[str, ContactRegion] = dict(contact_regions or {})
        self.primitives = primitives
        self.info: dict[str, Any] = dict(info or {})
        self._surface_cache: dict[tuple[int, int], torch.Tensor] = {}
        self._mesh = None
        lo, hi = gaussians.means.min(0).values, gaussians.means.max(0).values
        self.bounds = torch.stack([lo, hi])

    def __repr__(self) -> str:
        return (f"SceneObject({self.name!r}, {len(self.gaussians)} Gaussians, dims={self.dims.tolist()}, "
                f"regions={sorted(self.contact_regions)})")

    @property
    def dims(self) -> torch.Tensor:
        """(3,) bounding-box size in metres."""
        return self.bounds[1] - self.bounds[0]

    def sdf(self, points: torch.Tensor) -> torch.Tensor:
        """(...,3) object-frame points -> (...) signed distance, metres, negative inside; differentiable."""
        return self.sdf_fn(points)

    def sdf_world(self, points: torch.Tensor, pose: torch.Tensor) -> torch.Tensor:
        """(...,3) world points and the object pose (4,4) object-to-world -> (...) signed distance; differentiable
        w.r.t. both."""
        return self.sdf_fn(_to_local(points, pose))

    def posed_gaussians(self, pose: torch.Tensor) -> Gaussians:
        """The object's Gaussians moved by a pose (4,4) object-to-world (differentiable w.r.t. pose)."""
        return self.gaussians.transform(pose.to(self.gaussians.means))

    def region(self, name: str) -> ContactRegion:
        try:
            return self.contact_regions[name]
        except KeyError:
            raise UserError(f"Object '{self.name}' has no contact region '{name}'; choose one of "
                            f"{', '.join(sorted(self.contact_regions)) or '(none)'}.") from None

    def surface_points(self, n: int, seed: int = 0) -> torch.Tensor:
        """(n,3) points spread uniformly over the object's outer surface, object frame (cached per n, seed)."""
        key = (int(n), int(seed))
        if key not in self._surface_cache:
            if self.primitives is not None:
                from zerohsi.scenes.surfels import sample_surface

                gen = torch.Generator().manual_seed(int(seed))
                pts = sample_surface(self.primitives, int(n * 1.3) + 8, gen)[0]
                while len(pts) < n:  # hidden-surface removal can drop a few; top up from a second draw
                    pts = torch.cat([pts, sample_surface(self.primitives, n, gen)[0]])
                perm = torch.randperm(len(pts), generator=gen)[:n]
                self._surface_cache[key] = pts[perm]
            else:
                gen = torch.Generator().manual_seed(int(seed))
                idx = torch.randint(len(self.gaussians), (n,), generator=gen)
                self._surface_cache[key] = self.gaussians.means[idx].detach()
        return self._surface_cache[key]

    def mesh(self):
        """A trimesh.Trimesh of the object in its canonical frame (built once)."""
        if self._mesh is None and self.primitives is not None:
            from zerohsi.scenes.meshing import primitives_mesh

            self._mesh = primitives_mesh(self.primitives)
        return self._mesh


@dataclass
class SceneSpec:
    """Where a scene comes from: ``ply`` (a real 3DGS file) with optional ``mesh`` for its SDF and an alignment
    (``up`` axis of the file, ``scale``, ``floor_offset``: the floor height in the file's aligned frame, estimated
    when None), or the procedural twin when ``ply`` is None. ``targets`` add or override interaction targets."""

    name: str
    ply: Optional[str] = None
    mesh: Optional[str] = None
    up: str = "+z"
    scale: float = 1.0
    floor_offset: Optional[float] = None
    voxel_size: float = 0.05
    targets: dict[str, Target] = field(default_factory=dict)
