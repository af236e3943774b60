"""Real 3DGS scenes: a user's ``.ply`` (INRIA format), aligned to +Z up metres with the floor at z = 0.

Geometry comes from a mesh the user supplies (sampled densely and voxelised) or, without one, from the Gaussians
themselves (:mod:`zerohsi.scenes.occupancy`). The floor is estimated from horizontal Gaussians unless given.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from zerohsi.errors import UserError
from zerohsi.gaussians import Gaussians
from zerohsi.geometry import matrix_to_quat, quat_multiply
from zerohsi.scenes.occupancy import estimate_floor, gaussians_sdf, points_sdf
from zerohsi.scenes.scene import Scene, SceneSpec, Target

UP_AXES = {"+x": (1.0, 0.0, 0.0), "-x": (-1.0, 0.0, 0.0), "+y": (0.0, 1.0, 0.0), "-y": (0.0, -1.0, 0.0),
           "+z": (0.0, 0.0, 1.0), "-z": (0.0, 0.0, -1.0)}


def up_rotation(up: str) -> torch.Tensor:
    """(3,3) rotation taking the file's ``up`` axis (one of +x -x +y -y +z -z) onto +Z."""
    if up not in UP_AXES:
        raise UserError(f"Up axis '{up}' is not one of {', '.join(UP_AXES)}; set the scene's `up` accordingly.")
    a = torch.tensor(UP_AXES[up])
    z = torch.tensor([0.0, 0.0, 1.0])
    if float(a @ z) > 0.999:
        return torch.eye(3)
    if float(a @ z) < -0.999:  # upside down: half turn about X
        return torch.diag(torch.tensor([1.0, -1.0, -1.0]))
    axis = torch.linalg.cross(a, z)
    axis = axis / axis.norm()
    angle = math.acos(float(a @ z))
    K = torch.tensor([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return torch.eye(3) + math.sin(angle) * K + (1 - math.cos(angle)) * (K @ K)


def align_gaussians(g: Gaussians, R: torch.Tensor, scale: float, shift: torch.Tensor) -> Gaussians:
    """x -> scale * R x + shift for every Gaussian (rotating its orientation, scaling its size)."""
    R = R.to(g.means)
    q = matrix_to_quat(R).expand_as(g.quats)
    return replace(g, means=scale * (g.means @ R.T) + shift.to(g.means), quats=quat_multiply(q, g.quats),
                   scales=g.scales * scale)


def scene_from_gaussians(name: str, gaussians: Gaussians, *, mesh=None, up: str = "+z", scale: float = 1.0,
                         floor_offset: Optional[float] = None, voxel_size: float = 0.05,
                         targets: Optional[dict[str, Target]] = None, source: str = "gaussians") -> Scene:
    """Align Gaussians (and an optional trimesh in the same frame) to +Z up metres, floor at z = 0, and build the
    scene's grid SDF. ``floor_offset`` is the floor height after rotating and scaling; estimated when None."""
    if not scale > 0:
        raise UserError(f"Scene '{name}': scale must be positive, got {scale}.")
    t0 = time.perf_counter()
    R = up_rotation(up)
    g = align_gaussians(gaussians, R, float(scale), torch.zeros(3))
    info: dict = {"up": up, "scale": float(scale), "voxel_size": float(voxel_size), "num_gaussians": len(g)}
    if floor_offset is None:
        est = estimate_floor(g)
        floor = est.height
        info.update(floor_estimated=True, floor_support=round(est.support, 4),
                    other_layers=[round(c, 4) for c in est.candidates])
    else:
        floor = float(floor_offset)
        info["floor_estimated"] = False
    info["floor_offset"] = round(floor, 4)
    shift = torch.tensor([0.0, 0.0, -floor])
    g = replace(g, means=g.means + shift.to(g.means))
    g = g.with_group(0)
    means = g.means.detach().float().cpu().numpy()
    lo, hi = np.percentile(means, 0.5, axis=0), np.percentile(means, 99.5, axis=0)
    lo[2] = min(lo[2], 0.0)
    bounds = torch.tensor(np.stack([lo, hi]), dtype=torch.float32)
    if mesh is not None:
        T = np.eye(4)
        T[:3, :3] = float(scale) * R.numpy()
        T[2, 3] = -floor
        m = mesh.copy()
        m.apply_transform(T)
        n = int(min(max(m.area / (0.25 * voxel_size) ** 2, 10_000), 5_000_000))
        pts = np.asarray(m.sample(n, seed=0) if _sample_takes_seed() else m.sample(n), dtype=np.float64)
        grid = points_sdf(pts, voxel_size=voxel_size, floor_height=0.0)
        info["geometry"] = "mesh"
    else:
        grid = gaussians_sdf(g, voxel_size=voxel_size, floor_height=0.0, bounds=bounds)
        info["geometry"] = "gaussians"
    info["grid_shape_zyx"] = list(grid.shape_zyx)
    info["grid_voxel_size"] = grid.voxel_size
    info["bounds"] = [[round(float(v), 3) for v in row] for row in bounds.tolist()]
    info["build_seconds"] = round(time.perf_counter() - t0, 3)
    return Scene(name, g, grid, floor_height=0.0, targets=targets or {}, bounds=bounds, source=source, info=info)


def _sample_takes_seed() -> bool:
    import inspect

    import trimesh

    return "seed" in inspect.signature(trimesh.Trimesh.sample).parameters


def resolve(path: str, base_dir: Optional[Path]) -> Path:
    p = Path(os.path.expanduser(path))
    if not p.is_absolute() and base_dir is not None:
        p = base_dir / p
    return p


def load_real_scene(spec: SceneSpec, base_dir: Optional[Path] = None) -> Scene:
    """Load ``spec.ply`` (relative paths are relative to ``base_dir``), its optional mesh, and align them."""
    if spec.ply is None:
        raise UserError(f"Scene '{spec.name}' names no .ply file.")
    ply = resolve(spec.ply, base_dir)
    if not ply.is_file():
        raise UserError(f"Scene '{spec.name}' points to the 3DGS file '{ply}', which does not exist; fix the path or "
                        "remove it to use the procedural twin.")
    mesh = None
    if spec.mesh is not None:
        mesh_path = resolve(spec.mesh, base_dir)
        if not mesh_path.is_file():
            raise UserError(f"Scene '{spec.name}' points to the mesh '{mesh_path}', which does not exist; fix the "
                            "path or remove it to estimate geometry from the Gaussians.")
        from zerohsi.scenes.meshing import read_mesh

        mesh = read_mesh(mesh_path, f"Scene '{spec.name}': the mesh '{mesh_path}'", "export it as a mesh")
    try:
        from zerohsi.ply import load_ply
    except ImportError:  # pragma: no cover - the reader ships with zerohsi
        raise UserError("This zerohsi installation has no .ply reader (zerohsi.ply); reinstall zerohsi.") from None
    gaussians = load_ply(ply)
    return scene_from_gaussians(spec.name, gaussians, mesh=mesh, up=spec.up, scale=spec.scale,
                                floor_offset=spec.floor_offset, voxel_size=spec.voxel_size, targets=spec.targets,
                                source=str(ply))
