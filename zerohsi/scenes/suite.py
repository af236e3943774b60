"""The AnyInteraction benchmark suite as data: instances, their motion programs, and their loader/validator.

Data lives in ``benchmarks/anyinteraction/`` (``suite.yaml`` + ``instances/*.yaml``; the schema is documented in
that folder's README.md). Set ``ZEROHSI_SUITES_DIR`` to load suites from another folder with the same layout.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional, Union

import torch

from zerohsi.cameras import Camera
from zerohsi.errors import UserError
from zerohsi.scenes.scene import TARGET_KINDS, SceneSpec, Target

HANDS = ("left", "right", "both")
POSES = ("standing", "sitting")

#: action -> (required argument names, optional argument names); every step also needs duration_s
ACTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "walk_to": (("target",), ()),
    "turn_to": ((), ("yaw_deg", "target")),
    "sit": (("target",), ()),
    "stand_up": ((), ()),
    "lie": (("target",), ()),
    "reach": (("hand",), ("point", "target")),
    "pick_up": (("hand", "region"), ()),
    "carry_to": (("target",), ()),
    "put_down": (("target",), ()),
    "push": (("to",), ("hand", "region")),
    "lift": (("height_m",), ()),
    "idle": ((), ()),
}
#: actions that need the instance to have an object
OBJECT_ACTIONS = ("pick_up", "carry_to", "put_down", "push", "lift")

Location = Union[str, tuple[float, ...]]


def default_suites_dir() -> Path:
    env = os.environ.get("ZEROHSI_SUITES_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "benchmarks"


@dataclass(frozen=True)
class Step:
    """One step of a motion program: ``action`` (see ACTIONS), ``duration_s`` > 0 and the action's ``args``.

    Location arguments (target, point, to) are either a scene target name (str) or coordinates: [x, y] on the
    floor or [x, y, z] in the world, metres."""

    action: str
    duration_s: float
    args: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.args.get(key, default)

    def as_dict(self) -> dict[str, Any]:
        return {self.action: {**self.args, "duration_s": self.duration_s}}


@dataclass(frozen=True)
class HumanInit:
    """Initial human state: root_xy (pelvis over the floor, metres), yaw_deg (facing heading, CCW from +X),
    pose (standing | sitting); seat: the sit target when sitting."""

    root_xy: tuple[float, float]
    yaw_deg: float
    pose: str = "standing"
    seat: Optional[str] = None


@dataclass(frozen=True)
class ObjectInit:
    """Initial object pose: position (x, y, z) of the canonical frame's origin (the object's resting base) in the
    world; yaw_deg about +Z; resting_on: the surface target (or "floor") it rests on."""

    position: tuple[float, float, float]
    yaw_deg: float = 0.0
    resting_on: str = "floor"


@dataclass(frozen=True)
class CameraSpec:
    eye: tuple[float, float, float]
    target: tuple[float, float, float]
    fov_deg: float = 60.0
    width: int = 512
    height: int = 384


@dataclass
class Instance:
    """One AnyInteraction instance (see benchmarks/anyinteraction/README.md for the file schema)."""

    name: str
    scene: str
    prompt: str
    kind: str  # static | dynamic
    human_init: HumanInit
    camera_spec: CameraSpec
    program: list[Step]
    seeds: list[int]
    object: Optional[str] = None
    object_init: Optional[ObjectInit] = None
    fps: float = 10.0
    num_frames: int = 51
    source: Optional[str] = None

    @property
    def dynamic(self) -> bool:
        return self.kind == "dynamic"

    @property
    def duration_s(self) -> float:
        return float(sum(s.duration_s for s in self.program))

    def object_pose(self, dtype=torch.float32) -> Optional[torch.Tensor]:
        """(4,4) object-to-world initial pose, or None for static instances."""
        if self.object_init is None:
            return None
        c, s = math.cos(math.radians(self.object_init.yaw_deg)), math.sin(math.radians(self.object_init.yaw_deg))
        T = torch.eye(4, dtype=dtype)
        T[:2, :2] = torch.tensor([[c, -s], [s, c]], dtype=dtype)
        T[:3, 3] = torch.tensor(self.object_init.position, dtype=dtype)
        return T

    def camera(self, width: Optional[int] = None, height: Optional[int] = None) -> Camera:
        """The instance camera (horizontal field of view kept) at ``width`` x ``height`` (default: the spec's)."""
        c = self.camera_spec
        return Camera.look_at(c.eye, c.target, width=int(width or c.width), height=int(height or c.height),
                              fov_deg=c.fov_deg)

    def locations(self) -> list[tuple[str, Location]]:
        """Every (argument, location) the program names, in order (for checks and trajectory exports)."""
        out = []
        for step in self.program:
            for key in ("target", "point", "to"):
                if key in step.args:
                    out.append((key, step.args[key]))
        return out


@dataclass
class Suite:
    name: str
    instances: list[Instance]
    scenes: dict[str, SceneSpec]
    root: Path

    def get(self, name: str) -> Instance:
        for inst in self.instances:
            if inst.name == name:
                return inst
        raise UserError(f"Suite '{self.name}' has no instance '{name}'; run `zerohsi scenes list` to see them.")

    def names(self) -> list[str]:
        return [i.name for i in self.instances]

    def __len__(self) -> int:
        return len(self.instances)


# -- parsing -----------------------------------------------------------------------------------------------------
class _Ctx:
    """Error context: every message names the file and the field."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, what: str) -> UserError:
        return UserError(f"{self.path}: {where} {what}.")


def _read_yaml(path: Path) -> Any:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"Suite file '{path}' does not exist; check ZEROHSI_SUITES_DIR or the suite name.") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise UserError(f"{path}: is not valid YAML{line}; fix its syntax.") from None


def _num(ctx: _Ctx, where: str, v: Any, *, positive: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ctx.fail(where, f"must be a number, got {v!r}")
    if positive and v <= 0:
        raise ctx.fail(where, f"must be positive, got {v!r}")
    return float(v)


def _vec(ctx: _Ctx, where: str, v: Any, sizes: tuple[int, ...]) -> tuple[float, ...]:
    if not isinstance(v, (list, tuple)) or len(v) not in sizes:
        raise ctx.fail(where, f"must be a list of {' or '.join(map(str, sizes))} numbers, got {v!r}")
    return tuple(_num(ctx, where, x) for x in v)


def _str(ctx: _Ctx, where: str, v: Any, choices: Optional[tuple[str, ...]] = None) -> str:
    if not isinstance(v, str) or not v:
        raise ctx.fail(where, f"must be a non-empty string, got {v!r}")
    if choices is not None and v not in choices:
        raise ctx.fail(where, f"must be one of {', '.join(choices)}, got {v!r}")
    return v


def _mapping(ctx: _Ctx, where: str, v: Any, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
    if not isinstance(v, dict):
        raise ctx.fail(where, f"must be a mapping, got {type(v).__name__}")
    extra = sorted(set(v) - set(allowed))
    if extra:
        raise ctx.fail(where, f"has unknown key(s) {', '.join(map(str, extra))}; allowed: {', '.join(allowed)}")
    missing = [k for k in required if k not in v]
    if missing:
        raise ctx.fail(where, f"is missing {', '.join(missing)}")
    return v


def _location(ctx: _Ctx, where: str, v: Any, sizes: tuple[int, ...] = (2, 3)) -> Location:
    if isinstance(v, str):
        return _str(ctx, where, v)
    return _vec(ctx, where, v, sizes)


def parse_step(ctx: _Ctx, where: str, raw: Any) -> Step:
    """A step is a one-key mapping ``{action: {args..., duration_s}}``."""
    if not isinstance(raw, dict) or len(raw) != 1:
        raise ctx.fail(where, "must be a one-key mapping like `walk_to: {target: sofa, duration_s: 2.0}`")
    (action, args), = raw.items()
    if action not in ACTIONS:
        raise ctx.fail(where, f"has unknown action {action!r}; choose one of {', '.join(ACTIONS)}")
    required, optional = ACTIONS[action]
    if args is not None and not isinstance(args, dict):
        raise ctx.fail(where, f"({action}) must map to its arguments, like `{action}: {{duration_s: 1.0}}`")
    args = dict(args or {})
    _mapping(ctx, f"{where} ({action})", args, required + optional + ("duration_s",), required + ("duration_s",))
    w = f"{where} ({action})"
    duration = _num(ctx, f"{w}.duration_s", args.pop("duration_s"), positive=True)
    out: dict[str, Any] = {}
    for key, val in args.items():
        kw = f"{w}.{key}"
        if key == "hand":
            out[key] = _str(ctx, kw, val, HANDS)
        elif key == "region":
            regions = [val] if isinstance(val, str) else val
            if not isinstance(regions, list) or not regions:
                raise ctx.fail(kw, "must be a region name or a list of region names")
            out[key] = [_str(ctx, kw, r) for r in regions]
        elif key in ("yaw_deg", "height_m"):
            out[key] = _num(ctx, kw, val)
        elif key == "to":
            out[key] = _location(ctx, kw, val, (2,))
        elif key == "point":
            out[key] = _location(ctx, kw, val, (3,))
        else:  # target
            out[key] = _location(ctx, kw, val)
    if action == "turn_to" and (("yaw_deg" in out) == ("target" in out)):
        raise ctx.fail(w, "needs exactly one of yaw_deg or target")
    if action == "reach" and (("point" in out) == ("target" in out)):
        raise ctx.fail(w, "needs exactly one of point or target")
    if action == "lift" and not 0 < out["height_m"] <= 2.5:
        raise ctx.fail(f"{w}.height_m", f"must be in (0, 2.5] metres, got {out['height_m']}")
    return Step(action, duration, out)


def parse_instance(path: Path, raw: Any, seeds: list[int], fps: float, num_frames: int) -> Instance:
    ctx = _Ctx(path)
    keys = ("name", "scene", "object", "prompt", "kind", "human_init", "object_init", "camera", "program", "seeds")
    _mapping(ctx, "the instance", raw, keys, ("name", "scene", "prompt", "kind", "human_init", "camera", "program"))
    name = _str(ctx, "name", raw["name"])
    kind = _str(ctx, "kind", raw["kind"], ("static", "dynamic"))
    obj = raw.get("object")
    if kind == "dynamic":
        obj = _str(ctx, "object", obj)
        if "object_init" not in raw:
            raise ctx.fail("object_init", "is required for a dynamic instance")
    elif obj is not None or "object_init" in raw:
        raise ctx.fail("object", "is only allowed for dynamic instances (kind: dynamic)")
    hi = _mapping(ctx, "human_init", raw["human_init"], ("root_xy", "yaw_deg", "pose", "seat"), ("root_xy", "yaw_deg"))
    human = HumanInit(_vec(ctx, "human_init.root_xy", hi["root_xy"], (2,)),  # type: ignore[arg-type]
                      _num(ctx, "human_init.yaw_deg", hi["yaw_deg"]),
                      _str(ctx, "human_init.pose", hi.get("pose", "standing"), POSES),
                      _str(ctx, "human_init.seat", hi["seat"]) if hi.get("seat") is not None else None)
    if human.pose == "sitting" and human.seat is None:
        raise ctx.fail("human_init.seat", "is required when the initial pose is sitting")
    oinit = None
    if kind == "dynamic":
        oi = _mapping(ctx, "object_init", raw["object_init"], ("position", "yaw_deg", "resting_on"), ("position",))
        oinit = ObjectInit(_vec(ctx, "object_init.position", oi["position"], (3,)),  # type: ignore[arg-type]
                           _num(ctx, "object_init.yaw_deg", oi.get("yaw_deg", 0.0)),
                           _str(ctx, "object_init.resting_on", oi.get("resting_on", "floor")))
    cam = _mapping(ctx, "camera", raw["camera"], ("eye", "target", "fov_deg", "width", "height"), ("eye", "target"))
    width, height = cam.get("width", 512), cam.get("height", 384)
    for k, v in (("width", width), ("height", height)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 8:
            raise ctx.fail(f"camera.{k}", f"must be an integer >= 8, got {v!r}")
    fov = _num(ctx, "camera.fov_deg", cam.get("fov_deg", 60.0), positive=True)
    if fov >= 170:
        raise ctx.fail("camera.fov_deg", f"must be below 170 degrees, got {fov}")
    camera = CameraSpec(_vec(ctx, "camera.eye", cam["eye"], (3,)), _vec(ctx, "camera.target", cam["target"], (3,)),  # type: ignore[arg-type]
                        fov, width, height)
    if camera.eye == camera.target:
        raise ctx.fail("camera", "has its eye at its target")
    prog = raw["program"]
    if not isinstance(prog, list) or not prog:
        raise ctx.fail("program", "must be a non-empty list of steps")
    program = [parse_step(ctx, f"program[{i}]", s) for i, s in enumerate(prog)]
    holding = False
    for i, step in enumerate(program):
        if step.action in OBJECT_ACTIONS and kind != "dynamic":
            raise ctx.fail(f"program[{i}] ({step.action})", "needs an object; only dynamic instances have one")
        if step.action == "pick_up":
            holding = True
        elif step.action in ("carry_to", "put_down", "lift") and not holding:
            raise ctx.fail(f"program[{i}] ({step.action})", "must come after a pick_up step")
        if step.action == "put_down":
            holding = False
    inst_seeds = raw.get("seeds", seeds)
    if not isinstance(inst_seeds, list) or not inst_seeds or not all(isinstance(s, int) for s in inst_seeds):
        raise ctx.fail("seeds", f"must be a non-empty list of integers, got {inst_seeds!r}")
    return Instance(name=name, scene=_str(ctx, "scene", raw["scene"]), prompt=_str(ctx, "prompt", raw["prompt"]),
                    kind=kind, human_init=human, camera_spec=camera, program=program, seeds=list(inst_seeds),
                    object=obj, object_init=oinit, fps=fps, num_frames=num_frames, source=str(path))


def _parse_scene_specs(ctx: _Ctx, raw: Any) -> dict[str, SceneSpec]:
    specs: dict[str, SceneSpec] = {}
    if raw is None:
        return specs
    if not isinstance(raw, dict):
        raise ctx.fail("scenes", "must be a mapping of scene name to settings")
    for name, entry in raw.items():
        entry = entry or {}
        w = f"scenes.{name}"
        _mapping(ctx, w, entry, ("ply", "mesh", "up", "scale", "floor_offset", "voxel_size", "targets"))
        targets = {}
        for tname, t in (entry.get("targets") or {}).items():
            tw = f"{w}.targets.{tname}"
            _mapping(ctx, tw, t, ("kind", "point", "facing_deg", "approach", "extent"), ("kind", "point"))
            targets[tname] = Target(tname, _str(ctx, f"{tw}.kind", t["kind"], TARGET_KINDS),
                                    _vec(ctx, f"{tw}.point", t["point"], (3,)),  # type: ignore[arg-type]
                                    _num(ctx, f"{tw}.facing_deg", t.get("facing_deg", 0.0)),
                                    _vec(ctx, f"{tw}.approach", t["approach"], (2,)) if t.get("approach") else None,  # type: ignore[arg-type]
                                    _vec(ctx, f"{tw}.extent", t["extent"], (2,)) if t.get("extent") else None)  # type: ignore[arg-type]
        floor = entry.get("floor_offset")
        specs[name] = SceneSpec(
            name=name,
            ply=_str(ctx, f"{w}.ply", entry["ply"]) if entry.get("ply") is not None else None,
            mesh=_str(ctx, f"{w}.mesh", entry["mesh"]) if entry.get("mesh") is not None else None,
            up=_str(ctx, f"{w}.up", entry.get("up", "+z"), ("+x", "-x", "+y", "-y", "+z", "-z")),
            scale=_num(ctx, f"{w}.scale", entry.get("scale", 1.0), positive=True),
            floor_offset=None if floor is None else _num(ctx, f"{w}.floor_offset", floor),
            voxel_size=_num(ctx, f"{w}.voxel_size", entry.get("voxel_size", 0.05), positive=True),
            targets=targets)
    return specs


def _suite_file(root: Path) -> Path:
    return root / "anyinteraction" / "suite.yaml"


def load_suite(name: str = "anyinteraction", root: Optional[Union[str, Path]] = None) -> Suite:
    """Load a suite by name (``anyinteraction``, ``anyinteraction-lite``) from the suites folder.

    The folder holds ``anyinteraction/suite.yaml`` (suite definitions and scene settings) and
    ``anyinteraction/instances/*.yaml``; every file is validated and a bad one raises a one-sentence UserError."""
    root_path = Path(root) if root is not None else default_suites_dir()
    return _load_suite_cached(name, str(root_path.resolve()))


@lru_cache(maxsize=8)
def _load_suite_cached(name: str, root: str) -> Suite:
    root_path = Path(root)
    path = _suite_file(root_path)
    ctx = _Ctx(path)
    raw = _read_yaml(path)
    _mapping(ctx, "the suite file", raw, ("seeds", "fps", "num_frames", "suites", "scenes"), ("suites",))
    seeds = raw.get("seeds", [0, 1, 2, 3, 4])
    fps = _num(ctx, "fps", raw.get("fps", 10.0), positive=True)
    num_frames = raw.get("num_frames", 51)
    if isinstance(num_frames, bool) or not isinstance(num_frames, int) or num_frames < 2:
        raise ctx.fail("num_frames", f"must be an integer >= 2, got {num_frames!r}")
    suites = raw["suites"]
    if not isinstance(suites, dict) or name not in suites:
        known = ", ".join(suites) if isinstance(suites, dict) else "(none)"
        raise UserError(f"Unknown suite '{name}'; choose one of {known}.")
    entry = _mapping(ctx, f"suites.{name}", suites[name] or {}, ("instances", "seeds"))
    suite_seeds = entry.get("seeds", seeds)
    inst_dir = path.parent / "instances"
    files = sorted(inst_dir.glob("*.yaml"))
    instances = {}
    for f in files:
        inst = parse_instance(f, _read_yaml(f), list(suite_seeds), fps, num_frames)
        if inst.name != f.stem:
            raise _Ctx(f).fail("name", f"must match the file name '{f.stem}', got {inst.name!r}")
        instances[inst.name] = inst
    wanted = entry.get("instances", "all")
    if wanted == "all":
        chosen = list(instances.values())
    else:
        if not isinstance(wanted, list):
            raise ctx.fail(f"suites.{name}.instances", "must be `all` or a list of instance names")
        missing = [w for w in wanted if w not in instances]
        if missing:
            raise ctx.fail(f"suites.{name}.instances", f"names unknown instance(s) {', '.join(map(str, missing))}")
        chosen = [instances[w] for w in wanted]
    return Suite(name, chosen, _parse_scene_specs(ctx, raw.get("scenes")), path.parent)


def scene_spec(scene: str, root: Optional[Union[str, Path]] = None) -> Optional[SceneSpec]:
    """The settings of ``scene`` in the AnyInteraction suite file (None when it has none)."""
    root_path = Path(root) if root is not None else default_suites_dir()
    if not _suite_file(root_path).is_file():
        return None
    return load_suite("anyinteraction", root_path).scenes.get(scene)


def check_instance(inst: Instance, targets: dict[str, Target], regions: Optional[set[str]] = None) -> None:
    """Check the names an instance uses against its scene's targets (and object's contact regions): raises a
    UserError naming the first unknown one."""
    ctx = _Ctx(Path(inst.source or inst.name))
    known = set(targets) | {"floor"}
    if inst.human_init.seat is not None and inst.human_init.seat not in targets:
        raise ctx.fail("human_init.seat", f"names unknown target {inst.human_init.seat!r} of scene {inst.scene!r}")
    if inst.object_init is not None and inst.object_init.resting_on not in known:
        raise ctx.fail("object_init.resting_on",
                       f"names unknown surface {inst.object_init.resting_on!r} of scene {inst.scene!r}")
    kinds = {"sit": ("sit",), "lie": ("lie",)}
    for i, step in enumerate(inst.program):
        for key in ("target", "point"):
            v = step.args.get(key)
            if isinstance(v, str):
                if v not in known:
                    raise ctx.fail(f"program[{i}] ({step.action}).{key}",
                                   f"names unknown target {v!r} of scene {inst.scene!r}")
                if step.action in kinds and targets[v].kind not in kinds[step.action]:
                    raise ctx.fail(f"program[{i}] ({step.action}).{key}",
                                   f"names a {targets[v].kind} target; {step.action} needs a {step.action} target")
        if regions is not None and "region" in step.args:
            bad = [r for r in step.args["region"] if r not in regions]
            if bad:
                raise ctx.fail(f"program[{i}] ({step.action}).region",
                               f"names unknown contact region(s) {', '.join(bad)} of object {inst.object!r}")
