"""3D Gaussians with activated parameters (the layout ``gsplat.rasterization`` takes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Optional

import torch


@dataclass
class Gaussians:
    """A set of N 3D Gaussians.

    means (N,3) world metres; quats (N,4) wxyz unit; scales (N,3) > 0 (std-devs, metres); opacities (N,) in (0,1);
    colors either (N,D) features (RGB when D=3) or (N,K,3) spherical-harmonics coefficients, K = (degree+1)^2;
    group (N,) int64 id of the set each Gaussian came from (scene 0, human 1, object 2 by convention), or None.
    """

    means: torch.Tensor
    quats: torch.Tensor
    scales: torch.Tensor
    opacities: torch.Tensor
    colors: torch.Tensor
    group: Optional[torch.Tensor] = None

    def __post_init__(self) -> None:
        n = self.means.shape[0]
        for f in ("quats", "scales", "opacities", "colors"):
            if getattr(self, f).shape[0] != n:
                raise ValueError(f"Gaussians.{f} has {getattr(self, f).shape[0]} rows, means has {n}")

    def __len__(self) -> int:
        return int(self.means.shape[0])

    @property
    def device(self) -> torch.device:
        return self.means.device

    @property
    def sh_degree(self) -> Optional[int]:
        """SH degree when colours are SH coefficients (N,K,3), else None."""
        if self.colors.dim() != 3:
            return None
        return int(round(self.colors.shape[1] ** 0.5)) - 1

    def _map(self, fn) -> Gaussians:
        return Gaussians(**{f.name: (fn(getattr(self, f.name)) if getattr(self, f.name) is not None else None)
                            for f in fields(self)})

    @property
    def feature_dim(self) -> int:
        """Channels rendered per Gaussian: 3 for SH colours, D for (N,D) features."""
        return 3 if self.colors.dim() == 3 else int(self.colors.shape[1])

    def to(self, *args, **kwargs) -> Gaussians:
        """Like ``Tensor.to``; a dtype only applies to floating tensors (group ids stay int64)."""
        def move(t: torch.Tensor) -> torch.Tensor:
            if t.is_floating_point():
                return t.to(*args, **kwargs)
            dev = kwargs.get("device") or next((a for a in args if isinstance(a, (str, torch.device))), None)
            return t if dev is None else t.to(device=dev)

        return self._map(move)

    def clone(self) -> Gaussians:
        return self._map(lambda t: t.clone())

    def requires_grad_(self, requires_grad: bool = True) -> Gaussians:
        """Make every floating tensor a leaf that (does not) require gradients; returns self."""
        for f in fields(self):
            t = getattr(self, f.name)
            if t is not None and t.is_floating_point():
                t.requires_grad_(requires_grad)
        return self

    def base_rgb(self) -> torch.Tensor:
        """(N,3) view-independent colour: the SH DC term as RGB, or the first three feature channels."""
        if self.colors.dim() == 3:
            return (SH_C0 * self.colors[:, 0] + 0.5).clamp_min(0.0)
        return self.colors[:, :3]

    def bounds(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(min (3,), max (3,)) of the means."""
        return self.means.min(0).values, self.means.max(0).values

    def detach(self) -> Gaussians:
        return self._map(lambda t: t.detach())

    def select(self, index: torch.Tensor) -> Gaussians:
        return self._map(lambda t: t[index])

    def with_group(self, group_id: int) -> Gaussians:
        return replace(self, group=torch.full((len(self),), int(group_id), dtype=torch.long, device=self.device))

    def transform(self, T: torch.Tensor) -> Gaussians:
        """Apply a rigid (4,4) transform (differentiable w.r.t. T): moves means, rotates quats.

        Object poses and camera deltas go through here, so every render backend is differentiable w.r.t. pose.
        SH coefficients are not rotated (view-dependent colour is approximated for small rotations)."""
        from zerohsi.geometry import matrix_to_quat, quat_multiply

        T = T.to(self.means)
        R, t = T[:3, :3], T[:3, 3]
        means = self.means @ R.T + t
        qR = matrix_to_quat(R).expand_as(self.quats)
        return replace(self, means=means, quats=quat_multiply(qR, self.quats))

    @staticmethod
    def cat(parts: Sequence[Gaussians], groups: Sequence[int] | None = None) -> Gaussians:
        """Concatenate sets (e.g. scene + avatar + object); SH sets of different degrees are padded to the highest
        degree and RGB sets become SH DC terms when mixed with SH sets. ``groups`` gives each part's group id
        (overriding its own); otherwise parts keep theirs (scene 0 when they have none)."""
        if groups is not None:
            if len(groups) != len(parts):
                raise ValueError(f"{len(groups)} group ids for {len(parts)} parts")
            parts = [p.with_group(g) if p is not None else None for p, g in zip(parts, groups, strict=True)]
        parts = [p for p in parts if p is not None and len(p) > 0] or list(parts[:1])
        dims = {p.colors.shape[1] for p in parts if p.colors.dim() == 2}
        if len(dims) > 1 or (any(p.colors.dim() == 3 for p in parts) and dims and dims != {3}):
            raise ValueError(f"cannot concatenate Gaussians with colour widths {sorted(dims)} (and SH sets)")
        colors = [p.colors for p in parts]
        if any(c.dim() == 3 for c in colors):
            k = max(c.shape[1] if c.dim() == 3 else 1 for c in colors)
            colors = [_as_sh(c, k) for c in colors]
        groups = None
        if any(p.group is not None for p in parts):
            groups = torch.cat([p.group if p.group is not None else
                                torch.zeros(len(p), dtype=torch.long, device=p.device) for p in parts])
        return Gaussians(
            means=torch.cat([p.means for p in parts]),
            quats=torch.cat([p.quats for p in parts]),
            scales=torch.cat([p.scales for p in parts]),
            opacities=torch.cat([p.opacities for p in parts]),
            colors=torch.cat(colors),
            group=groups,
        )


SH_C0 = 0.28209479177387814


def _as_sh(colors: torch.Tensor, k: int) -> torch.Tensor:
    if colors.dim() == 2:  # RGB -> DC coefficient
        dc = ((colors[:, :3] - 0.5) / SH_C0)[:, None, :]
        colors = dc
    if colors.shape[1] < k:
        pad = colors.new_zeros(colors.shape[0], k - colors.shape[1], 3)
        colors = torch.cat([colors, pad], dim=1)
    return colors
