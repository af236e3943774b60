"""Interactive 3D viewer of a run (viser, in the browser): scene Gaussians, the animated body, the object, the
tracked cameras, the source video frame and a timeline with play controls.

The view opens at the run's first tracked camera (the viewpoint of the source video: inside the room, where viser's
default view outside it showed only the walls' backs). The body is sent once as a skinned mesh (four bone weights per
vertex); each frame only moves its bones, so scrubbing a long sequence stays light. The scene starts as Gaussian
splats (subsampled to ``max_splats``); the "scene" menu switches to a point cloud of the Gaussian centres (lighter,
and drawn by any WebGL) or hides it; each is sent to the browser only when first shown. Everything is in zerohsi's
world: +Z up, metres.
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
SCENE_MODES = ("splats", "points", "hidden")
#: the source frame in the side panel is upscaled to at least this width (runs are often 128 px wide)
PANEL_IMAGE_WIDTH = 320


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


def camera_view(world_to_cam: np.ndarray, fy: float, height: int, target: Optional[np.ndarray] = None) -> dict:
    """The viewer pose of an OpenCV camera: position, look-at point, up vector and vertical fov (radians).

    The look-at point lies along the optical axis, at the depth of ``target`` (the action) when given, so orbiting
    turns around what the camera was filming.
    """
    c2w = np.linalg.inv(np.asarray(world_to_cam, dtype=np.float64))
    position, forward, down = c2w[:3, 3], c2w[:3, 2], c2w[:3, 1]
    depth = 2.0 if target is None else max(0.5, float(np.dot(np.asarray(target, np.float64) - position, forward)))
    return {"position": position, "look_at": position + depth * forward, "up": -down,
            "fov": 2 * math.atan(height / 2 / float(fy))}


def panel_image(frame: np.ndarray) -> np.ndarray:
    """A source frame sized for the side panel (nearest-neighbour upscale keeps small renders crisp)."""
    k = max(1, math.ceil(PANEL_IMAGE_WIDTH / max(1, frame.shape[1])))
    return np.ascontiguousarray(np.repeat(np.repeat(frame, k, axis=0), k, axis=1))


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
                 max_splats: int = 200_000, scene_mode: str = "splats", title: str = "zerohsi") -> Viewer:
    """Start a viser server showing ``motion`` and return at once (the server runs in background threads).

    body_model: draws the skinned body (else joints are unknown and only the root path is drawn); scene / obj: a
    zerohsi Scene / SceneObject (their Gaussians, the object's mesh); frames: uint8 (T,H,W,3) source frames, shown
    in the side panel beside the 3D view; scene_mode: how the scene starts
    (points | splats | hidden; the "scene" menu switches).
    """
    import viser

    if scene_mode not in SCENE_MODES:
        from zerohsi.errors import UserError

        raise UserError(f"Unknown scene mode '{scene_mode}'; use one of {', '.join(SCENE_MODES)}.")

    server = viser.ViserServer(host=host, port=port, label=title, verbose=False)
    server.scene.set_up_direction("+z")
    T = len(motion)
    handles: dict[str, Any] = {}

    server.scene.add_grid("/floor", width=10.0, height=10.0, cell_size=0.5,
                          position=(0.0, 0.0, float(getattr(scene, "floor_height", 0.0) or 0.0)))
    scene_layer = None
    if scene is not None and getattr(scene, "gaussians", None) is not None:
        scene_layer = SceneLayer(server, scene.gaussians, max_splats)
        scene_layer.show(scene_mode)
        handles["scene"] = scene_layer

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
            color=CURRENT_CAMERA_COLOR, wxyz=_wxyz(c2w0[:3, :3]), position=c2w0[:3, 3])
        # no source image on the frustum: the view opens at this camera, where the image would fill the whole view;
        # the source frame is in the side panel instead

    start = _start_view(motion, root_path)
    if start is not None:  # new browser tabs (and "reset view") open at the run's first camera
        server.initial_camera.position = start["position"]
        server.initial_camera.look_at = start["look_at"]
        server.initial_camera.up = start["up"]
        server.initial_camera.fov = start["fov"]
    handles["start_view"] = start

    server.gui.add_markdown(f"**{title}** — {T} frames at {motion.fps:g} fps; world +Z up, metres.")
    gui_source = None
    if frames is not None and len(frames):
        gui_source = server.gui.add_image(panel_image(frames[0]), label="source video")
        handles["source_image"] = gui_source
    gui_frame = server.gui.add_slider("frame", min=0, max=max(T - 1, 0), step=1, initial_value=0)
    gui_transport = server.gui.add_button_group("playback", ("|<", "<", "play", "pause", ">"))
    gui_play = server.gui.add_checkbox("playing", initial_value=False)
    gui_fps = server.gui.add_number("fps", initial_value=float(motion.fps), min=0.5, max=120.0, step=0.5)
    if scene_layer is not None:
        gui_scene = server.gui.add_dropdown("scene", SCENE_MODES, initial_value=scene_mode)

        @gui_scene.on_update
        def _(_event) -> None:
            scene_layer.show(str(gui_scene.value))

    handles.update(gui_frame=gui_frame, gui_play=gui_play, gui_transport=gui_transport)
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
            if gui_source is not None and t < len(frames):
                gui_source.image = panel_image(frames[t])
            if gui_frame.value != t:
                gui_frame.value = t

    @gui_frame.on_update
    def _(_event) -> None:
        update(int(gui_frame.value))

    @gui_transport.on_click
    def _(_event) -> None:
        press(str(gui_transport.value))

    def press(button: str) -> None:
        """The playback buttons: first frame, step back, play, pause, step forward."""
        if button in ("play", "pause"):
            gui_play.value = button == "play"
            return
        gui_play.value = False
        t = 0 if button == "|<" else int(gui_frame.value) + (1 if button == ">" else -1)
        update(t % max(1, T))

    handles["press"] = press

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


class SceneLayer:
    """The scene as points, splats or nothing; each representation is sent to the browser the first time it is
    shown (a million splats is a large message) and hidden, not deleted, when another is chosen."""

    def __init__(self, server, g: Gaussians, max_splats: int) -> None:
        n = len(g)
        if n > max_splats:  # the densest scenes hold millions: a random, reproducible subset keeps the browser fluid
            idx = torch.from_numpy(np.random.default_rng(0).choice(n, max_splats, replace=False))
            g = g.select(idx)
        self.server, self.g = server, g
        self.nodes: dict[str, Any] = {}
        self.mode = "hidden"

    def _node(self, mode: str):
        if mode not in self.nodes:
            g = self.g
            centers = g.means.detach().float().cpu().numpy()
            rgb = gaussian_rgb(g)
            if mode == "splats":
                self.nodes[mode] = self.server.scene.add_gaussian_splats(
                    "/scene/splats", centers=centers, covariances=gaussian_covariances(g), rgbs=rgb,
                    opacities=g.opacities.detach().float().cpu().numpy().reshape(-1, 1))
            else:
                self.nodes[mode] = self.server.scene.add_point_cloud(
                    "/scene/points", points=centers, colors=(rgb * 255).astype(np.uint8), point_size=0.02)
        return self.nodes[mode]

    def show(self, mode: str) -> None:
        if mode != "hidden":
            self._node(mode).visible = True
        for other, node in self.nodes.items():
            if other != mode:
                node.visible = False
        self.mode = mode


def _start_view(motion: Motion, root_path: np.ndarray) -> Optional[dict]:
    """Where the view opens: the first tracked camera, aimed at the action's depth (None: viser's default)."""
    if motion.K is None or motion.world_to_cam is None or motion.image_size is None:
        return None
    return camera_view(motion.world_to_cam[0].detach().double().cpu().numpy(), float(motion.K[0, 1, 1]),
                       int(motion.image_size[1]), target=root_path[0])


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
