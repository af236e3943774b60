"""Triangle meshes of primitive compositions (for exports and viewers; the SDF stays analytic)."""

from __future__ import annotations

import numpy as np


def primitive_mesh(prim, floor_thickness: float = 0.02):
    """A trimesh.Trimesh of one :class:`~zerohsi.scenes.primitives.Primitive` in its parent frame."""
    import trimesh

    k, p = prim.kind, prim.params
    if k == "box":
        m = trimesh.creation.box(extents=[2 * h for h in p["half"]])
    elif k == "floor":
        hx, hy = p["half"]
        m = trimesh.creation.box(extents=[2 * hx, 2 * hy, floor_thickness])
        m.apply_translation([0, 0, -floor_thickness / 2])
    elif k == "cylinder":
        m = trimesh.creation.cylinder(radius=p["radius"], height=2 * p["half_height"], sections=24)
    elif k == "capsule":
        m = trimesh.creation.capsule(height=2 * p["half_length"], radius=p["radius"], count=[16, 16])
        m.apply_translation(-m.bounds.mean(0))
    elif k == "sphere":
        m = trimesh.creation.icosphere(subdivisions=2, radius=p["radius"])
    elif k == "torus":
        m = trimesh.creation.torus(major_radius=p["major"], minor_radius=p["minor"], major_sections=24,
                                   minor_sections=12)
    else:  # cone frustum as a surface of revolution
        r1, r2, h = p["r_bottom"], p["r_top"], p["half_height"]
        m = trimesh.creation.revolve(np.array([[0, -h], [r1, -h], [r2, h], [0, h]]), sections=24)
    T = np.eye(4)
    T[:3, :3] = prim.R.detach().cpu().numpy()
    T[:3, 3] = prim.t.detach().cpu().numpy()
    m.apply_transform(T)
    rgb = (np.clip(np.asarray(prim.material.base), 0, 1) * 255).astype(np.uint8)
    m.visual.face_colors = np.concatenate([rgb, [255]])
    return m


def primitives_mesh(prims):
    """One mesh of all visible primitives (concatenated, not boolean-unioned)."""
    import trimesh

    return trimesh.util.concatenate([primitive_mesh(p) for p in prims if p.visible])


def read_mesh(path, what: str, remedy: str):
    """A triangle mesh from ``path`` (any format trimesh reads), or a UserError "``what`` could not be read /
    has no triangles; ``remedy``" (``what`` names the file for the user, e.g. "The object file 'x.obj'")."""
    import trimesh

    from zerohsi.errors import UserError, first_line

    try:
        mesh = trimesh.load(path, force="mesh")
    except Exception as exc:  # noqa: BLE001 -- any parser failure is the user's file
        raise UserError(f"{what} could not be read as a mesh ({first_line(exc, 120)}); {remedy}.") from None
    if len(getattr(mesh, "faces", [])) == 0:
        raise UserError(f"{what} has no triangles; {remedy}.")
    return mesh
