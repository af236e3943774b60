"""Instance files: what to act out in a user's own capture, in one YAML file any run takes (``instance.file=``).

An instance file names the scene (a 3DGS ``.ply`` with the alignment ``zerohsi scenes import`` uses: up axis,
scale to metres, floor height), the camera (OpenCV K and world-to-camera in the aligned frame, at the size the
first frame is exported at), the person's start (floor position, heading, standing or sitting), an optional object
(a splat ``.ply`` or a mesh, with its pose), the prompt and the clip length. Relative paths are relative to the
instance file's folder. ``zerohsi scenes instance`` writes one; :func:`build_instance_file` is the Python API.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import torch

from zerohsi.cameras import Camera
from zerohsi.errors import UserError
from zerohsi.scenes.scene import Scene, SceneObject, SceneSpec, Target
from zerohsi.scenes.suite import CameraSpec, HumanInit, Instance, ObjectInit, Step

FORMAT = "zerohsi-instance/1"
#: the seat target a sitting person's start refers to
SEAT = "seat"
#: the first-frame size when none is given: 16:9 720p, which KLING, Runway, Veo and Sora all accept as an input image
DEFAULT_SIZE = (1280, 720)


@dataclass(frozen=True)
class PersonStart:
    """position: floor spot (x, y) of the pelvis, metres; heading_deg: the way the person faces, CCW from +X;
    pose: standing | sitting; seat_height: the seat's top when sitting (metres above the floor)."""

    position: tuple[float, float]
    heading_deg: float
    pose: str = "standing"
    seat_height: Optional[float] = None


@dataclass(frozen=True)
class ObjectStart:
    """file: a splat .ply or a mesh (.obj/.glb/.ply/.stl) of the object, in metres, +Z up; position: where its
    base centre rests in the world; yaw_deg: its turn about +Z; scale: file units to metres."""

    file: str
    position: tuple[float, float, float]
    yaw_deg: float = 0.0
    scale: float = 1.0


@dataclass
class InstanceFile:
    name: str
    prompt: str
    scene: SceneSpec
    camera: Camera
    person: PersonStart
    num_frames: int = 51
    fps: float = 10.0
    object: Optional[ObjectStart] = None
    #: where the camera came from (look-at, default placement, or the capture's camera file and image)
    camera_source: str = "look-at"
    #: the folder relative paths are resolved against
    base: Path = field(default_factory=Path.cwd)

    # -- files ---------------------------------------------------------------------------------------------------
    def to_dict(self, base: Optional[Path] = None) -> dict[str, Any]:
        base = Path(base) if base is not None else self.base

        def rel(p: Optional[str]) -> Optional[str]:
            if p is None:
                return None
            path = (self.base / p).resolve()
            try:
                return os.path.relpath(path, base.resolve())
            except ValueError:  # another drive (Windows)
                return str(path)

        scene = {"ply": rel(self.scene.ply), "up": self.scene.up, "scale": self.scene.scale,
                 "floor_offset": self.scene.floor_offset, "voxel_size": self.scene.voxel_size}
        if self.scene.mesh is not None:
            scene["mesh"] = rel(self.scene.mesh)
        out: dict[str, Any] = {
            "format": FORMAT, "name": self.name, "prompt": self.prompt, "num_frames": int(self.num_frames),
            "fps": float(self.fps), "scene": scene,
            "camera": {**self.camera.to_dict(), "source": self.camera_source},
            "person": {"position": [float(v) for v in self.person.position],
                       "heading_deg": float(self.person.heading_deg), "pose": self.person.pose},
        }
        if self.person.seat_height is not None:
            out["person"]["seat_height"] = float(self.person.seat_height)
        if self.object is not None:
            o = self.object
            out["object"] = {"file": rel(o.file), "position": [float(v) for v in o.position],
                             "yaw_deg": float(o.yaw_deg), "scale": float(o.scale)}
        return out

    def save(self, path: str | os.PathLike) -> Path:
        import yaml

        from zerohsi.io import atomic_write_text

        path = Path(path)
        atomic_write_text(path, "# zerohsi instance file: run it with `zerohsi run PRESET instance.file=" +
                          f"{path.name}`\n" + yaml.safe_dump(self.to_dict(path.parent), sort_keys=False))
        return path

    # -- what a run needs ----------------------------------------------------------------------------------------
    def load_scene(self) -> Scene:
        """The aligned scene, with a ``seat`` target for a sitting start (cached per file and settings)."""
        spec = self.scene
        ply = (self.base / spec.ply).resolve()
        mesh = None if spec.mesh is None else str((self.base / spec.mesh).resolve())
        stamp = ply.stat().st_mtime_ns if ply.is_file() else 0
        scene = _load_scene(str(ply), mesh, spec.up, float(spec.scale), spec.floor_offset, float(spec.voxel_size),
                            stamp)
        if self.person.pose == "sitting":
            scene = _with_targets(scene, {SEAT: self.seat_target()})
        return scene

    def seat_target(self) -> Target:
        x, y = self.person.position
        z = self.person.seat_height if self.person.seat_height is not None else 0.45
        return Target(SEAT, "sit", (float(x), float(y), float(z)), facing_deg=float(self.person.heading_deg))

    def load_object(self) -> Optional[SceneObject]:
        if self.object is None:
            return None
        path = (self.base / self.object.file).resolve()
        return _load_object(str(path), float(self.object.scale), path.stat().st_mtime_ns if path.is_file() else 0)

    def object_pose(self) -> Optional[torch.Tensor]:
        """(4,4) object-to-world start pose, or None without an object."""
        return self.instance().object_pose()

    def instance(self) -> FileInstance:
        """The file as a suite-style :class:`Instance` (a static person's program: idle for the whole clip)."""
        cam = self.camera
        eye = cam.center
        forward = cam.cam_to_world[:3, 2]
        spec = CameraSpec(tuple(eye.tolist()), tuple((eye + forward).tolist()), cam.fov_deg[0], cam.width,
                          cam.height)
        p = self.person
        obj = self.object
        return FileInstance(
            name=self.name, scene=Path(self.scene.ply or "scene").stem, prompt=self.prompt,
            kind="dynamic" if obj is not None else "static",
            human_init=HumanInit(tuple(p.position), float(p.heading_deg), p.pose, SEAT if p.pose == "sitting" else
                                 None),
            camera_spec=spec, program=[Step("idle", self.num_frames / self.fps)], seeds=[0],
            object=None if obj is None else Path(obj.file).stem,
            object_init=None if obj is None else ObjectInit(tuple(obj.position), float(obj.yaw_deg)),
            fps=float(self.fps), num_frames=int(self.num_frames), source=str(self.base), fixed_camera=cam)

    def check(self, scene: Optional[Scene] = None) -> list[str]:
        """Every problem of the capture (scale, floor) and of the placement, one sentence each (see
        :mod:`zerohsi.scenes.placement`)."""
        from zerohsi.scenes.placement import capture_problems, placement_problems

        scene = scene if scene is not None else self.load_scene()
        p = self.person
        return capture_problems(scene)[0] + placement_problems(
            scene, self.camera, p.position, pose=p.pose, seat_z=p.seat_height, obj=self.load_object(),
            object_pose=self.object_pose())


@dataclass
class FileInstance(Instance):
    """An instance from an instance file: its camera is a full pinhole camera (a capture's camera keeps its
    principal point), not a look-at."""

    fixed_camera: Optional[Camera] = None

    def camera(self, width: Optional[int] = None, height: Optional[int] = None) -> Camera:
        cam = self.fixed_camera
        if cam is None:
            return super().camera(width, height)
        w, h = int(width or cam.width), int(height or cam.height)
        # a different aspect would crop the exported view and the returned clip would no longer match it
        if abs(w / h - cam.width / cam.height) * min(h, cam.height) > 1.0:
            hint = max(2, round(w * cam.height / cam.width))
            raise UserError(f"The instance camera is {cam.width}x{cam.height} but the run renders {w}x{h}, another "
                            f"aspect; set render.width={w} render.height={hint}.")
        return cam.fitted(w, h)


@lru_cache(maxsize=4)
def _load_scene(ply: str, mesh: Optional[str], up: str, scale: float, floor: Optional[float], voxel: float,
                stamp: int) -> Scene:
    from zerohsi.scenes.realscene import load_real_scene

    return load_real_scene(SceneSpec(name=Path(ply).stem, ply=ply, mesh=mesh, up=up, scale=scale,
                                     floor_offset=floor, voxel_size=voxel), Path.cwd())


def _with_targets(scene: Scene, targets: dict[str, Target]) -> Scene:
    out = Scene(scene.name, scene.gaussians, scene.sdf_fn, floor_height=scene.floor_height,
                targets={**scene.targets, **targets}, bounds=scene.bounds, source=scene.source, info=scene.info,
                primitives=scene.primitives)
    return out


@lru_cache(maxsize=4)
def _load_object(path: str, scale: float, stamp: int) -> SceneObject:
    """An object from a splat .ply or a mesh, moved into the canonical frame (base on z = 0, centred on Z)."""
    from zerohsi.scenes.occupancy import gaussians_sdf, points_sdf

    p = Path(path)
    if not p.is_file():
        raise UserError(f"The object file '{p}' does not exist; check --object.")
    g, points = None, None
    if p.suffix.lower() == ".ply":
        from zerohsi.ply import read_header

        props = {name for el in read_header(p).elements for name, _ in el.properties}
        if "opacity" in props or "f_dc_0" in props:
            from zerohsi.ply import load_ply

            g = load_ply(p)
    if g is None:
        from zerohsi.scenes.meshing import read_mesh

        mesh = read_mesh(p, f"The object file '{p}' (not a 3DGS .ply)", "export it as a mesh or a 3DGS .ply")
        g, points = _mesh_gaussians(mesh)
    g = replace(g, means=g.means * scale, scales=g.scales * scale)
    lo, hi = g.means.min(0).values, g.means.max(0).values
    shift = torch.tensor([-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2]])
    g = replace(g, means=g.means + shift).with_group(2)
    dims = (hi - lo).tolist()
    if max(dims) < 0.02 or max(dims) > 5.0:
        raise UserError(f"The object '{p.name}' is {max(dims):.3f} m across after scaling; give --object-scale "
                        "(file units to metres) so it is between 2 cm and 5 m.")
    voxel = max(0.01, max(dims) / 48)
    if points is not None:
        sdf = points_sdf(points * scale + shift.numpy(), voxel_size=voxel, floor_height=None)
    else:
        sdf = gaussians_sdf(g, voxel_size=voxel, floor_height=None)
    return SceneObject(p.stem, g, sdf, info={"source": str(p), "geometry": "mesh" if points is not None else
                                             "gaussians"})


def _mesh_gaussians(mesh, n: int = 20000):
    """Flat grey-or-vertex-coloured Gaussians on a mesh's surface, and dense surface samples for its SDF."""
    import numpy as np

    from zerohsi.gaussians import Gaussians
    from zerohsi.geometry import matrix_to_quat
    from zerohsi.scenes.surfels import frame_from_normals

    pts, faces = mesh.sample(n, return_index=True)
    normals = torch.as_tensor(np.asarray(mesh.face_normals[faces]), dtype=torch.float32)
    colors = torch.full((n, 3), 0.6)
    vc = getattr(getattr(mesh, "visual", None), "vertex_colors", None)
    if vc is not None and len(vc) == len(mesh.vertices):
        colors = torch.as_tensor(np.asarray(vc)[mesh.faces[faces][:, 0], :3] / 255.0, dtype=torch.float32)
    spacing = math.sqrt(float(mesh.area) / n)
    scales = torch.tensor([0.85 * spacing, 0.85 * spacing, max(0.085 * spacing, 1e-4)]).expand(n, 3).clone()
    g = Gaussians(torch.as_tensor(np.asarray(pts), dtype=torch.float32), matrix_to_quat(frame_from_normals(normals)),
                  scales, torch.full((n,), 0.97), colors)
    dense = np.asarray(mesh.sample(max(4 * n, 50000)), dtype=np.float64)
    return g, dense


# -- reading ----------------------------------------------------------------------------------------------------
def _need(path: Path, raw: dict, key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in raw:
        raise UserError(f"{path}: is missing `{key}`; write it with `zerohsi scenes instance`.")
    v = raw[key]
    if not isinstance(v, kind) or isinstance(v, bool):
        raise UserError(f"{path}: `{key}` has the wrong type ({type(v).__name__}); write it with "
                        "`zerohsi scenes instance`.")
    return v


def _floats(path: Path, where: str, v: Any, n: int) -> tuple[float, ...]:
    if not isinstance(v, (list, tuple)) or len(v) != n or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in v):
        raise UserError(f"{path}: `{where}` must be a list of {n} numbers, got {v!r}.")
    return tuple(float(x) for x in v)


def load_instance_file(path: str | os.PathLike) -> InstanceFile:
    """Read and validate an instance file (one-sentence UserErrors naming the file and field)."""
    import yaml

    p = Path(path).expanduser()
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"Instance file '{p}' does not exist; write one with `zerohsi scenes instance`.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"Cannot read instance file '{p}': {exc}.") from None
    except yaml.YAMLError:
        raise UserError(f"Instance file '{p}' is not valid YAML; fix its syntax or write it again.") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise UserError(f"'{p}' is not a zerohsi instance file (no `format: {FORMAT}`); write one with "
                        "`zerohsi scenes instance`.")
    known = {"format", "name", "prompt", "num_frames", "fps", "scene", "camera", "person", "object"}
    extra = sorted(set(raw) - known)
    if extra:
        raise UserError(f"{p}: unknown key(s) {', '.join(map(str, extra))}; allowed: {', '.join(sorted(known))}.")
    scene = _need(p, raw, "scene", dict)
    ply = _need(p, scene, "ply", str)
    base = p.parent.resolve()
    if not (base / ply).is_file():
        raise UserError(f"{p}: the scene file '{base / ply}' does not exist; fix `scene.ply`.")
    floor = scene.get("floor_offset")
    spec = SceneSpec(name=Path(ply).stem, ply=ply, mesh=scene.get("mesh"), up=str(scene.get("up", "+z")),
                     scale=float(scene.get("scale", 1.0)), floor_offset=None if floor is None else float(floor),
                     voxel_size=float(scene.get("voxel_size", 0.05)))
    cam_raw = _need(p, raw, "camera", dict)
    try:
        camera = Camera.from_dict(cam_raw)
        if camera.K.shape != (3, 3) or camera.world_to_cam.shape != (4, 4) or min(camera.width, camera.height) < 8:
            raise ValueError("K must be 3x3, world_to_cam 4x4, the size at least 8 px")
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise UserError(f"{p}: `camera` is not a camera ({exc}); it needs K, world_to_cam, width and height.") \
            from None
    person = _need(p, raw, "person", dict)
    pose = person.get("pose", "standing")
    if pose not in ("standing", "sitting"):
        raise UserError(f"{p}: `person.pose` must be standing or sitting, got {pose!r}.")
    seat = person.get("seat_height")
    start = PersonStart(_floats(p, "person.position", person.get("position"), 2),
                        float(_floats(p, "person.heading_deg", [person.get("heading_deg", 0.0)], 1)[0]), pose,
                        None if seat is None else float(seat))
    obj = None
    if raw.get("object") is not None:
        o = _need(p, raw, "object", dict)
        obj = ObjectStart(_need(p, o, "file", str), _floats(p, "object.position", o.get("position"), 3),
                          float(o.get("yaw_deg", 0.0)), float(o.get("scale", 1.0)))
    frames = raw.get("num_frames", 51)
    fps = raw.get("fps", 10.0)
    if isinstance(frames, bool) or not isinstance(frames, int) or frames < 2:
        raise UserError(f"{p}: `num_frames` must be an integer >= 2, got {frames!r}.")
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not 0 < fps <= 240:
        raise UserError(f"{p}: `fps` must be a number in (0, 240], got {fps!r}.")
    return InstanceFile(name=str(raw.get("name") or p.stem), prompt=str(_need(p, raw, "prompt", str)), scene=spec,
                        camera=camera, person=start, num_frames=frames, fps=float(fps), object=obj,
                        camera_source=str(cam_raw.get("source", "look-at")), base=base)


def resolve_instance(icfg, *, density: float | None = None):
    """(instance, scene, object or None) of a run's ``instance`` config: the instance file when ``file`` is set,
    otherwise the suite instance with its procedural twin (or ``scene_ply``)."""
    from zerohsi.scenes import build_object, build_scene
    from zerohsi.scenes.suite import load_suite

    if getattr(icfg, "file", None):
        f = load_instance_file(icfg.file)
        scene = f.load_scene()
        problems = f.check(scene)  # before anything is rendered, generated or paid for
        if problems:
            raise UserError(f"{icfg.file}: {problems[0]}")
        return f.instance(), scene, f.load_object()
    inst = load_suite(icfg.suite).get(icfg.name)
    scene = build_scene(inst.scene, density=icfg.scene_density if density is None else density, ply=icfg.scene_ply)
    obj = build_object(inst.object) if inst.object else None
    if icfg.scene_ply:
        check_suite_instance_on_capture(inst, scene, obj)
    return inst, scene, obj


def check_suite_instance_on_capture(inst: Instance, scene: Scene, obj: Optional[SceneObject]) -> None:
    """A suite instance (made for its procedural twin) played in the user's capture: its start and camera must fit
    the capture, else a UserError pointing to `zerohsi scenes instance` (the twin's start may lie outside it)."""
    from zerohsi.scenes.placement import capture_problems, placement_problems

    hi = inst.human_init
    sitting = hi.pose == "sitting" and hi.seat in scene.targets
    seat = scene.targets[hi.seat].point if sitting else None
    xy = (seat[0], seat[1]) if seat is not None else tuple(hi.root_xy)
    problems = capture_problems(scene)[0] or placement_problems(
        scene, inst.camera(), xy, pose="sitting" if sitting else "standing", seat_z=None if seat is None else seat[2],
        obj=obj, object_pose=inst.object_pose())
    if problems:
        raise UserError(f"{problems[0].rstrip('.')}; suite instance '{inst.name}' was laid out for the procedural "
                        f"{inst.scene}, so write an instance file for this capture with `zerohsi scenes instance`.")


# -- building one -----------------------------------------------------------------------------------------------
def alignment(scene: Scene) -> tuple[torch.Tensor, float]:
    """(T (4,4), scale): how the capture's frame maps onto the aligned scene's (x -> scale * R x + t)."""
    from zerohsi.scenes.realscene import up_rotation

    T = torch.eye(4)
    T[:3, :3] = up_rotation(scene.info.get("up", "+z"))
    T[2, 3] = -float(scene.info.get("floor_offset", 0.0))
    return T, float(scene.info.get("scale", 1.0))


def capture_camera(path: str | os.PathLike, index: int, scene: Scene) -> tuple[Camera, str]:
    """Camera ``index`` of a capture's camera file, moved into the aligned scene's frame, and a note of its source."""
    from zerohsi.cameras import read_capture_cameras

    cams = read_capture_cameras(path)
    if not 0 <= index < len(cams):
        raise UserError(f"'{path}' holds {len(cams)} cameras (0..{len(cams) - 1}); pick --camera-index in that "
                        "range.")
    name, cam = cams[index]
    T, s = alignment(scene)
    return cam.transformed(T, s), f"{Path(path).name} #{index} ({name})"


def build_instance_file(ply: str | os.PathLike, *, prompt: str, num_frames: int = 51, fps: float = 10.0,
                        up: str = "+z", scale: float = 1.0, floor_offset: Optional[float] = None,
                        voxel_size: float = 0.05, mesh: Optional[str] = None,
                        size: tuple[int, int] = DEFAULT_SIZE, fov_deg: float = 60.0,
                        look_at: Optional[tuple[float, ...]] = None, cameras: Optional[str] = None,
                        camera_index: int = 0, person_at: Optional[tuple[float, float]] = None,
                        heading_deg: Optional[float] = None, sitting: bool = False,
                        seat_height: Optional[float] = None, object_file: Optional[str] = None,
                        object_pose: Optional[tuple[float, ...]] = None, object_scale: float = 1.0,
                        name: Optional[str] = None, base: Optional[Path] = None, check: bool = True) -> InstanceFile:
    """An instance for a capture: camera from ``look_at`` (eye xyz + target xyz), a capture's camera file
    (``cameras`` + ``camera_index``, refitted to ``size``) or, with neither and no ``person_at``, the default
    placement; the person at ``person_at`` (facing the camera unless ``heading_deg``), or where the given camera
    sees them best; an optional object at
    ``object_pose`` (x, y, z[, yaw]). Raises a UserError naming every placement problem when ``check``."""
    from zerohsi.scenes.placement import capture_problems, default_placement, person_in_view
    from zerohsi.scenes.placement import seat_height as find_seat

    base = Path(base) if base is not None else Path.cwd()
    ply = Path(ply)
    if not ply.is_file():
        raise UserError(f"The scene file '{ply}' does not exist; check the path.")
    if num_frames < 2 or not 0 < fps <= 240:
        raise UserError(f"A clip of {num_frames} frames at {fps:g} fps is not possible; use --frames >= 2 and "
                        "--fps in (0, 240].")
    w, h = size
    if not (64 <= w <= 4096 and 64 <= h <= 4096):
        raise UserError(f"First-frame size {w}x{h} is out of range; use 64 to 4096 pixels per side.")
    spec = SceneSpec(name=ply.stem, ply=str(ply.resolve()), mesh=None if mesh is None else str(Path(mesh).resolve()),
                     up=up, scale=scale, floor_offset=floor_offset, voxel_size=voxel_size)
    scene = _load_scene(spec.ply, spec.mesh, up, float(scale), floor_offset, float(voxel_size),
                        ply.stat().st_mtime_ns)
    errors, _ = capture_problems(scene)
    if errors:
        raise UserError(errors[0])
    spec = replace(spec, floor_offset=float(scene.info.get("floor_offset", 0.0)))
    source = "look-at"
    camera = None
    if cameras is not None:
        camera, source = capture_camera(cameras, camera_index, scene)
        camera = camera.fitted(w, h)
    elif look_at is not None:
        if len(look_at) != 6:
            raise UserError("--camera-look-at needs six numbers: eye x,y,z then target x,y,z.")
        camera = Camera.look_at(look_at[:3], look_at[3:], width=w, height=h, fov_deg=fov_deg)
    if person_at is None and camera is None:
        person_at, heading, camera = default_placement(scene, w, h, fov_deg)
        source = "default placement"
    elif camera is None:
        raise UserError("--person-at needs a camera too; give --camera-look-at or --cameras (or neither, for the "
                        "default placement).")
    else:
        if person_at is None:  # the camera is given: the person where it sees them best
            person_at = person_in_view(scene, camera)
        eye = camera.center
        heading = math.degrees(math.atan2(float(eye[1]) - person_at[1], float(eye[0]) - person_at[0]))
    if heading_deg is not None:
        heading = float(heading_deg)
    seat = None
    if sitting:
        seat = float(seat_height) if seat_height is not None else find_seat(scene, person_at)
        if seat - scene.floor_height < 0.2:
            raise UserError(f"There is no seat under ({person_at[0]:.2f}, {person_at[1]:.2f}) (the surface there is "
                            f"{seat - scene.floor_height:.2f} m high); move --person-at onto a seat or give "
                            "--seat-height.")
    obj = None
    if object_file is not None:
        if object_pose is None or len(object_pose) not in (3, 4):
            raise UserError("--object needs --object-pose x,y,z[,yaw_deg]: where its base rests, and its turn.")
        obj = ObjectStart(os.path.relpath(Path(object_file).resolve(), base.resolve()), tuple(object_pose[:3]),
                          float(object_pose[3]) if len(object_pose) == 4 else 0.0, float(object_scale))
    inst = InstanceFile(name=name or ply.stem, prompt=prompt, scene=replace(spec, ply=os.path.relpath(
        spec.ply, base.resolve()), mesh=None if spec.mesh is None else os.path.relpath(spec.mesh, base.resolve())),
        camera=camera, person=PersonStart((float(person_at[0]), float(person_at[1])), round(float(heading), 2),
                                          "sitting" if sitting else "standing", seat),
        num_frames=int(num_frames), fps=float(fps), object=obj, camera_source=source, base=base.resolve())
    if check:
        scene_used = _with_targets(scene, {SEAT: inst.seat_target()}) if sitting else scene
        problems = inst.check(scene_used)
        if problems:
            raise UserError(problems[0])  # the first: fixing it often moves the others
    return inst


__all__ = ["DEFAULT_SIZE", "FileInstance", "InstanceFile", "ObjectStart", "PersonStart", "build_instance_file",
           "check_suite_instance_on_capture", "load_instance_file", "resolve_instance"]
