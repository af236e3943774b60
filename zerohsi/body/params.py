"""Body parameters, body-model outputs and the BodyModel protocol shared by every body backend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Optional, Protocol, runtime_checkable

import torch

#: The joints every metric and refiner speaks of, whatever the body backend. Backends map these names onto their
#: own skeleton (``BodyModel.core_joint_index``).
CORE_JOINTS: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "spine", "left_knee", "right_knee", "chest", "left_ankle", "right_ankle",
    "left_foot", "right_foot", "neck", "head", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hand", "right_hand",
)


@dataclass
class BodyParams:
    """Batched body parameters; B is frames (or any batch). World frame: +Z up, metres.

    transl (B,3); global_orient (B,3) axis-angle; body_pose (B, J*3) axis-angle per non-root joint of the backend;
    shape (B,S) backend-specific shape / phenotype parameters.
    """

    transl: torch.Tensor
    global_orient: torch.Tensor
    body_pose: torch.Tensor
    shape: torch.Tensor

    def __len__(self) -> int:
        return int(self.transl.shape[0])

    def _map(self, fn) -> BodyParams:
        return BodyParams(**{f.name: fn(getattr(self, f.name)) for f in fields(self)})

    def to(self, *args, **kwargs) -> BodyParams:
        return self._map(lambda t: t.to(*args, **kwargs))

    def detach(self) -> BodyParams:
        return self._map(lambda t: t.detach())

    def clone(self) -> BodyParams:
        return self._map(lambda t: t.clone())

    def __getitem__(self, index) -> BodyParams:
        if isinstance(index, int):
            index = slice(index, index + 1 if index != -1 else None)
        return self._map(lambda t: t[index])

    @staticmethod
    def cat(parts: Sequence[BodyParams]) -> BodyParams:
        return BodyParams(**{f.name: torch.cat([getattr(p, f.name) for p in parts]) for f in fields(BodyParams)})

    def replace(self, **changes) -> BodyParams:
        return replace(self, **changes)

    def as_numpy(self) -> dict:
        return {f.name: getattr(self, f.name).detach().cpu().numpy() for f in fields(self)}


@dataclass
class BodyOutput:
    """vertices (B,V,3) and joints (B,J,3) in world metres; joint_transforms (B,J,4,4) posed bone frames."""

    vertices: torch.Tensor
    joints: torch.Tensor
    joint_transforms: torch.Tensor


@runtime_checkable
class BodyModel(Protocol):
    """A parametric body backend (``anny`` built in; ``smplx`` through its plugin)."""

    name: str
    joint_names: list[str]
    #: (J,) parent index of each joint, -1 for the root
    parents: torch.Tensor
    #: (F,3) int64 triangle indices
    faces: torch.Tensor
    #: (V,J) linear-blend-skinning weights
    skinning_weights: torch.Tensor
    num_body_joints: int  # J-1: body_pose has num_body_joints*3 entries
    shape_dim: int

    def forward(self, params: BodyParams) -> BodyOutput: ...

    def __call__(self, params: BodyParams) -> BodyOutput: ...

    def rest_params(self, batch: int = 1) -> BodyParams: ...

    def core_joint_index(self) -> dict[str, int]:
        """CORE_JOINTS name -> index into ``BodyOutput.joints``."""
        ...

    def vertex_sets(self) -> dict[str, torch.Tensor]:
        """Named vertex index sets metrics need: 'left_hand', 'right_hand', 'left_sole', 'right_sole'."""
        ...


def core_joints(model: BodyModel, joints: torch.Tensor, names: Optional[Sequence[str]] = None) -> torch.Tensor:
    """(...,J,3) backend joints -> (...,len(names),3) core joints (all CORE_JOINTS by default)."""
    idx = model.core_joint_index()
    names = list(names or CORE_JOINTS)
    return joints[..., [idx[n] for n in names], :]
