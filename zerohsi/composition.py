"""Putting a clip's parts together for the renderer: the one composition of scene + avatar + object Gaussians
used by the first frame, the test signal and the output videos (HSI fitting still assembles its own, keeping the
scene's Gaussians from one iteration to the next), the first frame I0 with its masks, and the configured render
function.

Layering: this module sits below the stages (recon, outputs, video, segment) and above body, scenes and render;
it never imports the pipeline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from zerohsi.cameras import Camera
    from zerohsi.clip_setup import Setup
    from zerohsi.config import RunConfig
    from zerohsi.gaussians import Gaussians
    from zerohsi.segment.masks import Masks

#: group ids of the per-part feature channels rendered in the same pass (DESIGN.md: masks come from them)
SCENE, HUMAN, OBJECT = 0, 1, 2


def make_render_fn(cfg: RunConfig):
    """A render function with the configured backend bound."""
    from zerohsi.render import render

    backend = cfg.render.backend

    def render_fn(gaussians, camera, **kwargs):
        return render(gaussians, camera, backend=backend, **kwargs)

    return render_fn


def compose(scene_gaussians: Gaussians | None, avatar_gaussians: Gaussians | None = None,
            object_gaussians: Gaussians | None = None, object_pose: torch.Tensor | None = None) -> Gaussians:
    """Scene (group 0) + avatar (group 1) + object posed by ``object_pose`` (4,4 object-to-world; group 2)
    Gaussians; a part that is None is left out."""
    from zerohsi.gaussians import Gaussians

    parts = [] if scene_gaussians is None else [scene_gaussians.with_group(SCENE)]
    if avatar_gaussians is not None:
        parts.append(avatar_gaussians.with_group(HUMAN))
    if object_gaussians is not None and object_pose is not None:
        parts.append(object_gaussians.with_group(OBJECT).transform(object_pose.to(object_gaussians.means)))
    return Gaussians.cat(parts)


def composite(setup: Setup, params, object_pose, camera: Camera, *, with_scene: bool = True) -> Gaussians:
    """The clip's scene (unless ``with_scene`` is False) + its avatar posed by ``params`` (seen from ``camera``:
    its colours depend on the view) + its object at ``object_pose``, on the setup's device."""
    device = setup.device
    return compose(setup.scene.gaussians.to(device) if with_scene else None,
                   setup.avatar.gaussians(params.to(device), camera.to(device)),
                   setup.obj.gaussians.to(device) if setup.obj is not None else None,
                   None if object_pose is None else object_pose.to(device))


def render_first_frame(setup: Setup, render_fn, background: torch.Tensor) -> tuple[np.ndarray, Masks]:
    """I0 (H,W,3) float in [0,1] and the rendered, occlusion-aware frame-0 masks (T=1)."""
    from zerohsi.segment.masks import Masks

    with torch.no_grad():
        g = composite(setup, setup.body0, setup.object_pose0, setup.camera0)
        out = render_fn(g, setup.camera0, with_groups=True, background=background)
    human = (out.groups[..., HUMAN] > 0.5).cpu().numpy()[None]
    obj = (out.groups[..., OBJECT] > 0.5).cpu().numpy()[None] if setup.obj is not None else None
    return out.rgb.clamp(0, 1).cpu().numpy(), Masks(human=human, object=obj)
