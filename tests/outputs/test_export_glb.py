"""GLB export: validated by independent loaders (pygltflib for structure, trimesh for loading the file)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from zerohsi.outputs.export import export_motion
from zerohsi.outputs.export.glb import top_k_weights
from zerohsi.outputs.export.skeleton import Z_UP_TO_Y_UP

pygltflib = pytest.importorskip("pygltflib")

_NP = {5126: np.float32, 5123: np.uint16, 5125: np.uint32, 5121: np.uint8}
_NC = {"SCALAR": 1, "VEC3": 3, "VEC4": 4, "MAT4": 16}


def read_accessor(gltf, index: int) -> np.ndarray:
    acc = gltf.accessors[index]
    view = gltf.bufferViews[acc.bufferView]
    data = gltf.binary_blob()
    n = _NC[acc.type]
    start = (view.byteOffset or 0) + (acc.byteOffset or 0)
    arr = np.frombuffer(data, dtype=_NP[acc.componentType], count=acc.count * n, offset=start)
    return arr.reshape(acc.count, n) if n > 1 else arr


def trs(t, q) -> np.ndarray:
    M = np.eye(4)
    M[:3, :3] = Rotation.from_quat(q).as_matrix()  # glTF stores xyzw, as scipy does
    M[:3, 3] = t
    return M


@pytest.fixture(scope="module")
def exported(tmp_path_factory, tiny_body, tiny_motion):
    verts = np.array([[0, 0, 0], [0.1, 0, 0], [0, 0.1, 0], [0, 0, 0.1]], dtype=np.float32)
    faces = np.array([[0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3]])
    out = tmp_path_factory.mktemp("glb")
    path = export_motion(tiny_motion, tiny_body, out, "glb", up="y", object_mesh=(verts, faces), object_name="box")
    return path, pygltflib.GLTF2().load(str(path))


def test_glb_structure_and_accessor_counts(exported, tiny_body, tiny_motion):
    path, g = exported
    assert path.read_bytes()[:4] == b"glTF"
    J, T, V = 5, len(tiny_motion), tiny_body.rest_vertices.shape[0]
    assert len(g.skins) == 1 and len(g.skins[0].joints) == J
    assert g.accessors[g.skins[0].inverseBindMatrices].count == J
    prim = g.meshes[0].primitives[0]
    for attr in ("POSITION", "NORMAL", "JOINTS_0", "WEIGHTS_0"):
        assert g.accessors[getattr(prim.attributes, attr)].count == V, attr
    assert g.accessors[prim.indices].count == tiny_body.faces.numel()
    w = read_accessor(g, prim.attributes.WEIGHTS_0)
    np.testing.assert_allclose(w.sum(1), 1.0, atol=1e-6)
    anim = g.animations[0]
    targets = {(c.target.node, c.target.path) for c in anim.channels}
    assert {(j, "rotation") for j in range(J)} <= targets and (0, "translation") in targets
    obj = next(i for i, n in enumerate(g.nodes) if n.name == "box")
    assert {(obj, "rotation"), (obj, "translation")} <= targets
    for s in anim.samplers:
        assert g.accessors[s.input].count == T and g.accessors[s.output].count == T
    times = read_accessor(g, anim.samplers[0].input)
    np.testing.assert_allclose(times, np.arange(T) / tiny_motion.fps, atol=1e-6)


def _pose_at(g, t: int) -> dict[int, np.ndarray]:
    """Node index -> local 4x4 at keyframe t (animation values over the nodes' rest TRS)."""
    local_t = {i: np.array(n.translation or [0, 0, 0], float) for i, n in enumerate(g.nodes)}
    local_q = {i: np.array(n.rotation or [0, 0, 0, 1], float) for i, n in enumerate(g.nodes)}
    anim = g.animations[0]
    for c in anim.channels:
        vals = read_accessor(g, anim.samplers[c.sampler].output)
        if c.target.path == "translation":
            local_t[c.target.node] = vals[t]
        elif c.target.path == "rotation":
            local_q[c.target.node] = vals[t]
    return {i: trs(local_t[i], local_q[i]) for i in local_t}


def _globals(g, local: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
    out: dict[int, np.ndarray] = {}

    def walk(i: int, parent: np.ndarray) -> None:
        out[i] = parent @ local[i]
        for c in g.nodes[i].children or []:
            walk(c, out[i])

    for root in g.scenes[g.scene].nodes:
        walk(root, np.eye(4))
    return out


def test_glb_posed_skin_recovers_joints_and_vertices(exported, tiny_body, tiny_motion):
    _, g = exported
    U = Z_UP_TO_Y_UP
    out = tiny_body(tiny_motion.body)
    joints = out.joints.double().numpy() @ U.T
    verts = out.vertices.double().numpy() @ U.T
    skin = g.skins[0]
    ibm = read_accessor(g, skin.inverseBindMatrices).reshape(-1, 4, 4).transpose(0, 2, 1)  # column-major
    prim = g.meshes[0].primitives[0]
    rest = read_accessor(g, prim.attributes.POSITION).astype(float)
    jidx = read_accessor(g, prim.attributes.JOINTS_0).astype(int)
    w = read_accessor(g, prim.attributes.WEIGHTS_0).astype(float)
    P = tiny_motion.object_poses.double().numpy()
    obj = next(i for i, n in enumerate(g.nodes) if n.name == "box")
    for t in (0, 5, len(tiny_motion) - 1):
        G = _globals(g, _pose_at(g, t))
        pos = np.stack([G[j][:3, 3] for j in skin.joints])
        np.testing.assert_allclose(pos, joints[t], atol=1e-4)
        # glTF skinning: v' = sum_i w_i * G_joint_i @ IBM_i @ v (the tiny body has <= 2 weights per vertex: exact)
        M = np.stack([G[j] @ ibm[k] for k, j in enumerate(skin.joints)])
        Mv = np.einsum("vk,vkab->vab", w, M[jidx])
        skinned = (Mv[:, :3, :3] @ rest[..., None])[..., 0] + Mv[:, :3, 3]
        np.testing.assert_allclose(skinned, verts[t], atol=1e-4)
        # the object node carries the object pose, re-expressed with +Y up
        np.testing.assert_allclose(G[obj][:3, :3], U @ P[t, :3, :3], atol=1e-5)
        np.testing.assert_allclose(G[obj][:3, 3], U @ P[t, :3, 3], atol=1e-5)


def test_glb_loads_in_trimesh(exported):
    trimesh = pytest.importorskip("trimesh")
    path, _ = exported
    scene = trimesh.load(str(path), force="scene")
    assert len(scene.geometry) == 2
    assert sum(len(m.vertices) for m in scene.geometry.values()) == 20 + 4


def test_top_k_weights_renormalises():
    rng = np.random.default_rng(0)
    W = rng.random((50, 9))
    W[3] = 0
    idx, w = top_k_weights(W)
    assert idx.shape == (50, 4) and w.dtype == np.float32
    np.testing.assert_allclose(w.sum(1), 1, atol=1e-6)
    assert w[3, 0] == 1 and idx[3, 0] == 0
    best = np.sort(W[0])[::-1][:4]
    np.testing.assert_allclose(np.sort(W[0, idx[0]])[::-1], best)
    np.testing.assert_allclose(w[0], W[0, idx[0]] / best.sum(), rtol=1e-6)


def test_glb_single_frame_and_no_object(tmp_path, tiny_body, tiny_motion):
    m = tiny_motion.slice(0, 1)
    m.object_poses = None
    g = pygltflib.GLTF2().load(str(export_motion(m, tiny_body, tmp_path, "glb", up="z")))
    assert len(g.nodes) == 6 and all(g.accessors[s.input].count == 1 for s in g.animations[0].samplers)
    G = _globals(g, _pose_at(g, 0))
    np.testing.assert_allclose(np.stack([G[j][:3, 3] for j in range(5)]), tiny_body(m.body).joints[0].numpy(),
                               atol=1e-5)
