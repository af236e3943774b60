"""A small builder for procedural scenes and objects made of primitives.

Furniture is authored in its own frame (origin on the floor under its centre, its front towards local -Y) and
placed with ``with layout.place(x, y, yaw_deg):``; primitives and targets added inside are moved accordingly.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from typing import Optional

import torch

from zerohsi.scenes.primitives import Material, Primitive
from zerohsi.scenes.scene import Target
from zerohsi.scenes.sdf import euler_matrix, yaw_matrix

Vec = Sequence[float]


class Layout:
    """Collects primitives (with a sampling weight each) and named targets."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.prims: list[Primitive] = []
        self.weights: list[float] = []
        self.targets: dict[str, Target] = {}
        self._R = torch.eye(3)
        self._t = torch.zeros(3)
        self._yaw = 0.0

    # -- placement ---------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def place(self, x: float, y: float, yaw_deg: float = 0.0, z: float = 0.0) -> Iterator[Layout]:
        """Author the block's parts in a frame at (x, y, z) rotated by ``yaw_deg`` (nests)."""
        saved = (self._R, self._t, self._yaw)
        R = yaw_matrix(yaw_deg)
        self._t = self._R @ torch.tensor([x, y, z], dtype=torch.float32) + self._t
        self._R = self._R @ R
        self._yaw = self._yaw + yaw_deg
        try:
            yield self
        finally:
            self._R, self._t, self._yaw = saved

    def world(self, p: Vec) -> tuple[float, float, float]:
        w = self._R @ torch.tensor(p, dtype=torch.float32) + self._t
        return tuple(round(float(v), 4) for v in w)  # type: ignore[return-value]

    def _add(self, kind: str, params: dict, mat: Material, center: Vec, R: Optional[torch.Tensor], weight: float,
             name: str, solid: bool = True) -> Primitive:
        R_local = torch.eye(3) if R is None else R
        prim = Primitive(kind, params, mat, self._R @ R_local, self._R @ torch.tensor(center, dtype=torch.float32)
                         + self._t, name=name, solid=solid)
        self.prims.append(prim)
        self.weights.append(weight)
        return prim

    # -- shapes ------------------------------------------------------------------------------------------------
    def box(self, center: Vec, size: Vec, mat: Material, *, yaw: float = 0.0, pitch: float = 0.0,
            roll: float = 0.0, rounding: float = 0.0, weight: float = 1.0, name: str = "") -> Primitive:
        """Box of full ``size`` (sx, sy, sz) centred at ``center``."""
        R = euler_matrix(yaw, pitch, roll) if (yaw or pitch or roll) else None
        r = min(rounding, 0.49 * min(size))
        return self._add("box", {"half": tuple(s / 2 for s in size), "rounding": r}, mat, center, R, weight, name)

    def block(self, lo: Vec, hi: Vec, mat: Material, **kw) -> Primitive:
        """Axis-aligned box between two corners."""
        return self.box([(a + b) / 2 for a, b in zip(lo, hi, strict=True)],
                        [abs(b - a) for a, b in zip(lo, hi, strict=True)], mat, **kw)

    def cylinder(self, center: Vec, radius: float, height: float, mat: Material, *, axis: str = "z",
                 weight: float = 1.0, name: str = "") -> Primitive:
        return self._add("cylinder", {"radius": radius, "half_height": height / 2}, mat, center, _axis(axis), weight,
                         name)

    def cone(self, center: Vec, r_bottom: float, r_top: float, height: float, mat: Material, *,
             weight: float = 1.0, name: str = "") -> Primitive:
        return self._add("cone", {"r_bottom": r_bottom, "r_top": r_top, "half_height": height / 2}, mat, center,
                         None, weight, name)

    def rod(self, a: Vec, b: Vec, radius: float, mat: Material, *, weight: float = 1.0, name: str = "") -> Primitive:
        """Capsule from point a to point b."""
        a_t, b_t = torch.tensor(a, dtype=torch.float32), torch.tensor(b, dtype=torch.float32)
        axis = b_t - a_t
        length = float(axis.norm())
        return self._add("capsule", {"radius": radius, "half_length": length / 2}, mat, ((a_t + b_t) / 2).tolist(),
                         _rotation_z_to(axis), weight, name)

    def sphere(self, center: Vec, radius: float, mat: Material, *, weight: float = 1.0, name: str = "") -> Primitive:
        return self._add("sphere", {"radius": radius}, mat, center, None, weight, name)

    def torus(self, center: Vec, major: float, minor: float, mat: Material, *, axis: str = "z",
              weight: float = 1.0, name: str = "") -> Primitive:
        return self._add("torus", {"major": major, "minor": minor}, mat, center, _axis(axis), weight, name)

    def floor(self, size: Vec, mat: Material, *, center: Vec = (0.0, 0.0), weight: float = 0.6) -> Primitive:
        return self._add("floor", {"half": (size[0] / 2, size[1] / 2)}, mat, (center[0], center[1], 0.0), None,
                         weight, "floor", solid=False)

    # -- targets -----------------------------------------------------------------------------------------------
    def target(self, name: str, kind: str, point: Vec, *, facing_deg: float = -90.0,
               approach: Optional[Vec] = None, extent: Optional[Vec] = None) -> None:
        """A target authored in the current frame; ``facing_deg`` is relative to it (-90 = towards local -Y)."""
        ap = None
        if approach is not None:
            w = self.world((approach[0], approach[1], 0.0))
            ap = (w[0], w[1])
        ext = None
        if extent is not None:  # rotate the half extents into world axes (bounding box of the rotated rectangle)
            c, s = abs(math.cos(math.radians(self._yaw))), abs(math.sin(math.radians(self._yaw)))
            ext = (round(c * extent[0] + s * extent[1], 4), round(s * extent[0] + c * extent[1], 4))
        facing = (facing_deg + self._yaw + 180.0) % 360.0 - 180.0
        self.targets[name] = Target(name, kind, self.world(point), round(facing, 3), ap, ext)


def _axis(axis: str) -> Optional[torch.Tensor]:
    if axis == "z":
        return None
    if axis == "x":
        return euler_matrix(pitch_deg=90.0)
    return euler_matrix(roll_deg=90.0)


def _rotation_z_to(v: torch.Tensor) -> torch.Tensor:
    """A rotation taking +Z onto direction v."""
    z = v / v.norm().clamp_min(1e-9)
    helper = torch.tensor([1.0, 0.0, 0.0]) if abs(float(z[0])) < 0.9 else torch.tensor([0.0, 1.0, 0.0])
    x = torch.linalg.cross(helper, z)
    x = x / x.norm()
    y = torch.linalg.cross(z, x)
    return torch.stack([x, y, z], dim=1)


# -- a small palette ---------------------------------------------------------------------------------------------
def mat(rgb: Vec, pattern: str = "solid", scale: float = 0.3, accent: Optional[Vec] = None,
        noise: float = 0.06) -> Material:
    return Material(tuple(rgb), pattern, scale, None if accent is None else tuple(accent), noise)  # type: ignore[arg-type]


OAK = mat((0.62, 0.44, 0.26), "wood", 0.25, (0.45, 0.30, 0.16))
WALNUT = mat((0.40, 0.26, 0.16), "wood", 0.2, (0.28, 0.17, 0.10))
PINE = mat((0.78, 0.62, 0.40), "wood", 0.3, (0.60, 0.45, 0.27))
METAL = mat((0.55, 0.57, 0.60), noise=0.04)
DARK_METAL = mat((0.18, 0.19, 0.21), noise=0.05)
BLACK = mat((0.08, 0.08, 0.09), noise=0.05)
WHITE = mat((0.90, 0.90, 0.88), noise=0.04)
