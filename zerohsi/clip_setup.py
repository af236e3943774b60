"""What the pipeline knows before any video exists: scene, object, avatar, initial state, camera, prompt."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

import torch

from zerohsi.body.params import BodyParams
from zerohsi.cameras import Camera

if TYPE_CHECKING:
    from zerohsi.body.avatar import Avatar
    from zerohsi.config import RunConfig
    from zerohsi.scenes.scene import Scene, SceneObject
    from zerohsi.scenes.suite import Instance


@dataclass
class Setup:
    """The inputs of one clip.

    scene / obj (None for static interactions) / avatar; body0: BodyParams (B=1) initial human state in the world;
    object_pose0 (4,4) object-to-world or None; camera0: the first frame's camera; prompt; seed; instance: the suite
    instance this came from (carries the scripted ground-truth program) or None; device.
    """

    scene: Scene
    avatar: Avatar
    body0: BodyParams
    camera0: Camera
    prompt: str
    seed: int
    obj: Optional[SceneObject] = None
    object_pose0: Optional[torch.Tensor] = None
    instance: Optional[Instance] = None
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def dynamic(self) -> bool:
        return self.obj is not None


def initial_body(instance: Instance, scene: Scene, body_model) -> BodyParams:
    """The instance's initial human state as BodyParams (B=1) on ``body_model``: standing on the floor at
    ``human_init.root_xy`` facing its heading, or sitting on its seat target."""
    from zerohsi.body.poses import pose_preset, seat_offset, yaw_orient

    hi = instance.human_init
    if hi.pose == "sitting":
        seat = scene.target(hi.seat)
        params = pose_preset(body_model, "sitting")
        params = params.replace(global_orient=yaw_orient(seat.facing_deg + 90.0).to(params.transl))
        transl = torch.tensor(seat.point, dtype=params.transl.dtype)[None] + seat_offset(body_model, params)
        return params.replace(transl=transl).detach()
    params = pose_preset(body_model, hi.pose, on_floor=True, floor_z=float(scene.floor_height))
    params = params.replace(global_orient=yaw_orient(hi.yaw_deg + 90.0).to(params.transl))
    transl = params.transl.clone()
    transl[:, :2] = torch.tensor(hi.root_xy, dtype=transl.dtype)
    return params.replace(transl=transl).detach()


def build_setup(cfg: RunConfig, device: torch.device | None = None) -> Setup:
    """Scene, object, avatar, initial state and camera of the configured instance."""
    from zerohsi.body.avatar import Avatar
    from zerohsi.devices import resolve_device
    from zerohsi.plugins import get_host
    from zerohsi.scenes.instance_file import resolve_instance

    device = device or resolve_device(cfg.device)
    inst, scene, obj = resolve_instance(cfg.instance)
    body_model = get_host().build("body_model", cfg.avatar.body.name, cfg.avatar.body.options)
    avatar = Avatar.create(body_model, num_gaussians=cfg.avatar.num_gaussians, appearance=cfg.avatar.appearance,
                           seed=cfg.seed, color_hidden=cfg.avatar.color_hidden)
    body0 = initial_body(inst, scene, body_model)
    setup = Setup(
        scene=scene, avatar=avatar, body0=body0, camera0=inst.camera(cfg.render.width, cfg.render.height),
        prompt=cfg.instance.prompt or inst.prompt, seed=cfg.seed, obj=obj,
        object_pose0=inst.object_pose() if inst.object else None, instance=inst, device=device,
    )
    return setup
