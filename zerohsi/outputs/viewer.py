"""Interactive 3D viewer of a run (viser, in the browser): scene Gaussians, the animated body, the object, the
tracked cameras and a timeline.

The body is sent once as a skinned mesh (four bone weights per vertex); each frame only moves its bones, so scrubbing
a long sequence stays light. The scene is shown as Gaussian splats (subsampled to ``max_splats``), or as a point
cloud of the Gaussian centres with ``splats=False``. Everything is in zerohsi's world: +Z up, metres.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

import numpy as np
import torch

from zerohsi.gaussians import SH_C0

if TYPE_CHECKING:
    from zerohsi.body.params import BodyModel
    from zerohsi.gaussians import Gaussians
    from zerohsi.motion import Motion

BODY_COLOR = (220, 170, 140)
OBJECT_COLOR = (90, 140, 230)
CAMERA_COLOR = (60, 60, 60)
CURRENT_CAMERA_COLOR = (230, 80, 40)
MAX_FRUSTUMS = 40


def gaussian_rgb(g: Gaussians) -> np.ndarray:
    """(N,3) display colour in [0,1]: RGB features as they are, SH through their DC term."""
    c = g.colors.detach().float().cpu()
    rgb = 0.5 + SH_C0 * c[:, 0, :] if c.dim() == 3 else c[:, :3]
    return rgb.clamp(0, 1).numpy()


def gaussian_covariances(g: Gaussians) -> np.ndarray:
    """(N,3,3) world covariances R S² Rᵀ."""
    from zerohsi.geometry import quat_to_matrix

    M = quat_to_matrix(g.quats.detach().float().cpu()) * g.scales.detach().float().cpu()[:, None, :]
    return (M @ M.transpose(-1, -2)).numpy()


def _wxyz(R: np.ndarray) -> np.ndarray:
    from scipy.spatial.transform import Rotation

    R = np.asarray(R, dtype=np.float64)
    q = Rotation.from_matrix(R.reshape(-1, 3, 3)).as_quat().reshape(*R.shape[:-2], 4)  # xyzw
    return np.concatenate([q[..., 3:], q[..., :3]], -1)


@dataclass
class Viewer:
    """A running viewer: ``server`` (viser.ViserServer), ``url``; ``set_frame(t)`` moves everything to frame t."""

    server: Any
    num_frames: int
    fps: float
    url: str
    _update: Any = None
    _stop: threading.Event = field(default_factory=threading.Event)
    handles: dict[str, Any] = field(default_factory=dict)

    def set_frame(self, t: int) -> None:
        self._update(int(t) % max(1, self.num_frames))

    def close(self) -> None:
        self._stop.set()
        self.server.stop()

    def wait(self) -> None:
        """Block until interrupted (Ctrl-C), playing the timeline when the Play box is ticked."""
        try:
            while not self._stop.is_set():
                time.sleep(0.5)
        finally:
            self.close()


def start_viewer(motion: Motion, *, body_model: Optional[BodyModel] = None, scene=None, obj=None,
                 frames: Optional[np.ndarray] = None, host: str = "127.0.0.1", port: int = 8080,
                 max_splats: int = 200_000, splats: bool = True, title: str = "zerohsi") -> Viewer:
    """Start a viser server showing ``motion`` and return at once (the server runs in background threads).

    body_model: draws the skinned body (else joints are unknown and only the root path is drawn); scene / obj: a
    zerohsi Scene / SceneObject (their Gaussians, the object's mesh); frames: uint8 (T,H,W,3) source frames shown on
    the current camera frustum.
    """
    import viser

    server = viser.ViserServer(host=host, port=port, label=title, verbose=False)
    server.scene.set_up_direction("+z")
    T = len(motion)
    handles: dict[str, Any] = {}

    server.scene.add_grid("/floor", width=10.0, height=10.0, cell_size=0.5,
                          position=(0.0, 0.0, float(getattr(scene, "floor_height", 0.0) or 0.0)))
    if scene is not None and getattr(scene, "gaussians", None) is not None:
        _add_scene(server, scene.gaussians, max_splats, splats)

    body_state = None
    if body_model is not None:
        body_state = _add_body(server, motion, body_model, handles)
    root_path = motion.body.transl.detach().cpu().numpy().astype(np.float32)
    if body_state is not None:
        root_path = body_state["joints"][:, body_state["root"]].astype(np.float32)
    if T > 1:
        segs = np.stack([root_path[:-1], root_path[1:]], 1)
        server.scene.add_line_segments("/root_path", segs, colors=(240, 200, 40), line_width=2.0)

    poses = None if motion.object_poses is None else motion.object_poses.detach().double().cpu().numpy()
    if poses is not None:
        mesh = obj.mesh() if obj is not None and hasattr(obj, "mesh") else None
        if mesh is not None:
            handles["object"] = server.scene.add_mesh_simple(
                "/object", np.asarray(mesh.vertices, np.float32), np.asarray(mesh.faces, np.uint32),
                color=OBJECT_COLOR)
        else:
            handles["object"] = server.scene.add_frame("/object", axes_length=0.3, axes_radius=0.01)

    cams = []
    if motion.K is not None and motion.world_to_cam is not None and motion.image_size is not None:
        w, h = motion.image_size
        step = max(1, math.ceil(T / MAX_FRUSTUMS))
        for t in range(0, T, step):
            c2w = np.linalg.inv(motion.world_to_cam[t].detach().double().cpu().numpy())
            fy = float(motion.K[t, 1, 1])
            fov = 2 * math.atan(h / 2 / fy)
            cams.append(server.scene.add_camera_frustum(
                f"/cameras/{t:05d}", fov=fov, aspect=w / h, scale=0.15, color=CAMERA_COLOR,
                wxyz=_wxyz(c2w[:3, :3]), position=c2w[:3, 3]))
        c2w0 = np.linalg.inv(motion.world_to_cam[0].detach().double().cpu().numpy())
        handles["current_camera"] = server.scene.add_camera_frustum(
            "/current_camera", fov=2 * math.atan(h / 2 / float(motion.K[0, 1, 1])), aspect=w / h, scale=0.3,
            color=CURRENT_CAMERA_COLOR, wxyz=_wxyz(c2w0[:3, :3]), position=c2w0[:3, 3],
            image=None if frames is None else frames[0])

    gui_frame = server.gui.add_slider("frame", min=0, max=max(T - 1, 0), step=1, initial_value=0)
    gui_play = server.gui.add_checkbox("play", initial_value=False)
    gui_fps = server.gui.add_number("fps", initial_value=float(motion.fps), min=0.5, max=120.0, step=0.5)
    server.gui.add_markdown(f"**{title}** — {T} frames at {motion.fps:g} fps; world +Z up, metres.")
    lock = threading.RLock()
    shown = {"t": -1}

    def update(t: int) -> None:
        with lock:
            if t == shown["t"]:
                return
            shown["t"] = t  # first: setting the slider below calls back into update with the same t
            if body_state is not None:
                bones = handles["body"].bones
                for j, bone in enumerate(bones):
                    bone.wxyz = body_state["wxyz"][t, j]
                    bone.position = body_state["joints"][t, j]
            if poses is not None:
                handles["object"].wxyz = _wxyz(poses[t, :3, :3])
                handles["object"].position = poses[t, :3, 3]
            if "current_camera" in handles:
                c2w = np.linalg.inv(motion.world_to_cam[t].detach().double().cpu().numpy())
                cam = handles["current_camera"]
                cam.wxyz, cam.position = _wxyz(c2w[:3, :3]), c2w[:3, 3]
                if frames is not None and t < len(frames):
                    cam.image = frames[t]
            if gui_frame.value != t:
                gui_frame.value = t

    @gui_frame.on_update
    def _(_event) -> None:
        update(int(gui_frame.value))

    viewer = Viewer(server=server, num_frames=T, fps=float(motion.fps), url=f"http://{host}:{server.get_port()}",
                    _update=update, handles=handles)

    def player() -> None:
        while not viewer._stop.is_set():
            if gui_play.value and T > 1:
                update((int(gui_frame.value) + 1) % T)
            time.sleep(1.0 / max(0.5, float(gui_fps.value)))

    threading.Thread(target=player, name="zerohsi-viewer-play", daemon=True).start()
    update(0)
    return viewer


def _add_scene(server, g: Gaussians, max_splats: int, splats: bool) -> None:
    n = len(g)
    if n > max_splats:  # the densest scenes hold millions: a random, reproducible subset keeps the browser fluid
        idx = torch.from_numpy(np.random.default_rng(0).choice(n, max_splats, replace=False))
        g = g.select(idx)
    centers = g.means.detach().float().cpu().numpy()
    rgb = gaussian_rgb(g)
    if splats:
        server.scene.add_gaussian_splats("/scene", centers=centers, covariances=gaussian_covariances(g), rgbs=rgb,
                                         opacities=g.opacities.detach().float().cpu().numpy().reshape(-1, 1))
    else:
        server.scene.add_point_cloud("/scene", points=centers, colors=(rgb * 255).astype(np.uint8), point_size=0.02)


def _add_body(server, motion: Motion, body_model: BodyModel, handles: dict) -> dict:
    from zerohsi.outputs.export.glb import top_k_weights
    from zerohsi.outputs.export.skeleton import skeleton_animation

    anim = skeleton_animation(body_model, motion.body, motion.fps, up="z")
    idx, w = top_k_weights(body_model.skinning_weights.detach().cpu().numpy())
    J = len(anim.names)
    dense = np.zeros((len(idx), J), np.float32)
    np.put_along_axis(dense, idx.astype(np.int64), w, axis=1)
    handles["body"] = server.scene.add_mesh_skinned(
        "/body", anim.rest_vertices.astype(np.float32), body_model.faces.cpu().numpy().astype(np.uint32),
        bone_wxyzs=np.tile([1.0, 0.0, 0.0, 0.0], (J, 1)), bone_positions=anim.rest_joints.astype(np.float32),
        skin_weights=dense, color=BODY_COLOR)
    return {"wxyz": _wxyz(anim.global_rotations()), "joints": anim.joints, "root": anim.root}
