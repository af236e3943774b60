"""GLB export: the skinned body mesh, its animation clip and the animated object.

Layout (glTF 2.0, +Y up by the spec; ``up='z'`` keeps zerohsi's frame for tools that expect it):
- one node per joint, parented as in ``BodyModel.parents``; rest rotation identity (world-aligned rest frames),
  rest translation = offset from the parent (the root's = its rest position);
- a skin over those joints with inverse bind matrices = inverse rest frames, and a mesh with POSITION, NORMAL,
  JOINTS_0/WEIGHTS_0 (the four largest skinning weights per vertex, renormalised to sum to one);
- one animation "motion": a rotation channel per joint (local, relative to the parent), a translation channel on the
  root, and translation + rotation channels on the object node; LINEAR interpolation, times in seconds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from scipy.spatial.transform import Rotation

from zerohsi.io import atomic_path
from zerohsi.outputs.export.skeleton import SkeletonAnimation, up_matrix

BODY_COLOR = [0.75, 0.6, 0.5, 1.0]
OBJECT_COLOR = [0.35, 0.55, 0.8, 1.0]


def top_k_weights(weights: np.ndarray, k: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """(V,J) dense skinning weights -> ((V,k) joint indices uint16, (V,k) weights float32 summing to one).

    Vertices with no weight at all are bound fully to joint 0 (glTF requires a non-zero sum).
    """
    weights = np.clip(np.asarray(weights, dtype=np.float64), 0.0, None)
    V, J = weights.shape
    k_eff = min(k, J)
    idx = np.argpartition(-weights, k_eff - 1, axis=1)[:, :k_eff]
    w = np.take_along_axis(weights, idx, axis=1)
    order = np.argsort(-w, axis=1)  # largest first: tidy, and stable for readers that truncate further
    idx, w = np.take_along_axis(idx, order, 1), np.take_along_axis(w, order, 1)
    total = w.sum(1, keepdims=True)
    empty = total[:, 0] <= 0
    w[empty] = 0.0
    w[empty, 0] = 1.0
    idx[empty, 0] = 0
    w = w / w.sum(1, keepdims=True)
    if k_eff < k:
        idx = np.concatenate([idx, np.zeros((V, k - k_eff), idx.dtype)], 1)
        w = np.concatenate([w, np.zeros((V, k - k_eff))], 1)
    w[:, k_eff:] = 0.0
    idx[w == 0] = 0  # unused slots point at joint 0 with weight 0, as the spec recommends
    return idx.astype(np.uint16), w.astype(np.float32)


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(V,3) area-weighted unit normals."""
    v = vertices[faces]
    fn = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
    n = np.zeros_like(vertices)
    for c in range(3):
        np.add.at(n, faces[:, c], fn)
    norm = np.linalg.norm(n, axis=1, keepdims=True)
    n = np.where(norm > 1e-12, n / np.maximum(norm, 1e-12), np.array([0.0, 0.0, 1.0]))
    return n


def quats_xyzw(R: np.ndarray) -> np.ndarray:
    """(T,...,3,3) rotations -> (T,...,4) xyzw quaternions with signs kept continuous along T (for LINEAR)."""
    q = Rotation.from_matrix(R.reshape(-1, 3, 3)).as_quat().reshape(*R.shape[:-2], 4)
    for t in range(1, q.shape[0]):
        flip = (q[t] * q[t - 1]).sum(-1) < 0
        q[t][flip] *= -1
    return q


@dataclass
class _Blob:
    """Accumulates binary data, buffer views and accessors of one GLB buffer."""

    data: bytearray = field(default_factory=bytearray)
    views: list = field(default_factory=list)
    accessors: list = field(default_factory=list)

    def add(self, array: np.ndarray, gl_type: str, *, target: Optional[int] = None, minmax: bool = False) -> int:
        import pygltflib as g

        comp = {np.dtype(np.float32): g.FLOAT, np.dtype(np.uint16): g.UNSIGNED_SHORT,
                np.dtype(np.uint32): g.UNSIGNED_INT, np.dtype(np.uint8): g.UNSIGNED_BYTE}[array.dtype]
        array = np.ascontiguousarray(array)
        while len(self.data) % 4:
            self.data.append(0)
        offset = len(self.data)
        self.data.extend(array.tobytes())
        self.views.append(g.BufferView(buffer=0, byteOffset=offset, byteLength=array.nbytes, target=target))
        count = array.shape[0]
        acc = g.Accessor(bufferView=len(self.views) - 1, byteOffset=0, componentType=comp, count=int(count),
                         type=gl_type)
        if minmax:
            flat = array.reshape(count, -1)
            acc.min = [float(x) for x in flat.min(0)]
            acc.max = [float(x) for x in flat.max(0)]
        self.accessors.append(acc)
        return len(self.accessors) - 1


def write_glb(path: str | os.PathLike, anim: SkeletonAnimation, faces: np.ndarray, skinning_weights: np.ndarray,
              *, up: str = "y", object_poses: Optional[np.ndarray] = None,
              object_mesh: Optional[tuple[np.ndarray, np.ndarray]] = None, object_name: str = "object") -> None:
    """Write a skinned, animated GLB atomically.

    anim: the skeleton animation, already in the ``up`` frame (``skeleton_animation(..., up=up)``);
    faces (F,3) int; skinning_weights (V,J); object_poses (T,4,4) object-to-world in zerohsi's +Z-up frame or None;
    object_mesh (vertices (N,3) in the object's own frame, faces (M,3)) or None (an empty animated node then).
    """
    import pygltflib as g

    U = up_matrix(up)
    blob = _Blob()
    J, T = len(anim.names), anim.num_frames
    faces = np.asarray(faces, dtype=np.int64)
    verts = anim.rest_vertices.astype(np.float32)
    jidx, jw = top_k_weights(np.asarray(skinning_weights))

    nodes = [g.Node(name=anim.names[j], translation=[float(x) for x in anim.offsets[j]],
                    children=anim.children(j) or None) for j in range(J)]
    ibm = np.tile(np.eye(4), (J, 1, 1))
    ibm[:, :3, 3] = -anim.rest_joints
    ibm_acc = blob.add(ibm.transpose(0, 2, 1).reshape(J, 16).astype(np.float32), "MAT4")  # column-major

    prim = g.Primitive(
        attributes=g.Attributes(
            POSITION=blob.add(verts, "VEC3", target=g.ARRAY_BUFFER, minmax=True),
            NORMAL=blob.add(vertex_normals(verts.astype(np.float64), faces).astype(np.float32), "VEC3",
                            target=g.ARRAY_BUFFER),
            JOINTS_0=blob.add(jidx, "VEC4", target=g.ARRAY_BUFFER),
            WEIGHTS_0=blob.add(jw, "VEC4", target=g.ARRAY_BUFFER),
        ),
        indices=blob.add(faces.reshape(-1).astype(np.uint32), "SCALAR", target=g.ELEMENT_ARRAY_BUFFER),
        material=0,
    )
    meshes = [g.Mesh(name="body", primitives=[prim])]
    materials = [g.Material(name="body", pbrMetallicRoughness=g.PbrMetallicRoughness(
        baseColorFactor=BODY_COLOR, metallicFactor=0.0, roughnessFactor=0.8), doubleSided=True)]
    body_node = len(nodes)
    nodes.append(g.Node(name="body", mesh=0, skin=0))
    scene_nodes = [anim.root, body_node]

    times = (np.arange(T, dtype=np.float64) / anim.fps).astype(np.float32)
    t_acc = blob.add(times, "SCALAR", minmax=True)
    samplers, channels = [], []

    def channel(node: int, path_: str, values: np.ndarray, gl_type: str) -> None:
        samplers.append(g.AnimationSampler(input=t_acc, output=blob.add(values.astype(np.float32), gl_type),
                                           interpolation="LINEAR"))
        channels.append(g.AnimationChannel(sampler=len(samplers) - 1,
                                           target=g.AnimationChannelTarget(node=node, path=path_)))

    q = quats_xyzw(anim.local_rotations)  # (T,J,4)
    for j in range(J):
        channel(j, "rotation", q[:, j], "VEC4")
    channel(anim.root, "translation", anim.root_positions, "VEC3")

    if object_poses is not None:
        P = np.asarray(object_poses, dtype=np.float64)
        obj_node = len(nodes)
        mesh_index = None
        if object_mesh is not None:
            ov, of = (np.asarray(a) for a in object_mesh)
            ov = ov.astype(np.float32)
            of = of.astype(np.int64)
            materials.append(g.Material(name=object_name, pbrMetallicRoughness=g.PbrMetallicRoughness(
                baseColorFactor=OBJECT_COLOR, metallicFactor=0.0, roughnessFactor=0.6), doubleSided=True))
            meshes.append(g.Mesh(name=object_name, primitives=[g.Primitive(
                attributes=g.Attributes(
                    POSITION=blob.add(ov, "VEC3", target=g.ARRAY_BUFFER, minmax=True),
                    NORMAL=blob.add(vertex_normals(ov.astype(np.float64), of).astype(np.float32), "VEC3",
                                    target=g.ARRAY_BUFFER)),
                indices=blob.add(of.reshape(-1).astype(np.uint32), "SCALAR", target=g.ELEMENT_ARRAY_BUFFER),
                material=len(materials) - 1)]))
            mesh_index = len(meshes) - 1
        # the object's own frame stays as authored; only its placement changes frame: P -> U P
        R = U @ P[:, :3, :3]
        t = P[:, :3, 3] @ U.T
        nodes.append(g.Node(name=object_name, mesh=mesh_index, translation=[float(x) for x in t[0]],
                            rotation=[float(x) for x in quats_xyzw(R[:1])[0]]))
        scene_nodes.append(obj_node)
        channel(obj_node, "translation", t, "VEC3")
        channel(obj_node, "rotation", quats_xyzw(R), "VEC4")

    gltf = g.GLTF2(
        asset=g.Asset(version="2.0", generator="zerohsi"),
        scene=0,
        scenes=[g.Scene(name="zerohsi", nodes=scene_nodes)],
        nodes=nodes,
        meshes=meshes,
        materials=materials,
        skins=[g.Skin(name="body", joints=list(range(J)), skeleton=anim.root, inverseBindMatrices=ibm_acc)],
        animations=[g.Animation(name="motion", samplers=samplers, channels=channels)],
        accessors=blob.accessors,
        bufferViews=blob.views,
        buffers=[g.Buffer(byteLength=len(blob.data))],
        extras={"up_axis": up, "fps": anim.fps, "frames": T},
    )
    gltf.set_binary_blob(bytes(blob.data))
    with atomic_path(path, suffix=".glb") as tmp:
        gltf.save_binary(str(tmp))
