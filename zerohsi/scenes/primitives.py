"""Solid primitives with analytic SDFs, area-uniform surface samples and procedural surface colours.

A :class:`Primitive` is a shape in its local frame (centred, axis-aligned, Z the axis of round shapes) placed by a
rotation and a translation. Shapes: ``box`` (half extents, optional edge rounding), ``cylinder``, ``capsule``,
``sphere``, ``torus``, ``cone`` (frustum) and ``floor`` (the solid half space below z = 0 of its frame, sampled for
colour over a finite rectangle). A :class:`Material` turns surface points into colours (wood grain, floor tiles,
fabric weave, grass, noise), so renders have the texture photometric camera tracking needs.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Optional

import torch

from zerohsi.scenes import sdf as _sdf


@contextlib.contextmanager
def serial_torch(active: bool = True) -> Iterator[None]:
    """Run a block on one intra-op thread: building and small queries are many tiny tensor ops, for which
    thread-pool synchronisation costs far more than it saves (10-40x slower on a loaded machine)."""
    n = torch.get_num_threads()
    if active and n > 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if active and n > 1:
            torch.set_num_threads(n)


KINDS = ("box", "cylinder", "capsule", "sphere", "torus", "cone", "floor")


@dataclass(frozen=True)
class Material:
    """Procedural colour: ``base`` RGB in [0,1]; ``pattern`` one of solid | wood | tiles | fabric | grass | stripes |
    checker; ``scale`` the pattern period in metres; ``accent`` the second colour (grout, stripe, grain);
    ``noise`` the amplitude of colour noise."""

    base: tuple[float, float, float]
    pattern: str = "solid"
    scale: float = 0.3
    accent: Optional[tuple[float, float, float]] = None
    noise: float = 0.06

    def colors(self, local: torch.Tensor, normals: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """(N,3) colours for surface points ``local`` (N,3, the primitive frame) with world ``normals`` (N,3)."""
        base = torch.tensor(self.base, dtype=local.dtype)
        accent = torch.tensor(self.accent if self.accent is not None else tuple(0.6 * c for c in self.base),
                              dtype=local.dtype)
        s = max(self.scale, 1e-3)
        x, y, z = local.unbind(-1)
        # in-plane coordinates: for up-facing surfaces use x,y; for vertical ones the horizontal axis and z
        up = normals[:, 2].abs() > 0.7
        u = torch.where(up, x, x + y)
        v = torch.where(up, y, z)
        if self.pattern == "wood":
            warp = 0.25 * torch.sin(2 * math.pi * v / (3 * s)) + 0.1 * torch.sin(2 * math.pi * u / (0.7 * s))
            grain = 0.5 + 0.5 * torch.sin(2 * math.pi * (v / (0.08 * s) + warp))
            plank = torch.floor(u / s)
            plank_tone = 0.85 + 0.3 * _hash(plank, 1.7)
            t = (0.35 * grain)[:, None]
            col = (base * (1 - t) + accent * t) * plank_tone[:, None]
        elif self.pattern == "tiles":
            fu, fv = torch.frac(u / s), torch.frac(v / s)
            grout = (fu < 0.04) | (fv < 0.04)
            tile_tone = 0.88 + 0.24 * _hash(torch.floor(u / s) * 17.0 + torch.floor(v / s), 3.1)
            col = torch.where(grout[:, None], accent.expand(len(u), 3), base * tile_tone[:, None])
        elif self.pattern == "checker":
            c = (torch.floor(u / s) + torch.floor(v / s)) % 2
            col = torch.where(c[:, None] > 0, base.expand(len(u), 3), accent.expand(len(u), 3))
        elif self.pattern == "stripes":
            c = torch.frac(v / s) < 0.5
            col = torch.where(c[:, None], base.expand(len(u), 3), accent.expand(len(u), 3))
        elif self.pattern == "fabric":
            weave = 0.5 + 0.25 * torch.sin(2 * math.pi * u / 0.01) * torch.sin(2 * math.pi * v / 0.01)
            blotch = _smooth_noise(local, s, gen)
            col = base * (0.85 + 0.2 * weave + 0.25 * blotch)[:, None]
        elif self.pattern == "grass":
            blotch = _smooth_noise(local, s, gen)
            t = (0.5 + 0.5 * blotch).clamp(0, 1)[:, None]
            col = base * (1 - t) + accent * t
        else:
            col = base.expand(len(u), 3).clone()
        # per-point grain noise plus low-frequency shading variation keeps large surfaces textured
        col = col * (1 + self.noise * (2 * torch.rand(len(u), 1, generator=gen, dtype=local.dtype) - 1))
        col = col * (1 + 0.5 * self.noise * _smooth_noise(local, 4 * s, gen))[:, None]
        return col.clamp(0.0, 1.0)


def _hash(x: torch.Tensor, salt: float) -> torch.Tensor:
    """Deterministic pseudo-random value in [0,1) per integer-valued input (tile / plank tones)."""
    return torch.frac(torch.sin(x * 12.9898 + salt * 78.233) * 43758.5453).abs()


def _smooth_noise(p: torch.Tensor, scale: float, gen: torch.Generator, octaves: int = 4) -> torch.Tensor:
    """(N,) smooth noise in about [-1,1]: a sum of random plane waves of period ~``scale`` metres."""
    out = torch.zeros(p.shape[0], dtype=p.dtype)
    for _ in range(octaves):
        direction = torch.nn.functional.normalize(torch.randn(3, generator=gen, dtype=p.dtype), dim=0)
        freq = 2 * math.pi / (scale * (0.5 + torch.rand(1, generator=gen, dtype=p.dtype)))
        phase = 2 * math.pi * torch.rand(1, generator=gen, dtype=p.dtype)
        out = out + torch.sin(p @ direction * freq + phase)
    return out / math.sqrt(octaves)


@dataclass
class Primitive:
    """One solid shape. ``params`` by kind: box {half: (hx,hy,hz), rounding}; cylinder {radius, half_height};
    capsule {radius, half_length}; sphere {radius}; torus {major, minor}; cone {r_bottom, r_top, half_height};
    floor {half: (hx, hy)} (the coloured extent). ``R`` (3,3) and ``t`` (3,) place the local frame in the parent
    frame (scene world, or an object's canonical frame). ``solid`` primitives take part in the SDF; ``visible`` ones
    get Gaussians."""

    kind: str
    params: dict
    material: Material
    R: torch.Tensor = field(default_factory=lambda: torch.eye(3))
    t: torch.Tensor = field(default_factory=lambda: torch.zeros(3))
    name: str = ""
    solid: bool = True
    visible: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown primitive kind {self.kind!r}; expected one of {KINDS}")

    # -- geometry ----------------------------------------------------------------------------------------------
    def to_local(self, points: torch.Tensor) -> torch.Tensor:
        R, t = self.R.to(points), self.t.to(points)
        return (points - t) @ R  # R^T (p - t), row-vector form

    def local_sdf(self, q: torch.Tensor) -> torch.Tensor:
        k, p = self.kind, self.params
        if k == "box":
            return _sdf.sdf_box(q, p["half"], p.get("rounding", 0.0))
        if k == "cylinder":
            return _sdf.sdf_cylinder(q, p["radius"], p["half_height"])
        if k == "capsule":
            return _sdf.sdf_capsule(q, p["radius"], p["half_length"])
        if k == "sphere":
            return _sdf.sdf_sphere(q, p["radius"])
        if k == "torus":
            return _sdf.sdf_torus(q, p["major"], p["minor"])
        if k == "cone":
            return _sdf.sdf_cone(q, p["r_bottom"], p["r_top"], p["half_height"])
        return _sdf.sdf_halfspace(q)

    def sdf(self, points: torch.Tensor) -> torch.Tensor:
        """(...,3) parent-frame points -> (...) signed distance."""
        return self.local_sdf(self.to_local(points))

    def bounding_radius(self) -> float:
        """Radius of a sphere around the primitive's centre ``t`` that contains it."""
        k, p = self.kind, self.params
        if k == "box":
            return math.sqrt(sum(h * h for h in p["half"]))
        if k == "cylinder":
            return math.hypot(p["radius"], p["half_height"])
        if k == "capsule":
            return p["radius"] + p["half_length"]
        if k == "sphere":
            return p["radius"]
        if k == "torus":
            return p["major"] + p["minor"]
        if k == "cone":
            return math.hypot(max(p["r_bottom"], p["r_top"]), p["half_height"])
        return math.inf

    def area(self) -> float:
        k, p = self.kind, self.params
        if k == "box":
            hx, hy, hz = p["half"]
            return 8 * (hx * hy + hy * hz + hx * hz)
        if k == "cylinder":
            r, h = p["radius"], p["half_height"]
            return 2 * math.pi * r * 2 * h + 2 * math.pi * r * r
        if k == "capsule":
            r, h = p["radius"], p["half_length"]
            return 2 * math.pi * r * 2 * h + 4 * math.pi * r * r
        if k == "sphere":
            return 4 * math.pi * p["radius"] ** 2
        if k == "torus":
            return 4 * math.pi ** 2 * p["major"] * p["minor"]
        if k == "cone":
            r1, r2, h = p["r_bottom"], p["r_top"], p["half_height"]
            slant = math.hypot(r1 - r2, 2 * h)
            return math.pi * (r1 + r2) * slant + math.pi * (r1 * r1 + r2 * r2)
        hx, hy = p["half"]
        return 4 * hx * hy

    def sample_local(self, n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """n area-uniform surface points and outward unit normals, both (n,3), in the local frame."""
        k, p = self.kind, self.params
        u = lambda *s: torch.rand(*s, generator=gen)  # noqa: E731
        if k == "floor":
            hx, hy = p["half"]
            pts = torch.stack([(2 * u(n) - 1) * hx, (2 * u(n) - 1) * hy, torch.zeros(n)], -1)
            return pts, torch.tensor([0.0, 0.0, 1.0]).expand(n, 3).clone()
        if k == "box":
            half = torch.tensor(p["half"], dtype=torch.float32)
            face_area = torch.stack([half[1] * half[2], half[0] * half[2], half[0] * half[1]]).repeat(2)
            face = torch.multinomial(face_area, n, replacement=True, generator=gen)
            axis, sign = face % 3, torch.where(face < 3, 1.0, -1.0)
            pts = (2 * u(n, 3) - 1) * half
            pts[torch.arange(n), axis] = sign * half[axis]
            nrm = torch.zeros(n, 3)
            nrm[torch.arange(n), axis] = sign
            r = p.get("rounding", 0.0)
            if r > 0:  # pull points onto the rounded surface along the SDF gradient
                pts, nrm = _project(self.local_sdf, pts)
            return pts, nrm
        if k in ("cylinder", "capsule", "cone"):
            if k == "cylinder":
                r1 = r2 = p["radius"]
                h = p["half_height"]
            elif k == "capsule":
                r1 = r2 = p["radius"]
                h = p["half_length"]
            else:
                r1, r2, h = p["r_bottom"], p["r_top"], p["half_height"]
            side = math.pi * (r1 + r2) * math.hypot(r1 - r2, 2 * h)
            if k == "capsule":
                caps = (2 * math.pi * r1 * r1, 2 * math.pi * r1 * r1)
            else:
                caps = (math.pi * r1 * r1, math.pi * r2 * r2)
            part = torch.multinomial(torch.tensor([side, *caps]), n, replacement=True, generator=gen)
            theta = 2 * math.pi * u(n)
            # side: radius varies linearly along z; sample z with density proportional to the local radius
            w = u(n)
            if abs(r1 - r2) > 1e-9:
                s_ = (torch.sqrt(r1 * r1 + w * (r2 * r2 - r1 * r1)) - r1) / (r2 - r1)
            else:
                s_ = w
            z = -h + 2 * h * s_
            rad = r1 + (r2 - r1) * s_
            pts = torch.stack([rad * torch.cos(theta), rad * torch.sin(theta), z], -1)
            slope = (r1 - r2) / (2 * h)
            nrm = torch.nn.functional.normalize(
                torch.stack([torch.cos(theta), torch.sin(theta), torch.full_like(theta, slope)], -1), dim=-1)
            for idx, (zc, rc, sgn) in enumerate(((-h, r1, -1.0), (h, r2, 1.0)), start=1):
                m = part == idx
                cnt = int(m.sum())
                if cnt == 0:
                    continue
                if k == "capsule":  # hemisphere
                    d = torch.nn.functional.normalize(torch.randn(cnt, 3, generator=gen), dim=-1)
                    d[:, 2] = sgn * d[:, 2].abs()
                    pts[m] = d * rc + torch.tensor([0.0, 0.0, zc])
                    nrm[m] = d
                else:  # flat disc
                    rr = rc * torch.sqrt(u(cnt))
                    th = 2 * math.pi * u(cnt)
                    pts[m] = torch.stack([rr * torch.cos(th), rr * torch.sin(th), torch.full((cnt,), zc)], -1)
                    nrm[m] = torch.tensor([0.0, 0.0, sgn])
            return pts, nrm
        if k == "sphere":
            d = torch.nn.functional.normalize(torch.randn(n, 3, generator=gen), dim=-1)
            return d * p["radius"], d
        # torus: rejection-free area weighting by sampling the tube angle with density ~ (R + r cos v)
        R_, r_ = p["major"], p["minor"]
        cand = 4 * n
        v = 2 * math.pi * u(cand)
        keep = u(cand) * (R_ + r_) < (R_ + r_ * torch.cos(v))
        v = v[keep][:n]
        while v.numel() < n:  # practically never: acceptance is >= R/(R+r)
            v = torch.cat([v, v[: n - v.numel()]])
        uu = 2 * math.pi * u(n)
        nrm = torch.stack([torch.cos(v) * torch.cos(uu), torch.cos(v) * torch.sin(uu), torch.sin(v)], -1)
        ring = torch.stack([R_ * torch.cos(uu), R_ * torch.sin(uu), torch.zeros(n)], -1)
        return ring + r_ * nrm, nrm

    def sample(self, n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """n surface samples in the parent frame: points (n,3), normals (n,3), local coordinates (n,3)."""
        local, nrm = self.sample_local(n, gen)
        return local @ self.R.T + self.t, nrm @ self.R.T, local

    def transformed(self, R: torch.Tensor, t: torch.Tensor) -> Primitive:
        """This primitive with its placement composed after (R, t) (e.g. an object pose)."""
        return Primitive(self.kind, self.params, self.material, R @ self.R, R @ self.t + t, self.name, self.solid,
                         self.visible)


def _project(fn, pts: torch.Tensor, iters: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    """Move points onto the zero level set of ``fn`` along its gradient; returns (points, unit normals)."""
    with torch.enable_grad():
        return _project_impl(fn, pts.clone(), iters)


def _project_impl(fn, p: torch.Tensor, iters: int) -> tuple[torch.Tensor, torch.Tensor]:
    for _ in range(iters):
        q = p.detach().requires_grad_(True)
        d = fn(q)
        (g,) = torch.autograd.grad(d.sum(), q)
        g = torch.nn.functional.normalize(g, dim=-1)
        p = (q - d[:, None] * g).detach()
    q = p.requires_grad_(True)
    (g,) = torch.autograd.grad(fn(q).sum(), q)
    return p.detach(), torch.nn.functional.normalize(g, dim=-1)


def union_sdf(prims: list[Primitive], points: torch.Tensor) -> torch.Tensor:
    """(...,3) -> (...) min over the solid primitives (+inf-like 1e3 when there are none)."""
    vals = [pr.sdf(points) for pr in prims if pr.solid]
    if not vals:
        return torch.full(points.shape[:-1], 1e3, dtype=points.dtype, device=points.device)
    return torch.stack(vals, 0).min(0).values


class PrimitiveUnion:
    """The SDF of a union of primitives: (...,3) -> (...), exact outside, differentiable w.r.t. the points.

    Same values as :func:`union_sdf`, but each primitive is evaluated only on the points it can matter for: with
    bounding spheres (centre c, radius r), ``|p - c| - r`` bounds a primitive's distance from below. Each point is
    first evaluated against the four primitives with the smallest bounds, which gives it an upper bound on the
    union; then only primitives whose lower bound is below that are evaluated. The (point, primitive) pairs of each
    pass are evaluated kind by kind in single batched expressions, so the cost does not grow with the number of
    primitives (scenes have ~20-200)."""

    CHUNK = 65536
    _PARAMS = {"box": ("half", "rounding"), "cylinder": ("radius", "half_height"), "capsule": ("radius", "half_length"),
               "sphere": ("radius",), "torus": ("major", "minor"), "cone": ("r_bottom", "r_top", "half_height")}

    def __init__(self, prims: list[Primitive]) -> None:
        self.prims = [p for p in prims if p.solid]
        self.groups: list[tuple[str, torch.Tensor, torch.Tensor, torch.Tensor, list[torch.Tensor]]] = []
        kind_of = torch.zeros(len(self.prims), dtype=torch.long)
        local = torch.zeros(len(self.prims), dtype=torch.long)
        for kind in self._PARAMS:
            members = [i for i, p in enumerate(self.prims) if p.kind == kind]
            if not members:
                continue
            kind_of[members] = len(self.groups)
            local[members] = torch.arange(len(members))
            R = torch.stack([self.prims[i].R for i in members]).float()
            t = torch.stack([self.prims[i].t for i in members]).float()
            params = [torch.tensor([self.prims[i].params.get(name, 0.0) for i in members], dtype=torch.float32)
                      for name in self._PARAMS[kind]]
            self.groups.append((kind, torch.tensor(members), R, t, params))
        self.kind_of, self.local = kind_of, local
        if self.prims:
            self.centres = torch.stack([p.t for p in self.prims]).float()
            self.radii = torch.tensor([p.bounding_radius() for p in self.prims], dtype=torch.float32)

    def __call__(self, points: torch.Tensor) -> torch.Tensor:
        shape = points.shape[:-1]
        p = points.reshape(-1, 3)
        if not self.prims or p.shape[0] == 0:
            return torch.full(p.shape[:1], 1e3, dtype=p.dtype, device=p.device).reshape(shape)
        with serial_torch(p.shape[0] <= 4096):
            if p.shape[0] <= self.CHUNK:
                return self._eval(p).reshape(shape)
            return torch.cat([self._eval(c) for c in torch.split(p, self.CHUNK)]).reshape(shape)

    def _eval(self, p: torch.Tensor) -> torch.Tensor:
        best = torch.full(p.shape[:1], 1e3, dtype=p.dtype, device=p.device)
        with torch.no_grad():
            D = torch.cdist(p.detach().float(), self.centres.to(p.device))  # (N,P)
            lower = D - self.radii.to(p.device)
            # pass 1: the few primitives with the smallest lower bounds give each point a tight upper bound
            first = torch.zeros_like(lower, dtype=torch.bool)
            first.scatter_(1, lower.topk(min(4, lower.shape[1]), dim=1, largest=False).indices, True)
        best = self._pairs(p, best, first)
        with torch.no_grad():
            # pass 2: any other primitive that could still be closer
            need = (lower < best.detach()[:, None].float()) & ~first
        return self._pairs(p, best, need)

    def _pairs(self, p: torch.Tensor, best: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        ii, jj = torch.nonzero(mask, as_tuple=True)
        if ii.numel() == 0:
            return best
        kind_of, local = self.kind_of.to(p.device)[jj], self.local.to(p.device)[jj]
        for g, (kind, _, R, t, params) in enumerate(self.groups):
            sel = kind_of == g
            if not bool(sel.any()):
                continue
            i, j = ii[sel], local[sel]
            q = torch.einsum("mab,ma->mb", R.to(p)[j], p[i] - t.to(p)[j])  # R^T (p - t) per pair
            d = _eval_kind(kind, q, [x.to(p)[j] for x in params])
            best = best.scatter_reduce(0, i, d, reduce="amin", include_self=True)
        return best


def _eval_kind(kind: str, q: torch.Tensor, params: list[torch.Tensor]) -> torch.Tensor:
    if kind == "box":
        return _sdf.sdf_box(q, params[0], params[1])
    if kind == "cylinder":
        return _sdf.sdf_cylinder(q, params[0], params[1])
    if kind == "capsule":
        return _sdf.sdf_capsule(q, params[0], params[1])
    if kind == "sphere":
        return _sdf.sdf_sphere(q, params[0])
    if kind == "torus":
        return _sdf.sdf_torus(q, params[0], params[1])
    return _sdf.sdf_cone(q, params[0], params[1], params[2])
