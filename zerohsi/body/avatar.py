"""The animatable Gaussian avatar: Gaussians bound to the body mesh, posed by the body's skinning, with a small
pose- and view-conditioned colour network.

Binding (GaussianAvatars-style): each Gaussian lives on one triangle of the body mesh at barycentric coordinates
``bary`` plus ``offset`` metres along the triangle normal, oriented with the triangle's frame (edge, in-plane
perpendicular, normal) and with scales ``rest_scales`` along those axes (flat Gaussians tiling the skin).
Triangles are sampled in proportion to their area, so the density is uniform over the skin. Posing runs the body
model's linear blend skinning on the mesh; each Gaussian then follows its posed triangle: position from the skinned
vertices, rotation from the skinned triangle frame, scale by the square root of the triangle's area change. A
triangle whose three vertices follow one bone moves rigidly with it, and any body shape (phenotype / betas) is
supported because the binding is on the mesh.

Colour: ``sigmoid(base_logit + F_color(pose code, view direction in the triangle frame, canonical position))``.
F_color's last layer starts at zero, so a new avatar shows exactly its base colours; the network is fine-tuned at a
low learning rate during fitting (``color_parameters()``), as in ZeroHSI.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn.functional as F

from zerohsi.body.appearance import PARTS, get_appearance, part_base_colors, vertex_parts
from zerohsi.body.params import BodyModel, BodyOutput, BodyParams
from zerohsi.cameras import Camera
from zerohsi.errors import UserError
from zerohsi.gaussians import Gaussians

HUMAN_GROUP = 1
FORMAT = "zerohsi-avatar"
FORMAT_VERSION = 1
#: sinusoidal frequencies of the canonical-position encoding (cycles per metre * 2pi)
_POS_FREQS = (2.0, 6.0)
_POSE_CODE = 8


@dataclass
class PosedAvatar:
    """Batched posed Gaussians: means (B,N,3), quats (B,N,4) wxyz, scales (B,N,3), opacities (N,), colors (B,N,3),
    plus the body output they came from."""

    body: BodyOutput
    means: torch.Tensor
    quats: torch.Tensor
    scales: torch.Tensor
    opacities: torch.Tensor
    colors: torch.Tensor

    def frame(self, b: int) -> Gaussians:
        """Gaussians of frame ``b`` (group id 1, the human)."""
        n = self.means.shape[1]
        return Gaussians(self.means[b], self.quats[b], self.scales[b], self.opacities, self.colors[b],
                         group=torch.full((n,), HUMAN_GROUP, dtype=torch.long, device=self.means.device))


class ColorNet(torch.nn.Module):
    """F_color: (pose code, view direction, canonical position) -> RGB logit residual.

    The first layer is split by input so that the per-frame pose term (B,H) and the per-Gaussian position term
    (N,H) are computed once and broadcast, instead of concatenating (B,N,·) inputs: posing 51 frames of 6000
    Gaussians stays cheap on a CPU.
    """

    def __init__(self, pose_dim: int, hidden: int = 32) -> None:
        super().__init__()
        self.pose = torch.nn.Linear(pose_dim, _POSE_CODE)
        self.in_pose = torch.nn.Linear(_POSE_CODE, hidden)
        self.in_view = torch.nn.Linear(4, hidden, bias=False)
        self.in_pos = torch.nn.Linear(3 + 6 * len(_POS_FREQS), hidden, bias=False)
        self.hidden = torch.nn.Linear(hidden, hidden)
        self.out = torch.nn.Linear(hidden, 3)
        torch.nn.init.zeros_(self.out.weight)
        torch.nn.init.zeros_(self.out.bias)

    def forward(self, pose: torch.Tensor, view_local: torch.Tensor, canon_enc: torch.Tensor) -> torch.Tensor:
        """pose (B,P); view_local (B,N,3) unit, in the Gaussian's frame (z = normal); canon_enc (N,E) -> (B,N,3)."""
        view = torch.cat([view_local, view_local[..., 2:3].abs()], -1)
        h = self.in_view(view) + self.in_pos(canon_enc)[None] + self.in_pose(self.pose(pose))[:, None]
        h = F.silu(h)
        return self.out(F.silu(self.hidden(h)))


def _encode_position(p: torch.Tensor) -> torch.Tensor:
    """(N,3) -> (N, 3 + 6*len(_POS_FREQS)) position with sin/cos features."""
    feats = [p]
    for f in _POS_FREQS:
        feats += [torch.sin(f * math.pi * p), torch.cos(f * math.pi * p)]
    return torch.cat(feats, -1)


def triangle_frames(tri: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(...,3,3) triangle vertices (rows) -> frames (...,3,3) with columns (edge, in-plane perp, normal) and
    areas (...,)."""
    t, b, n, area = _triangle_axes(tri)
    return torch.stack([t, b, n], -1), area


def _triangle_axes(tri: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    # unbind once instead of indexing: each indexing op costs a full-size zero tensor in the backward pass
    v0, v1, v2 = tri.unbind(-2)
    e1, e2 = v1 - v0, v2 - v0
    cross = torch.linalg.cross(e1, e2, dim=-1)
    area = 0.5 * cross.norm(dim=-1)
    n = F.normalize(cross, dim=-1, eps=1e-12)
    t = F.normalize(e1, dim=-1, eps=1e-12)
    b = torch.linalg.cross(n, t, dim=-1)
    return t, b, n, area


def _frame_quats(t: torch.Tensor, b: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
    """wxyz quaternions of rotations given by their columns (t, b, n), each (...,3).

    The same result as ``zerohsi.geometry.matrix_to_quat`` on ``stack([t, b, n], -1)`` (up to sign), written on
    unbound scalars: posing 51 frames x 6000 Gaussians, the generic version's per-entry indexing dominated the
    backward pass.
    """
    m00, m10, m20 = t.unbind(-1)
    m01, m11, m21 = b.unbind(-1)
    m02, m12, m22 = n.unbind(-1)
    cands = torch.stack([1 + m00 + m11 + m22, 1 + m00 - m11 - m22, 1 - m00 + m11 - m22, 1 - m00 - m11 + m22])
    best = cands.argmax(0)
    r = [torch.sqrt(c.clamp_min(1e-8)) for c in cands.unbind(0)]  # r_k = 2 |q_k| for the chosen case
    qs = [
        (0.5 * r[0], (m21 - m12) / (2 * r[0]), (m02 - m20) / (2 * r[0]), (m10 - m01) / (2 * r[0])),
        ((m21 - m12) / (2 * r[1]), 0.5 * r[1], (m01 + m10) / (2 * r[1]), (m02 + m20) / (2 * r[1])),
        ((m02 - m20) / (2 * r[2]), (m01 + m10) / (2 * r[2]), 0.5 * r[2], (m12 + m21) / (2 * r[2])),
        ((m10 - m01) / (2 * r[3]), (m02 + m20) / (2 * r[3]), (m12 + m21) / (2 * r[3]), 0.5 * r[3]),
    ]
    out = [torch.where(best == 0, qs[0][i], torch.where(best == 1, qs[1][i], torch.where(best == 2, qs[2][i],
                                                                                          qs[3][i])))
           for i in range(4)]
    return F.normalize(torch.stack(out, -1), dim=-1)


class Avatar(torch.nn.Module):
    """Gaussians bound to a body model's mesh. Build with :meth:`Avatar.create`; pose with :meth:`gaussians`."""

    def __init__(self, body_model: BodyModel, face_index: torch.Tensor, bary: torch.Tensor, offset: torch.Tensor,
                 scales: torch.Tensor, rest_area: torch.Tensor, opacity: torch.Tensor,
                 base_color: torch.Tensor, part: torch.Tensor, canon: torch.Tensor, *, color_hidden: int = 32,
                 appearance: str = "custom", seed: int = 0) -> None:
        super().__init__()
        self.body_model = body_model
        self.appearance = appearance
        self.seed = int(seed)
        self.color_hidden = int(color_hidden)
        self.register_buffer("face_index", face_index.long())
        self.register_buffer("bary", bary.float())
        self.register_buffer("offset", offset.float())
        self.register_buffer("rest_scales", scales.float())
        self.register_buffer("rest_area", rest_area.float())
        self.register_buffer("opacity", opacity.float())
        self.register_buffer("part", part.long())
        self.register_buffer("canon", canon.float())
        self.register_buffer("pose_joints", self._pose_joint_index(body_model))
        self.base_logit = torch.nn.Parameter(torch.logit(base_color.float().clamp(1e-3, 1 - 1e-3)))
        with torch.random.fork_rng(devices=[]):  # seeded weights without touching the caller's RNG
            torch.manual_seed(self.seed)
            self.color_net = ColorNet(3 * len(self.pose_joints), color_hidden)

    # -- construction --------------------------------------------------------------------------------------------
    @classmethod
    def create(cls, body_model: BodyModel, num_gaussians: int = 6000, appearance: str = "casual", seed: int = 0,
               color_hidden: int = 32, *, shape: Optional[torch.Tensor] = None) -> Avatar:
        """Sample ``num_gaussians`` Gaussians on the zero-pose mesh (optionally of phenotype/betas ``shape`` (1,S)),
        coloured by the ``appearance`` preset (see zerohsi.body.appearance.APPEARANCES)."""
        if num_gaussians <= 0:
            raise UserError("avatar.num_gaussians must be a positive number of Gaussians.")
        look = get_appearance(appearance)
        g = torch.Generator().manual_seed(int(seed))
        params = body_model.rest_params(1)
        if shape is not None:
            params = params.replace(shape=shape.to(params.shape))
        with torch.no_grad():
            verts = body_model(params).vertices[0].detach().float().cpu()
        faces = body_model.faces.long().cpu()
        frames, area = triangle_frames(verts[faces])
        face_index = torch.multinomial(area / area.sum(), num_gaussians, replacement=True, generator=g)
        u, v = torch.rand(num_gaussians, generator=g), torch.rand(num_gaussians, generator=g)
        su = u.sqrt()  # uniform over the triangle
        bary = torch.stack([1 - su, su * (1 - v), su * v], -1)
        offset = 0.001 * torch.randn(num_gaussians, generator=g)
        spacing = math.sqrt(float(area.sum()) / num_gaussians)
        aspect = torch.exp(0.25 * torch.randn(num_gaussians, generator=g))
        s = 0.75 * spacing
        scales = torch.stack([s * aspect, s / aspect, torch.full_like(aspect, 0.25 * s)], -1)
        opacity = torch.full((num_gaussians,), 0.95)
        vparts = vertex_parts(body_model, verts, look)
        tri_v = faces[face_index]  # (N,3)
        # a Gaussian takes the part of the triangle corner it is closest to
        part = vparts[tri_v.gather(1, bary.argmax(1, keepdim=True))[:, 0]]
        base = part_base_colors(part, look, g)
        canon = (bary[..., None] * verts[tri_v]).sum(1)
        avatar = cls(body_model, face_index, bary, offset, scales, area[face_index], opacity, base,
                     part, canon, color_hidden=color_hidden, appearance=appearance, seed=seed)
        return avatar.to(_device_of(body_model))

    @staticmethod
    def _pose_joint_index(body_model: BodyModel) -> torch.Tensor:
        """Bones whose rotations form the colour net's pose code: the core joints (without the root)."""
        n = int(getattr(body_model, "num_body_joints", 10**9))  # hands/face joints of SMPL-X are not in body_pose
        idx = sorted({j for j in body_model.core_joint_index().values() if 0 < j <= n})
        return torch.as_tensor(idx, dtype=torch.long)

    # -- API -----------------------------------------------------------------------------------------------------
    @property
    def num_gaussians(self) -> int:
        return int(self.face_index.shape[0])

    def color_parameters(self, include_base: bool = False) -> list[torch.nn.Parameter]:
        """Parameters of F_color (and the per-Gaussian base colour logits when ``include_base``)."""
        params = list(self.color_net.parameters())
        return params + [self.base_logit] if include_base else params

    def pose(self, params: BodyParams, camera_centers: Optional[torch.Tensor] = None) -> PosedAvatar:
        """Pose every frame of ``params`` (B). ``camera_centers`` (B,3) or (3,) world positions give the view
        directions of the colour net (None: each Gaussian seen head-on along its normal)."""
        out = self.body_model(params)
        verts = out.vertices.float()
        faces = self.body_model.faces.long()[self.face_index]  # (N,3)
        # index_select, not verts[:, faces]: advanced indexing's backward accumulates shared vertices with atomic
        # adds in thread order on CPU, so results would differ in the last bits from process to process
        tri = verts.index_select(1, faces.reshape(-1)).reshape(verts.shape[0], *faces.shape, 3)  # (B,N,3,3)
        t, b, normal, area = _triangle_axes(tri)
        w0, w1, w2 = self.bary.unbind(-1)
        v0, v1, v2 = tri.unbind(-2)
        means = w0[:, None] * v0 + w1[:, None] * v1 + w2[:, None] * v2 + self.offset[:, None] * normal
        quats = _frame_quats(t, b, normal)  # Gaussians are aligned with their triangle's (edge, perp, normal) axes
        stretch = (area / self.rest_area.clamp_min(1e-12)).clamp(0.25, 4.0).sqrt()
        scales = self.rest_scales[None] * stretch[..., None]
        if camera_centers is None:
            view = -normal
        else:
            c = camera_centers.to(means).reshape(-1, 1, 3)
            view = F.normalize(means - c, dim=-1)
        # view direction in the Gaussian's frame
        view_local = torch.stack([(view * t).sum(-1), (view * b).sum(-1), (view * normal).sum(-1)], -1)
        B = len(params)
        pose_code = params.body_pose.reshape(B, -1, 3)[:, self.pose_joints - 1].reshape(B, -1).to(means)
        logits = self.base_logit[None] + self.color_net(pose_code, view_local, _encode_position_cached(self))
        return PosedAvatar(out, means, quats, scales, self.opacity, torch.sigmoid(logits))

    def gaussians(self, params: BodyParams, camera: Optional[Camera] = None) -> Gaussians:
        """Posed Gaussians (group id 1) for one frame (``params`` B=1), differentiable w.r.t. ``params`` and the
        colour network; ``camera`` sets the view direction of the colour network."""
        return self.posed(params, camera)[1]

    def posed(self, params: BodyParams, camera: Optional[Camera] = None) -> tuple[BodyOutput, Gaussians]:
        """(BodyOutput of the frame, its Gaussians) for ``params`` with B=1."""
        if len(params) != 1:
            raise ValueError(f"Avatar.posed takes one frame (B=1), got B={len(params)}; use Avatar.pose for batches")
        centers = None if camera is None else camera.center[None]
        p = self.pose(params, centers)
        return p.body, p.frame(0)

    def fit_colors(self, images: Sequence[torch.Tensor], params: BodyParams, cameras: Sequence[Camera], *,
                   masks: Optional[Sequence[torch.Tensor]] = None, iters: int = 100, lr: float = 0.05,
                   background: Sequence[float] = (0.0, 0.0, 0.0), backend: str = "auto") -> list[float]:
        """Fit the base colours to photos of a person in known poses (optional appearance capture).

        images: per view (H,W,3) float in [0,1]; params: BodyParams with one frame per view; cameras: per view;
        masks: optional per-view (H,W) bool person masks (the loss is then only on the person). Optimises
        ``base_logit`` by L1 on the rendered images; returns the loss every 10 iterations.
        """
        from zerohsi.render import render

        if not (len(images) == len(params) == len(cameras)):
            raise UserError("fit_colors needs one image, one body pose and one camera per view.")
        opt = torch.optim.Adam([self.base_logit], lr=lr)
        bg = torch.as_tensor(background, dtype=torch.float32, device=self.base_logit.device)
        with torch.no_grad():  # the geometry is fixed: pose once
            posed = [self.pose(params[i], cameras[i].center[None]) for i in range(len(images))]
        history = []
        for it in range(iters):
            opt.zero_grad(set_to_none=True)
            loss = 0.0
            for i, p in enumerate(posed):
                g = p.frame(0)
                cam = cameras[i]
                logits = self.base_logit + self.color_net(
                    params[i].body_pose.reshape(1, -1, 3)[:, self.pose_joints - 1].reshape(1, -1).to(g.means),
                    _view_local(g, cam), _encode_position_cached(self))[0].detach()
                g = Gaussians(g.means, g.quats, g.scales, g.opacities, torch.sigmoid(logits), g.group)
                out = render(g, cam, background=bg, backend=backend)
                err = (out.rgb - images[i].to(out.rgb)).abs().sum(-1)
                if masks is not None:
                    m = masks[i].to(err.device).float()
                    err = err * m / m.mean().clamp_min(1e-6)
                loss = loss + err.mean()
            loss.backward()
            opt.step()
            if it % 10 == 0 or it == iters - 1:
                history.append(float(loss.detach()))
        return history

    # -- variants ------------------------------------------------------------------------------------------------
    def with_appearance_gap(self, seed: int, strength: float = 0.5) -> Avatar:
        """A copy with different colours and lighting (for test videos): per-part colour shifts, a global gain and a
        directional shading baked into the base colours, scaled by ``strength`` in [0,1]; same seed, same result."""
        g = torch.Generator().manual_seed(int(seed) + 7919)
        s = float(strength)
        base = torch.sigmoid(self.base_logit.detach()).cpu()
        part = self.part.cpu()
        shift = s * 0.35 * (torch.rand(len(PARTS), 3, generator=g) - 0.5)
        gain = 1.0 + s * 0.5 * (torch.rand(1, generator=g) - 0.5)
        light = F.normalize(torch.randn(3, generator=g) + torch.tensor([0.0, -0.5, 1.5]), dim=0)
        with torch.no_grad():
            rest = self.body_model(self.body_model.rest_params(1))
            verts = rest.vertices[0].float().cpu()
        frames, _ = triangle_frames(verts[self.body_model.faces.long().cpu()[self.face_index.cpu()]])
        shade = 1.0 - s * 0.45 * (1.0 - (frames[..., 2] @ light).clamp_min(0.0))
        new_base = ((base + shift[part]) * gain * shade[:, None]).clamp(0.02, 0.98)
        new_base = new_base + s * 0.02 * torch.randn(new_base.shape, generator=g)
        other = self._copy_with(new_base.clamp(0.02, 0.98))
        other.appearance = f"{self.appearance}+gap(seed={seed},strength={s:g})"
        return other

    def _copy_with(self, base_color: torch.Tensor) -> Avatar:
        other = Avatar(self.body_model, self.face_index, self.bary, self.offset, self.rest_scales,
                       self.rest_area, self.opacity, base_color.to(self.face_index.device), self.part, self.canon,
                       color_hidden=self.color_hidden, appearance=self.appearance, seed=self.seed)
        other.color_net.load_state_dict(self.color_net.state_dict())
        return other.to(self.face_index.device)

    # -- IO ------------------------------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write the avatar as safetensors (no pickle); the body model is referenced by name."""
        from safetensors.torch import save_file

        from zerohsi.io import atomic_path

        tensors = {k: v.detach().cpu().contiguous() for k, v in self._binding().items()}
        tensors["base_logit"] = self.base_logit.detach().cpu().contiguous()
        tensors.update({f"color_net.{k}": v.detach().cpu().contiguous()
                        for k, v in self.color_net.state_dict().items()})
        meta = {"format": FORMAT, "version": str(FORMAT_VERSION), "body_model": getattr(self.body_model, "name", "?"),
                "appearance": self.appearance, "seed": str(self.seed), "color_hidden": str(self.color_hidden),
                "num_vertices": str(int(self.body_model.skinning_weights.shape[0]))}
        with atomic_path(path, suffix=".safetensors") as tmp:
            save_file(tensors, str(tmp), metadata=meta)

    @classmethod
    def load(cls, path: str | os.PathLike, body_model: Optional[BodyModel] = None) -> Avatar:
        """Read an avatar written by :meth:`save`; ``body_model`` defaults to the registered one it names."""
        from safetensors import safe_open

        try:
            with safe_open(str(path), framework="pt") as f:
                meta = f.metadata() or {}
                tensors = {k: f.get_tensor(k) for k in f.keys()}
        except FileNotFoundError:
            raise UserError(f"Avatar file '{path}' does not exist; check the path.") from None
        except Exception as exc:  # noqa: BLE001 - any parse failure is a bad user file
            raise UserError(f"'{path}' is not a readable avatar file ({type(exc).__name__}: {exc}).") from None
        if meta.get("format") != FORMAT:
            raise UserError(f"'{path}' is not a zerohsi avatar file; create one with `zerohsi avatar create`.")
        if body_model is None:
            from zerohsi.plugins import get_host

            body_model = get_host().build("body_model", meta["body_model"], {})
        name = getattr(body_model, "name", "?")
        if name != meta["body_model"] or int(body_model.skinning_weights.shape[0]) != int(meta["num_vertices"]):
            raise UserError(f"'{path}' was made for the '{meta['body_model']}' body, not '{name}'; load it with "
                            f"that body model.")
        b = {k: tensors[k] for k in ("face_index", "bary", "offset", "rest_scales", "rest_area",
                                     "opacity", "part", "canon")}
        avatar = cls(body_model, b["face_index"], b["bary"], b["offset"], b["rest_scales"],
                     b["rest_area"], b["opacity"], torch.sigmoid(tensors["base_logit"]), b["part"], b["canon"],
                     color_hidden=int(meta["color_hidden"]), appearance=meta["appearance"], seed=int(meta["seed"]))
        with torch.no_grad():
            avatar.base_logit.copy_(tensors["base_logit"])
        avatar.color_net.load_state_dict({k[len("color_net."):]: v for k, v in tensors.items()
                                          if k.startswith("color_net.")})
        return avatar.to(_device_of(body_model))

    def _binding(self) -> dict[str, torch.Tensor]:
        return {"face_index": self.face_index, "bary": self.bary, "offset": self.offset,
                "rest_scales": self.rest_scales, "rest_area": self.rest_area,
                "opacity": self.opacity, "part": self.part, "canon": self.canon}

    def describe(self) -> dict:
        counts = torch.bincount(self.part.cpu(), minlength=len(PARTS)).tolist()
        return {"body_model": getattr(self.body_model, "name", "?"), "num_gaussians": self.num_gaussians,
                "appearance": self.appearance, "parts": dict(zip(PARTS, counts, strict=False))}

    def __repr__(self) -> str:
        return f"Avatar({json.dumps(self.describe())})"


def _view_local(g: Gaussians, camera: Camera) -> torch.Tensor:
    """(1,N,3) camera-to-Gaussian directions in each Gaussian's frame."""
    from zerohsi.geometry import quat_to_matrix

    R = quat_to_matrix(g.quats)
    view = F.normalize(g.means - camera.center.to(g.means), dim=-1)
    return (R.transpose(-1, -2) @ view[..., None])[..., 0][None]


def _encode_position_cached(avatar: Avatar) -> torch.Tensor:
    cache = getattr(avatar, "_canon_enc", None)
    if cache is None or cache.device != avatar.canon.device:
        cache = _encode_position(avatar.canon)
        avatar._canon_enc = cache
    return cache


def _device_of(body_model: BodyModel) -> torch.device:
    dev = getattr(body_model, "device", None)
    if isinstance(dev, torch.device):
        return dev
    return body_model.faces.device

