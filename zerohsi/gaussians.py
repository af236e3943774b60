"""3D Gaussians with activated parameters (the layout ``gsplat.rasterization`` takes)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Optional, Sequence

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

    def _map(self, fn) -> "Gaussians":
        return Gaussians(**{f.name: (fn(getattr(self, f.name)) if getattr(self, f.name) is not None else None)
                            for f in fields(self)})

    def to(self, *args, **kwargs) -> "Gaussians":
        return self._map(lambda t: t.to(*args, **kwargs) if t.is_floating_point() or not kwargs.get("dtype")
                         else t.to(device=kwargs.get("device", t.device)))

    def detach(self) -> "Gaussians":
        return self._map(lambda t: t.detach())

    def select(self, index: torch.Tensor) -> "Gaussians":
        return self._map(lambda t: t[index])

    def with_group(self, group_id: int) -> "Gaussians":
        return replace(self, group=torch.full((len(self),), int(group_id), dtype=torch.long, device=self.device))

    def transform(self, T: torch.Tensor) -> "Gaussians":
        """Apply a rigid 4x4 transform (differentiable w.r.t. T): moves means, rotates quats."""
        from zerohsi.geometry import matrix_to_quat, quat_multiply

        R, t = T[:3, :3], T[:3, 3]
        means = self.means @ R.T + t
        qR = matrix_to_quat(R).expand_as(self.quats)
        return replace(self, means=means, quats=quat_multiply(qR, self.quats))

    @staticmethod
    def cat(parts: Sequence["Gaussians"]) -> "Gaussians":
        """Concatenate sets; SH sets of different degrees are padded to the highest degree."""
        parts = [p for p in parts if p is not None and len(p) > 0] or list(parts[:1])
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
