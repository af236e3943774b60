"""Camera tracking (stage 5): per frame, a relative camera transform fitted on the static background.

For frame t the camera is w2c_t = Δ · w2c_{t-1}, with Δ a camera-frame rigid transform (6-D rotation + translation)
initialised at identity, optimised with L2 on M_t = 1 − ∪_{i≤t}(M_H^i ∪ M_O^i). The renderer sees the scene moved by
G = w2c_{t-1}⁻¹ · Δ · w2c_{t-1} under the previous camera, which is the same image; moving the Gaussians instead of
the camera keeps every render backend differentiable w.r.t. the pose.
"""

from __future__ import annotations

from typing import Any

import torch

from zerohsi.cameras import Camera
from zerohsi.config.schema import TrackingConfig
from zerohsi.gaussians import Gaussians
from zerohsi.geometry import invert_transform, make_transform, rotation_6d_to_matrix

IDENTITY_6D = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)


def delta_transform(rot6d: torch.Tensor, trans: torch.Tensor) -> torch.Tensor:
    return make_transform(rotation_6d_to_matrix(rot6d), trans)


class CameraTracking:
    """A FrameProblem: frames (T,H,W,3) float in [0,1]; static (T,H,W) float, 1 on static background."""

    name = "tracking"

    def __init__(self, scene: Gaussians, frames: torch.Tensor, static: torch.Tensor, camera0: Camera,
                 cfg: TrackingConfig, render_fn, background: torch.Tensor) -> None:
        self.scene = scene
        self.frames = frames
        self.static = static
        self.camera0 = camera0
        self.cfg = cfg
        self.render_fn = render_fn
        self.background = background
        self.w2c: list[torch.Tensor] = [camera0.world_to_cam.detach().clone()]
        dev = camera0.world_to_cam.device
        self.rot6d = torch.tensor(IDENTITY_6D, device=dev)
        self.trans = torch.zeros(3, device=dev)

    def num_frames(self) -> int:
        return int(self.frames.shape[0])

    def num_iters(self, t: int) -> int:
        return 0 if t == 0 or not self.cfg.enabled else int(self.cfg.iters)

    def start_frame(self, t: int) -> list[torch.optim.Optimizer]:
        if t == 0:
            return []
        dev = self.w2c[-1].device
        self.rot6d = torch.tensor(IDENTITY_6D, device=dev, requires_grad=True)
        self.trans = torch.zeros(3, device=dev, requires_grad=True)
        return [torch.optim.Adam([self.rot6d, self.trans], lr=self.cfg.lr)]

    def active_optimizers(self, t, it, optimizers):
        return optimizers

    def _render(self, t: int) -> torch.Tensor:
        C = self.w2c[t - 1]
        G = invert_transform(C) @ delta_transform(self.rot6d, self.trans) @ C
        cam = self.camera0.with_pose(C)
        return self.render_fn(self.scene.transform(G), cam, background=self.background).rgb

    def closure(self, t: int, it: int) -> tuple[torch.Tensor, dict[str, float]]:
        rgb = self._render(t)
        m = self.static[t][..., None]
        loss = (m * (rgb - self.frames[t]) ** 2).sum() / (m.sum() * 3).clamp_min(1.0)
        return loss, {}

    def end_frame(self, t: int) -> None:
        if t == 0:
            return
        with torch.no_grad():
            self.w2c.append(delta_transform(self.rot6d, self.trans) @ self.w2c[t - 1])

    def cameras(self) -> list[Camera]:
        return [self.camera0.with_pose(w) for w in self.w2c]

    def preview(self, t: int):
        with torch.no_grad():
            rgb = self.render_fn(self.scene, self.camera0.with_pose(self.w2c[t]), background=self.background).rgb
        return (rgb.clamp(0, 1) * 255).byte().cpu().numpy()

    def state_dict(self) -> dict[str, Any]:
        return {"w2c": torch.stack(self.w2c)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.w2c = list(state["w2c"].unbind(0))

