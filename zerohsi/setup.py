"""What the pipeline knows before any video exists: scene, object, avatar, initial state, camera, prompt."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

import torch

from zerohsi.body.params import BodyParams
from zerohsi.cameras import Camera

if TYPE_CHECKING:
    from zerohsi.body.avatar import Avatar
    from zerohsi.scenes.scene import Scene, SceneObject
    from zerohsi.scenes.suite import Instance


@dataclass
class Setup:
    """The inputs of one clip.

    scene / obj (None for static interactions) / avatar; body0: BodyParams (B=1) initial human state in the world;
    object_pose0 (4,4) object-to-world or None; camera0: the first frame's camera; prompt; seed; instance: the suite
    instance this came from (carries the scripted ground-truth program) or None; device.
    """

    scene: "Scene"
    avatar: "Avatar"
    body0: BodyParams
    camera0: Camera
    prompt: str
    seed: int
    obj: Optional["SceneObject"] = None
    object_pose0: Optional[torch.Tensor] = None
    instance: Optional["Instance"] = None
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def dynamic(self) -> bool:
        return self.obj is not None
