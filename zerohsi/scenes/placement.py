"""Where a person can go in a user's capture, and checks that catch a bad placement before anything is paid for.

A real 3DGS capture has no labels: the floor a person can stand on is where floor-level Gaussians are (the captured
region), furniture is the grid SDF built from the Gaussians, and the camera must see the whole person large enough
for segmentation and pose estimation. Every problem is one sentence that says what to change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from zerohsi.cameras import Camera
from zerohsi.scenes.checks import BODY_HEIGHT, BODY_RADIUS, body_points
from zerohsi.scenes.scene import Scene, SceneObject
from zerohsi.scenes.sdf import sphere_trace

#: a person's height range used for the image-size and camera-fit checks (head top above the floor, metres)
HEAD_TOP = 1.75
SIT_HEAD_TOP = 1.3
#: the person must span at least this fraction of the frame height (smaller is too few pixels to segment)
MIN_HEIGHT_FRACTION = 0.25
#: at least this fraction of the person's footprint (a 0.25 m disk) must be captured floor
MIN_SUPPORT = 0.5
#: floor-level Gaussians lie within this height of the floor
FLOOR_BAND_M = 0.06
#: captures smaller / larger than this (widest horizontal extent, metres) are not room-scale
MIN_SPAN_M, MAX_SPAN_M = 1.0, 1000.0
#: below this share of the horizontal surfaces on the floor there is no floor to stand on; below WARN it is thin
MIN_FLOOR_SUPPORT, WARN_FLOOR_SUPPORT = 0.10, 0.25
#: fewer Gaussians than this is a fragment rather than a room (a warning: a tiny test scene may be fine)
FRAGMENT_GAUSSIANS = 5000


# -- the capture as a whole -------------------------------------------------------------------------------------
def capture_problems(scene: Scene) -> tuple[list[str], list[str]]:
    """(errors, warnings) about whether an aligned capture is plausible for a person: its size in metres, whether it
    has a floor, how much of it there is."""
    errors, warnings = [], []
    lo, hi = scene.bounds[0].tolist(), scene.bounds[1].tolist()
    span = max(hi[0] - lo[0], hi[1] - lo[1])
    if span < MIN_SPAN_M:
        errors.append(f"The capture is only {span:.2f} m across, too small for a person: if its units are not "
                      "metres set --scale (file units to metres), otherwise use a room-scale capture.")
    elif span > MAX_SPAN_M:
        errors.append(f"The capture is {span:.0f} m across, implausibly large for a person: set --scale to convert "
                      "its units to metres.")
    support = scene.info.get("floor_support")
    if support is not None and scene.info.get("floor_estimated", True):
        if support < MIN_FLOOR_SUPPORT:
            errors.append(f"Only {support:.0%} of the capture's horizontal surfaces lie on the estimated floor, so "
                          "there is no floor to stand on: check --up (the file's up axis) or give the floor height "
                          "with --floor.")
        elif support < WARN_FLOOR_SUPPORT:
            warnings.append(f"Only {support:.0%} of the capture's horizontal surfaces lie on the estimated floor; "
                            "check the floor in the preview (or give it with --floor).")
    if len(scene.gaussians) < FRAGMENT_GAUSSIANS:
        warnings.append(f"The capture holds only {len(scene.gaussians)} Gaussians, a fragment rather than a room; "
                        "renders of it will look sparse.")
    if not errors and hi[2] - scene.floor_height < 1.0:
        warnings.append(f"The capture rises only {hi[2] - scene.floor_height:.2f} m above its floor; check --up and "
                        "--scale.")
    return errors, warnings


# -- the captured floor -----------------------------------------------------------------------------------------
@dataclass
class FloorMap:
    """Cells (``cell`` metres) of the floor plane that captured floor Gaussians cover: ``covered[iy, ix]`` for the
    cell whose lower corner is ``origin + (ix, iy) * cell``."""

    origin: np.ndarray
    cell: float
    covered: np.ndarray
    #: the cell size asked for (``cell`` grows on huge captures)
    requested: float = 0.1

    def support(self, xy: tuple[float, float], radius: float = 0.25) -> float:
        """Fraction (0..1) of the disk of ``radius`` about ``xy`` that is captured floor."""
        r = np.linspace(-radius, radius, 9)
        dx, dy = np.meshgrid(r, r)
        keep = dx ** 2 + dy ** 2 <= radius ** 2
        ix = np.floor((xy[0] + dx[keep] - self.origin[0]) / self.cell).astype(int)
        iy = np.floor((xy[1] + dy[keep] - self.origin[1]) / self.cell).astype(int)
        inside = (ix >= 0) & (iy >= 0) & (ix < self.covered.shape[1]) & (iy < self.covered.shape[0])
        hits = np.zeros(len(ix), bool)
        hits[inside] = self.covered[iy[inside], ix[inside]]
        return float(hits.mean())


def floor_map(scene: Scene, cell: float = 0.1) -> FloorMap:
    """Where the capture has floor: each floor-level Gaussian covers the cells within its footprint (twice its
    mean horizontal std-dev, at least one cell). Cached on the scene."""
    cached = scene.__dict__.get("_floor_map")
    if cached is not None and cached.requested == cell:
        return cached
    from scipy.ndimage import binary_dilation

    g = scene.gaussians
    means = g.means.detach().float().cpu().numpy()
    scales = g.scales.detach().float().cpu().numpy()
    op = g.opacities.detach().float().cpu().numpy()
    lo, hi = scene.bounds[0].cpu().numpy()[:2], scene.bounds[1].cpu().numpy()[:2]
    requested = cell
    cell = max(cell, math.sqrt(float((hi[0] - lo[0]) * (hi[1] - lo[1])) / 4e6))  # at most ~4M cells
    shape = (int(math.ceil((hi[1] - lo[1]) / cell)) + 1, int(math.ceil((hi[0] - lo[0]) / cell)) + 1)
    band = (np.abs(means[:, 2] - scene.floor_height) < FLOOR_BAND_M) & (op > 0.2)
    radius = np.clip(np.round(2.0 * np.sqrt(scales[:, 0] * scales[:, 1]) / cell), 0, 5).astype(int)
    covered = np.zeros(shape, bool)
    for k in range(6):
        sel = band & (radius == k)
        if not sel.any():
            continue
        ix = np.clip(((means[sel, 0] - lo[0]) / cell).astype(int), 0, shape[1] - 1)
        iy = np.clip(((means[sel, 1] - lo[1]) / cell).astype(int), 0, shape[0] - 1)
        layer = np.zeros(shape, bool)
        layer[iy, ix] = True
        if k:
            yy, xx = np.mgrid[-k:k + 1, -k:k + 1]
            layer = binary_dilation(layer, structure=(xx ** 2 + yy ** 2) <= k * k)
        covered |= layer
    fm = FloorMap(lo.astype(np.float64), float(cell), covered, requested)
    scene.__dict__["_floor_map"] = fm
    return fm


def body_clearance(scene: Scene, xys: torch.Tensor) -> torch.Tensor:
    """(N,) metres between a standing body's capsule at floor spots ``xys`` (N,2) and the scene (negative: the body
    is inside geometry)."""
    axis = torch.stack([body_points((float(x), float(y))) for x, y in xys.tolist()]) if len(xys) else \
        torch.zeros(0, 12, 3)
    with torch.no_grad():
        return scene.sdf(axis, include_floor=False).min(-1).values - BODY_RADIUS


# -- one placement ----------------------------------------------------------------------------------------------
def _fmt(xy) -> str:
    return f"({xy[0]:.2f}, {xy[1]:.2f})"


def body_extent(xy: tuple[float, float], floor: float, pose: str, seat_z: Optional[float]) -> torch.Tensor:
    """(2,3) lowest and highest point of the person (feet on the floor, head top) for the view checks."""
    top = (seat_z if seat_z is not None else 0.45) + (SIT_HEAD_TOP - 0.45) if pose == "sitting" else HEAD_TOP
    return torch.tensor([[xy[0], xy[1], floor], [xy[0], xy[1], floor + top]])


def placement_problems(scene: Scene, camera: Camera, xy: tuple[float, float], *, pose: str = "standing",
                       seat_z: Optional[float] = None, obj: Optional[SceneObject] = None,
                       object_pose: Optional[torch.Tensor] = None) -> list[str]:
    """One sentence per problem with a person at floor spot ``xy`` (standing, or sitting on a seat at height
    ``seat_z``) seen by ``camera``: outside the captured region, off the captured floor, inside geometry, out of
    view or hidden, too small in the image; and for an object, inside geometry or out of view."""
    problems = []
    lo, hi = scene.bounds[0].tolist(), scene.bounds[1].tolist()
    region = f"x {lo[0]:.2f}..{hi[0]:.2f}, y {lo[1]:.2f}..{hi[1]:.2f}"
    if not (lo[0] + BODY_RADIUS <= xy[0] <= hi[0] - BODY_RADIUS and lo[1] + BODY_RADIUS <= xy[1] <= hi[1] -
            BODY_RADIUS):
        return [f"The person at {_fmt(xy)} is outside the captured region ({region}); pick --person-at inside it."]
    floor = scene.floor_height
    with torch.no_grad():
        if pose == "standing":
            support = floor_map(scene).support(xy)
            if support < MIN_SUPPORT:
                problems.append(f"The person at {_fmt(xy)} stands where the capture has no floor (only {support:.0%} "
                                "of the feet's footprint is captured floor); move --person-at onto captured floor.")
            clearance = float(body_clearance(scene, torch.tensor([xy]))[0])
            if clearance < -0.02:
                problems.append(f"The person at {_fmt(xy)} is inside scene geometry ({-clearance:.2f} m deep); move "
                                "--person-at to free floor or use --sitting on a seat.")
        else:
            base = float(seat_z if seat_z is not None else 0.45)
            z = torch.linspace(base + 0.35, floor + SIT_HEAD_TOP - 0.1, 6)
            torso = torch.stack([torch.full_like(z, xy[0]), torch.full_like(z, xy[1]), z], -1)
            clearance = float(scene.sdf(torso, include_floor=False).min()) - 0.15
            if clearance < -0.02:
                problems.append(f"The seated person at {_fmt(xy)} has geometry through the torso "
                                f"({-clearance:.2f} m deep); pick a seat with free space above it.")
        eye = camera.center
        if float(scene.sdf(eye[None], include_floor=True)[0]) < 0.05:
            problems.append(f"The camera at {_fmt(eye.tolist())} (z {float(eye[2]):.2f}) is inside scene geometry or "
                            "below the floor; move it into free space.")
        ends = body_extent(xy, floor, pose, seat_z)
        uv, depth = camera.project(ends)
        W, H = camera.width, camera.height
        inside = bool(((depth > 0.1) & (uv[:, 0] >= 0) & (uv[:, 0] <= W) & (uv[:, 1] >= 0) & (uv[:, 1] <= H)).all())
        if not inside:
            problems.append(f"The camera does not see the whole person at {_fmt(xy)} (feet and head must be in the "
                            "frame); aim the camera at the person or move it back.")
        else:
            frac = float((uv[0, 1] - uv[1, 1]).abs()) / H
            if frac < MIN_HEIGHT_FRACTION:
                problems.append(f"The person spans only {frac:.0%} of the frame height, too small for segmentation "
                                f"and pose estimation (at least {MIN_HEIGHT_FRACTION:.0%}); move the camera closer "
                                "or narrow its field of view.")
            top = float(ends[1, 2])
            pts = torch.tensor([[xy[0], xy[1], floor + 0.5 * top], [xy[0], xy[1], floor + 0.8 * top]])
            d = pts - eye
            dist = d.norm(dim=-1)
            stop = dist - BODY_RADIUS - 0.05
            hit = sphere_trace(lambda q: scene.sdf(q, include_floor=True), eye.expand_as(pts).contiguous(),
                               d / dist[:, None], stop, steps=96)
            if bool((hit < stop - 0.01).any()):
                problems.append(f"Scene geometry hides the person at {_fmt(xy)} from the camera "
                                f"({float(hit.min()):.2f} m in front of it); move the camera or the person.")
        if obj is not None and object_pose is not None:
            pts = obj.surface_points(512, seed=0)
            world = pts @ object_pose[:3, :3].T + object_pose[:3, 3]
            depth_in = -float(scene.sdf(world, include_floor=True).min())
            if depth_in > 0.03:
                problems.append(f"The object is {depth_in:.2f} m inside scene geometry; change --object-pose so it "
                                "rests on a surface.")
            uv, z = camera.project(world)
            vis = float(((z > 0.1) & (uv[:, 0] >= 0) & (uv[:, 0] <= W) & (uv[:, 1] >= 0) & (uv[:, 1] <= H))
                        .float().mean())
            if vis < 0.9:
                problems.append(f"Only {vis:.0%} of the object is in the camera's view; move the object or the "
                                "camera.")
    return problems


# -- a default for any room-scale capture -----------------------------------------------------------------------
def fit_distance(width: int, height: int, fov_deg: float, eye_z: float = 1.6, margin: float = 0.06,
                 distances=None) -> Optional[float]:
    """The smallest camera distance (metres) at which a standing person fits the frame, feet to head with
    ``margin`` of the height to spare, for a camera at ``eye_z`` aimed at the body's middle (None: never)."""
    for d in distances if distances is not None else np.arange(1.5, 8.01, 0.25):
        cam = Camera.look_at((float(d), 0.0, eye_z), (0.0, 0.0, 0.5 * HEAD_TOP), width=width, height=height,
                             fov_deg=fov_deg)
        uv, _ = cam.project(torch.tensor([[0.0, 0.0, 0.0], [0.0, 0.0, HEAD_TOP]]))
        if float(uv[0, 1]) <= height * (1 - margin) and float(uv[1, 1]) >= height * margin:
            return float(d)
    return None


def _exit_distance(p, d, lo, hi) -> float:
    """How far the ray p + t d (2D) runs before leaving the box [lo, hi]."""
    t = math.inf
    for i in range(2):
        if d[i] > 1e-6:
            t = min(t, (hi[i] - p[i]) / d[i])
        elif d[i] < -1e-6:
            t = min(t, (lo[i] - p[i]) / d[i])
    return t


def default_placement(scene: Scene, width: int, height: int, fov_deg: float = 60.0, eye_z: float = 1.6,
                      max_spots: int = 60) -> tuple[tuple[float, float], float, Camera]:
    """A person on free, captured floor as near the capture's centre as possible, facing a camera at eye height
    that looks at them from the side with the most free space: (floor spot, heading in degrees, camera).

    The capture's centre is the median of its Gaussians (where the capture's cameras looked). Raises a UserError
    when no spot passes :func:`placement_problems`."""
    from zerohsi.errors import UserError

    need = fit_distance(width, height, fov_deg, eye_z)
    if need is None:
        raise UserError(f"A {fov_deg:g} degree camera at {width}x{height} cannot frame a standing person; use a "
                        "wider --fov.")
    means = scene.gaussians.means.detach().float().cpu()
    centre = means[:, :2].median(0).values
    lo, hi = scene.bounds[0, :2].float().cpu(), scene.bounds[1, :2].float().cpu()
    step = 0.2
    xs = torch.arange(float(lo[0]) + 0.4, float(hi[0]) - 0.4 + 1e-6, step)
    ys = torch.arange(float(lo[1]) + 0.4, float(hi[1]) - 0.4 + 1e-6, step)
    if len(xs) == 0 or len(ys) == 0:
        raise UserError("The capture has no room for a person (under 0.8 m across); use a room-scale capture or set "
                        "--scale.")
    grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1).reshape(-1, 2)
    # nearest the centre first, and no further than ~7 m from it (an outdoor capture's bounds can span a valley)
    grid = grid[(grid - centre).norm(dim=-1).argsort()][:4000]
    fm = floor_map(scene)
    supported = torch.tensor([fm.support(tuple(p)) >= 0.8 for p in grid.tolist()], dtype=torch.bool)
    grid = grid[supported]
    free = body_clearance(scene, grid[: 8 * max_spots]) > 0.1
    spots = grid[: 8 * max_spots][free][:max_spots]
    angles = torch.arange(16) * (2 * math.pi / 16)
    dirs = torch.stack([angles.cos(), angles.sin(), torch.zeros(16)], -1)
    for xy in spots.tolist():
        chest = torch.tensor([xy[0], xy[1], eye_z])
        # how far the camera can back away in each direction: free space, and still over the captured region
        reach = sphere_trace(lambda q: scene.sdf(q, include_floor=True), chest.expand(16, 3).contiguous(), dirs,
                             torch.full((16,), 8.0), steps=64)
        for k in range(16):
            reach[k] = min(float(reach[k]) - 0.3, _exit_distance(xy, dirs[k, :2].tolist(), lo.tolist(), hi.tolist()))
        for k in reach.argsort(descending=True).tolist():
            if float(reach[k]) < need:
                break
            d = need + 0.25 * (float(reach[k]) - need) if float(reach[k]) > need + 1.0 else need
            eye = (xy[0] + d * float(dirs[k, 0]), xy[1] + d * float(dirs[k, 1]), scene.floor_height + eye_z)
            cam = Camera.look_at(eye, (xy[0], xy[1], scene.floor_height + 0.5 * HEAD_TOP), width=width,
                                 height=height, fov_deg=fov_deg)
            if not placement_problems(scene, cam, (xy[0], xy[1])):
                heading = math.degrees(math.atan2(float(dirs[k, 1]), float(dirs[k, 0])))
                return (round(xy[0], 3), round(xy[1], 3)), round(heading, 2), cam
            break  # the most open side failed: try the next spot
    raise UserError("Found no free, captured floor spot with room for a camera to see a whole person; give "
                    "--person-at x,y and --camera-look-at yourself.")


def person_in_view(scene: Scene, camera: Camera, max_spots: int = 80) -> tuple[float, float]:
    """A floor spot for a person seen by a given camera (e.g. one of the capture's own): free, captured floor whose
    body centre projects nearest the image centre, passing every :func:`placement_problems` check."""
    from zerohsi.errors import UserError

    lo, hi = scene.bounds[0, :2].float().cpu(), scene.bounds[1, :2].float().cpu()
    xs = torch.arange(float(lo[0]) + 0.3, float(hi[0]) - 0.3 + 1e-6, 0.15)
    ys = torch.arange(float(lo[1]) + 0.3, float(hi[1]) - 0.3 + 1e-6, 0.15)
    if len(xs) and len(ys):
        grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1).reshape(-1, 2)
        mid = torch.cat([grid, torch.full((len(grid), 1), scene.floor_height + 0.5 * HEAD_TOP)], -1)
        uv, depth = camera.project(mid)
        off = ((uv - torch.tensor([camera.width / 2, camera.height / 2])) /
               torch.tensor([camera.width, camera.height])).norm(dim=-1)
        order = torch.where(depth > 0.5, off, torch.full_like(off, math.inf)).argsort()[:4000]
        fm = floor_map(scene)
        tried = 0
        for k in order.tolist():
            if not math.isfinite(float(off[k])) or tried >= max_spots:
                break
            xy = (round(float(grid[k, 0]), 3), round(float(grid[k, 1]), 3))
            if fm.support(xy) < 0.8 or float(body_clearance(scene, torch.tensor([xy]))[0]) < 0.1:
                continue
            tried += 1
            if not placement_problems(scene, camera, xy):
                return xy
    raise UserError("Found no free, captured floor spot where this camera sees a whole person large enough; pick "
                    "another --camera-index or give --person-at x,y.")


def seat_height(scene: Scene, xy: tuple[float, float], radius: float = 0.25) -> float:
    """The height of the seat under ``xy``: the horizontal-surface height (0.2..1.0 m above the floor) that most
    captured flat, horizontal Gaussians within ``radius`` share (a backrest's top or an armrest is smaller than the
    seat). The floor height when there is none."""
    from zerohsi.geometry import quat_to_matrix

    g = scene.gaussians
    means = g.means.detach().float().cpu()
    near = ((means[:, :2] - torch.tensor(xy)).norm(dim=-1) < radius) & (g.opacities.detach().cpu() > 0.3)
    z = means[:, 2] - scene.floor_height
    near &= (z > 0.2) & (z < 1.0)
    if not bool(near.any()):
        return float(scene.floor_height)
    scales = g.scales.detach().float().cpu()[near]
    R = quat_to_matrix(g.quats.detach().float().cpu()[near])
    normal = torch.gather(R, 2, scales.argmin(-1)[:, None, None].expand(-1, 3, 1))[..., 0]
    flat = (normal[:, 2].abs() > 0.9) & (scales.min(-1).values < 0.5 * scales.median(-1).values)
    zs = z[near][flat] if bool(flat.any()) else z[near]
    hist = torch.histc(zs, bins=40, min=0.2, max=1.0)
    k = int(hist.argmax())
    in_bin = zs[(zs >= 0.2 + 0.02 * k) & (zs <= 0.2 + 0.02 * (k + 1))]
    return float(scene.floor_height + in_bin.median()) if len(in_bin) else float(scene.floor_height)


__all__ = ["BODY_HEIGHT", "FloorMap", "capture_problems", "default_placement", "fit_distance", "floor_map",
           "person_in_view", "placement_problems", "seat_height"]
