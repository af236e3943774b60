"""BVH export of the body skeleton.

The hierarchy comes from ``BodyModel.parents``; OFFSETs are rest-pose joint differences (metres) in world-aligned
rest frames, so every joint's rest rotation is the identity. The root carries three position channels (absolute
position of the root joint; its OFFSET is zero, as in most mocap files) and every joint three rotation channels in
``order`` (default ZXY: R = Rz·Rx·Ry, angles in degrees, intrinsic, the usual BVH reading). Euler angles are
unwrapped over time so that tools interpolating between frames do not spin through 360°.
"""

from __future__ import annotations

import io
import os

import numpy as np
from scipy.spatial.transform import Rotation

from zerohsi.io import atomic_write_text
from zerohsi.outputs.export.skeleton import SkeletonAnimation

_AXIS = {"X": "Xrotation", "Y": "Yrotation", "Z": "Zrotation"}


def euler_channels(local_rotations: np.ndarray, order: str = "ZXY") -> np.ndarray:
    """(T,J,3,3) rotations -> (T,J,3) intrinsic Euler angles in degrees, in ``order``, unwrapped along T."""
    order = order.upper()
    if sorted(order) != ["X", "Y", "Z"]:
        raise ValueError(f"rotation order must be a permutation of XYZ, got {order!r}")
    T, J = local_rotations.shape[:2]
    angles = Rotation.from_matrix(local_rotations.reshape(-1, 3, 3)).as_euler(order, degrees=True)
    angles = angles.reshape(T, J, 3)
    return np.unwrap(angles, period=360.0, axis=0)


def bvh_text(anim: SkeletonAnimation, order: str = "ZXY", decimals: int = 6) -> str:
    """The BVH file content for a skeleton animation."""
    order = order.upper()
    angles = euler_channels(anim.local_rotations, order)
    rot_channels = " ".join(_AXIS[a] for a in order)
    out = io.StringIO()
    out.write("HIERARCHY\n")
    fmt = f"{{:.{decimals}f}}"

    def vec(v) -> str:
        return " ".join(fmt.format(float(x)) for x in v)

    names = unique_names(anim.names)

    def write_joint(j: int, depth: int) -> None:
        pad = "  " * depth
        if anim.parents[j] < 0:
            out.write(f"{pad}ROOT {names[j]}\n{pad}{{\n")
            out.write(f"{pad}  OFFSET {vec((0.0, 0.0, 0.0))}\n")
            out.write(f"{pad}  CHANNELS 6 Xposition Yposition Zposition {rot_channels}\n")
        else:
            out.write(f"{pad}JOINT {names[j]}\n{pad}{{\n")
            out.write(f"{pad}  OFFSET {vec(anim.offsets[j])}\n")
            out.write(f"{pad}  CHANNELS 3 {rot_channels}\n")
        kids = anim.children(j)
        for c in kids:
            write_joint(c, depth + 1)
        if not kids:
            out.write(f"{pad}  End Site\n{pad}  {{\n{pad}    OFFSET {vec(_end_site(anim, j))}\n{pad}  }}\n")
        out.write(f"{pad}}}\n")

    write_joint(anim.root, 0)
    order_dfs = anim.depth_first()
    out.write("MOTION\n")
    out.write(f"Frames: {anim.num_frames}\n")
    out.write(f"Frame Time: {1.0 / anim.fps:.8f}\n")
    per_frame = np.concatenate([anim.root_positions[:, None, :], angles[:, order_dfs, :]], axis=1)
    per_frame = per_frame.reshape(anim.num_frames, -1)
    np.savetxt(out, per_frame, fmt=f"%.{decimals}f", delimiter=" ")
    return out.getvalue()


def write_bvh(path: str | os.PathLike, anim: SkeletonAnimation, order: str = "ZXY") -> None:
    """Write ``anim`` as a BVH file atomically."""
    atomic_write_text(path, bvh_text(anim, order))


def _end_site(anim: SkeletonAnimation, j: int) -> np.ndarray:
    """A leaf's end site: half its bone length further along the bone (tools draw the last bone from it)."""
    off = anim.offsets[j]
    n = float(np.linalg.norm(off))
    if anim.parents[j] < 0 or n < 1e-9:
        return np.array([0.0, 0.0, 0.05])
    return 0.5 * off


def unique_names(names: list[str]) -> list[str]:
    """BVH-safe joint names: whitespace becomes '_' (names are whitespace-delimited tokens), clashes get a suffix."""
    out, seen = [], set()
    for i, name in enumerate(names):
        base = "_".join(str(name).split()) or f"joint{i}"
        cand, k = base, 1
        while cand in seen:
            cand, k = f"{base}_{k}", k + 1
        seen.add(cand)
        out.append(cand)
    return out
