"""The ``anny`` body backend: the free MakeHuman-based parametric body (the ``anny`` package ships its assets).

Skeleton: anny's default rig, 104 bones (root at the pelvis, legs, toes, spine, arms, fingers, neck, head, eyes);
13,718 vertices, 27,420 triangles. ``BodyParams`` for this backend:

- ``transl`` (B,3): world position of the root bone (the pelvis), metres;
- ``global_orient`` (B,3): axis-angle of the root in the world;
- ``body_pose`` (B,103*3): one axis-angle per non-root bone, in anny's ``local-ref`` parameterisation: each bone's
  rotation is expressed in world-aligned axes of its parent's rest frame, like SMPL's (zero = anny's rest A-pose);
- ``shape`` (B,6): phenotype values in [0,1] — gender, age, muscle, weight, height, proportions (0.5 = average).

Frames: anny's native frame already is zerohsi's body frame (+Z up, the body faces -Y, its left side is +X), the
frame SMPL-X bodies take once converted from Y-up, so no axis change is needed at this boundary.

First use: anny builds a model cache (~800 MB) under ``~/.cache/anny`` (or ``$ANNY_CACHE_DIR``); this takes a minute
or two once and a fraction of a second afterwards. ``make install`` builds it, so that no run pays for it; otherwise
the first instantiation does, with a message on stderr while it happens.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Optional

import torch

from zerohsi.body.params import BodyOutput, BodyParams
from zerohsi.geometry import axis_angle_to_matrix, make_transform

#: CORE_JOINTS name -> anny bone. Each bone's head is the joint position and its rotation is the joint's rotation.
ANNY_CORE_BONES: dict[str, str] = {
    "pelvis": "root",
    "left_hip": "upperleg01.L", "right_hip": "upperleg01.R",
    "spine": "spine03", "chest": "spine01",
    "left_knee": "lowerleg01.L", "right_knee": "lowerleg01.R",
    "left_ankle": "foot.L", "right_ankle": "foot.R",
    "left_foot": "toe3-1.L", "right_foot": "toe3-1.R",  # ball of the foot (SMPL's "foot" joint)
    "neck": "neck01", "head": "head",
    "left_shoulder": "upperarm01.L", "right_shoulder": "upperarm01.R",
    "left_elbow": "lowerarm01.L", "right_elbow": "lowerarm01.R",
    "left_wrist": "wrist.L", "right_wrist": "wrist.R",
    "left_hand": "finger3-1.L", "right_hand": "finger3-1.R",  # middle-finger base (CHOIS's hand point)
}

PHENOTYPES: tuple[str, ...] = ("gender", "age", "muscle", "weight", "height", "proportions")

#: height above the lowest foot vertex (metres) under which a foot vertex counts as sole
SOLE_HEIGHT_M = 0.015


@dataclass
class AnnyConfig:
    #: torch dtype of the model ("float32" is fast; anny's own default is float64)
    dtype: str = "float32"
    #: "warp" (fast sparse skinning kernel) or "lbs" (dense torch reference, ~4x slower)
    skinning: str = "warp"


def anny_cache_ready() -> bool:
    """Whether anny's model cache is already built (the first instantiation builds it, about a minute)."""
    try:
        from anny.models.model_data import CURRENT_DATA_VERSION
        from anny.paths import get_anny_cache_path
    except ImportError:
        return False
    folder = get_anny_cache_path() / f"v{CURRENT_DATA_VERSION}"
    return folder.is_dir() and any(folder.glob("build_compact_model_data_*.safetensors"))


def _quiet_warp() -> None:
    """anny skins with NVIDIA warp, whose start-up banner and per-kernel load lines would flood every run's output."""
    try:
        import logging

        import warp

        warp.config.log_level = logging.ERROR
        if not torch.cuda.is_available():
            # without a driver warp's native init prints a CUDA warning straight to fd 2; initialise it with
            # that descriptor pointed at /dev/null so CPU runs stay clean
            import os

            saved = os.dup(2)
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, 2)
                warp.init()
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                os.close(devnull)
    except Exception:  # noqa: BLE001 - warp is anny's dependency; if it changes, only the noise comes back
        pass


class AnnyBody(torch.nn.Module):
    """The anny body as a zerohsi ``BodyModel`` (differentiable w.r.t. every BodyParams field, batched over B)."""

    name = "anny"
    shape_dim = len(PHENOTYPES)

    def __init__(self, cfg: Optional[AnnyConfig] = None) -> None:
        super().__init__()
        cfg = cfg or AnnyConfig()
        _quiet_warp()
        import anny
        from anny.paths import get_anny_cache_path

        if not anny_cache_ready():
            sys.stderr.write(f"Building the anny body-model cache under {get_anny_cache_path()} (first use only, "
                             "about a minute; set ANNY_CACHE_DIR to put it elsewhere)...\n")
            sys.stderr.flush()
        start = time.perf_counter()
        skinning = None if cfg.skinning == "warp" else "lbs"
        model = anny.Anny(rig="anny", topology="anny", pose_parameterization="local-ref", skinning_method=skinning)
        self.model = model.to(getattr(torch, cfg.dtype))
        self.init_seconds = time.perf_counter() - start
        self.joint_names: list[str] = list(model.bone_labels)
        self.register_buffer("parents", torch.as_tensor(model.bone_parents, dtype=torch.long), persistent=False)
        self.register_buffer("faces", model.get_triangular_faces().long(), persistent=False)
        self.num_body_joints = len(self.joint_names) - 1
        self._dense_weights: Optional[torch.Tensor] = None
        self._core = {k: self.joint_names.index(v) for k, v in ANNY_CORE_BONES.items()}
        self._vertex_sets: Optional[dict[str, torch.Tensor]] = None
        self._rest_cache: dict[tuple, dict[str, torch.Tensor]] = {}

    # -- BodyModel protocol ------------------------------------------------------------------------------------
    @property
    def dtype(self) -> torch.dtype:
        return self.model.dtype

    @property
    def device(self) -> torch.device:
        return self.model.template_vertices.device

    @property
    def num_vertices(self) -> int:
        return int(self.model.template_vertices.shape[0])

    @property
    def skinning_weights(self) -> torch.Tensor:
        """(V,J) dense linear-blend-skinning weights (built once from anny's 9-bone sparse weights)."""
        if self._dense_weights is None or self._dense_weights.device != self.device:
            W = torch.zeros(self.num_vertices, len(self.joint_names), dtype=self.dtype, device=self.device)
            W.scatter_add_(1, self.model.vertex_bone_indices.long(), self.model.vertex_bone_weights.to(self.dtype))
            self._dense_weights = W
        return self._dense_weights

    def rest_params(self, batch: int = 1) -> BodyParams:
        dev, dt = self.device, self.dtype
        return BodyParams(torch.zeros(batch, 3, device=dev, dtype=dt), torch.zeros(batch, 3, device=dev, dtype=dt),
                          torch.zeros(batch, self.num_body_joints * 3, device=dev, dtype=dt),
                          torch.full((batch, self.shape_dim), 0.5, device=dev, dtype=dt))

    def core_joint_index(self) -> dict[str, int]:
        return dict(self._core)

    def vertex_sets(self) -> dict[str, torch.Tensor]:
        """'left_hand'/'right_hand': vertices skinned mostly to the wrist or its fingers; 'left_sole'/'right_sole':
        foot vertices within 1.5 cm of the lowest point of that foot in the rest pose. Also 'head'."""
        if self._vertex_sets is None:
            self._vertex_sets = self._build_vertex_sets()
        return {k: v.to(self.device) for k, v in self._vertex_sets.items()}

    def forward(self, params: BodyParams) -> BodyOutput:
        """Pose the body: vertices (B,13718,3), joints (B,104,3) bone heads, joint_transforms (B,104,4,4) posed bone
        frames, all in world metres."""
        out = self._run(params, skin=True)
        bones = out["bone_poses"]
        return BodyOutput(vertices=out["vertices"], joints=bones[..., :3, 3], joint_transforms=bones)

    def forward_kinematics(self, params: BodyParams) -> tuple[torch.Tensor, torch.Tensor]:
        """Joints (B,J,3) and posed bone frames (B,J,4,4) without skinning the mesh (for joint-only fitting)."""
        out = self._run(params, skin=False)
        return out["bone_poses"][..., :3, 3], out["bone_poses"]

    def rest_vertices(self, shape: Optional[torch.Tensor] = None) -> torch.Tensor:
        """(B,V,3) zero-pose vertices for phenotype ``shape`` (B,6) (default: average), root at the origin."""
        params = self.rest_params(1 if shape is None else shape.shape[0])
        if shape is not None:
            params = params.replace(shape=shape)
        return self.forward(params).vertices

    # -- internals ----------------------------------------------------------------------------------------------
    def _blend_coeffs(self, shape: torch.Tensor) -> torch.Tensor:
        m = self.model
        B = shape.shape[0]
        local = torch.zeros(B, len(m.local_change_labels), dtype=self.dtype, device=self.device)
        face = torch.zeros(B, len(m.facial_action_labels), dtype=self.dtype, device=self.device)
        return m._get_phenotype_blendshape_coefficients(shape.to(self.dtype), local, face)

    def _pose_matrices(self, params: BodyParams) -> torch.Tensor:
        B = len(params)
        aa = torch.cat([params.global_orient[:, None], params.body_pose.reshape(B, -1, 3)], 1).to(self.dtype)
        R = axis_angle_to_matrix(aa)  # (B,104,3,3)
        t = torch.zeros(B, aa.shape[1], 3, dtype=self.dtype, device=aa.device)
        t = torch.cat([params.transl[:, None].to(self.dtype), t[:, 1:]], 1)
        return make_transform(R, t)

    def _shared_shape(self, shape: torch.Tensor) -> torch.Tensor:
        """One row when every frame has the same shape: the rest model is then built once, not B times."""
        if shape.shape[0] > 1 and (shape.stride(0) == 0 or (not shape.requires_grad
                                                             and bool((shape == shape[:1]).all()))):
            return shape[:1]
        return shape

    def _rest_bones(self, coeffs: torch.Tensor) -> dict[str, torch.Tensor]:
        """Rest bone frames only (no rest vertices): what joint-only fitting needs when it optimises the shape.
        Mirrors anny's 'cached' bone orientation; other rigs fall back to the full rest model."""
        m = self.model
        if m.bone_orientation != "cached" or m.rest_orientation_refiner is not None:
            return m.get_rest_model(coeffs)
        import roma
        from anny.skinning import skinning

        heads = skinning.apply_linear_blendshape(m.template_bone_heads, m.bone_heads_blendshapes, coeffs)
        M = m.bone_template_orientation_matrices[None] + torch.einsum("ba,akij->bkij", coeffs,
                                                                      m.bone_orientation_blendshapes)
        poses = roma.Rigid(linear=roma.special_procrustes(M), translation=heads).to_homogeneous()
        if m.root_identity_orientation:
            eye = torch.eye(3, dtype=poses.dtype, device=poses.device).expand(poses.shape[0], 3, 3)
            poses = torch.cat([torch.cat([eye, poses[:, 0, :3, 3:]], -1)[:, None],
                               poses[:, 1:, :3]], 1)
            poses = torch.cat([poses, m.template_bone_heads.new_tensor([0.0, 0, 0, 1]).expand(
                *poses.shape[:2], 1, 4)], -2)
        return {"rest_bone_poses": poses}

    def _rest_model(self, shape: torch.Tensor, bones_only: bool = False) -> dict[str, torch.Tensor]:
        """anny's rest model (vertices, bone frames) for phenotype ``shape``; cached for constant shapes, which is
        the common case in fitting loops (the rest model is most of a one-frame forward pass)."""
        if shape.requires_grad and torch.is_grad_enabled():
            coeffs = self._blend_coeffs(shape)
            return self._rest_bones(coeffs) if bones_only else self.model.get_rest_model(coeffs)
        key = (shape.detach().to("cpu", torch.float64).numpy().tobytes(), shape.shape, str(self.device), self.dtype)
        hit = self._rest_cache.get(key)
        if hit is None:
            with torch.no_grad():
                hit = self.model.get_rest_model(self._blend_coeffs(shape.detach()))
            if len(self._rest_cache) >= 8:
                self._rest_cache.pop(next(iter(self._rest_cache)))
            self._rest_cache[key] = hit
        return hit

    def _run(self, params: BodyParams, skin: bool) -> dict[str, torch.Tensor]:
        if params.body_pose.shape[-1] != self.num_body_joints * 3:
            raise ValueError(f"anny body_pose needs {self.num_body_joints * 3} values per frame "
                             f"(got {params.body_pose.shape[-1]}); retarget other bodies with zerohsi.body.fitting")
        pose = self._pose_matrices(params)
        m = self.model
        rest = self._rest_model(self._shared_shape(params.shape), bones_only=not skin)
        transforms, bone_poses = m.get_bone_transforms(pose, rest["rest_bone_poses"])
        out = {"bone_poses": bone_poses}
        if skin:
            out["vertices"] = m.get_skinned_vertices(
                rest["rest_vertices"].expand(transforms.shape[0], -1, -1), transforms)
        return out

    def _build_vertex_sets(self) -> dict[str, torch.Tensor]:
        W = self.skinning_weights
        dominant = W.argmax(1)
        with torch.no_grad():
            rest = self.rest_vertices()[0]
        children: dict[int, list[int]] = {}
        for j, p in enumerate(self.parents.tolist()):
            children.setdefault(p, []).append(j)

        def subtree(name: str) -> torch.Tensor:
            todo, seen = [self.joint_names.index(name)], []
            while todo:
                j = todo.pop()
                seen.append(j)
                todo.extend(children.get(j, []))
            return torch.as_tensor(seen, device=dominant.device)

        sets = {}
        for side, tag in (("left", "L"), ("right", "R")):
            sets[f"{side}_hand"] = torch.nonzero(torch.isin(dominant, subtree(f"wrist.{tag}")))[:, 0]
            foot = torch.nonzero(torch.isin(dominant, subtree(f"foot.{tag}")))[:, 0]
            z = rest[foot, 2]
            sets[f"{side}_sole"] = foot[z <= z.min() + SOLE_HEIGHT_M]
        sets["head"] = torch.nonzero(torch.isin(dominant, subtree("neck03")))[:, 0]
        return {k: v.cpu().long() for k, v in sets.items()}


def make_anny(cfg: AnnyConfig) -> AnnyBody:
    return AnnyBody(cfg)
