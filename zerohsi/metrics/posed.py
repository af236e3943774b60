"""Posing a `Motion` with the evaluation body model, once per motion, shared by every metric of a run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional

import torch

from zerohsi.body.params import BodyOutput, core_joints
from zerohsi.errors import UserError
from zerohsi.motion import Motion

if TYPE_CHECKING:
    from zerohsi.metrics.base import EvalContext

#: frames per body-model forward call (bounds memory on 13k-vertex bodies)
CHUNK = 64
_CACHE_KEY = "_posed_bodies"


def pose_motion(motion: Motion, body_model, chunk: int = CHUNK) -> BodyOutput:
    """Run ``body_model`` on every frame of ``motion`` without gradients.

    Returns BodyOutput with vertices (T,V,3) and joints (T,J,3) in world metres. The motion must be expressed in
    the same body backend (baselines are retargeted before scoring).
    """
    name = getattr(body_model, "name", None)
    if name is not None and motion.body_model != name:
        raise UserError(f"This motion uses the '{motion.body_model}' body but the metrics use '{name}'; "
                        f"retarget it first or evaluate with avatar.body={motion.body_model}.")
    params = motion.body.detach()
    outs = []
    with torch.no_grad():
        for start in range(0, len(params), chunk):
            outs.append(body_model(params[start:start + chunk]))
    return BodyOutput(vertices=torch.cat([o.vertices for o in outs]).float(),
                      joints=torch.cat([o.joints for o in outs]).float(),
                      joint_transforms=torch.cat([o.joint_transforms for o in outs]).float())


def posed(motion: Motion, ctx: EvalContext) -> BodyOutput:
    """:func:`pose_motion` cached in ``ctx.extras`` so several metrics on one motion pose it only once."""
    cache = ctx.extras.setdefault(_CACHE_KEY, {})
    key = id(motion)
    hit = cache.get(key)
    if hit is None or hit[0] is not motion:
        hit = (motion, pose_motion(motion, ctx.body_model))
        cache[key] = hit
    return hit[1]


def posed_core_joints(motion: Motion, ctx: EvalContext, names: Optional[Sequence[str]] = None) -> torch.Tensor:
    """(T,len(names),3) CORE_JOINTS positions of ``motion`` in world metres."""
    return core_joints(ctx.body_model, posed(motion, ctx).joints, names)


def vertex_set(ctx: EvalContext, name: str) -> torch.Tensor:
    """Indices of a named vertex set ('left_hand', 'right_hand', 'left_sole', 'right_sole')."""
    sets = ctx.body_model.vertex_sets()
    if name not in sets:
        raise UserError(f"The '{getattr(ctx.body_model, 'name', '?')}' body model defines no '{name}' vertex set, "
                        "which this metric needs; use a body backend that does.")
    return torch.as_tensor(sets[name], dtype=torch.long)


def common_length(*lengths: int) -> int:
    """Frames two sequences share (a reconstruction and its ground truth may differ by a trailing frame)."""
    n = min(lengths)
    if n <= 0:
        raise UserError("A motion to evaluate has no frames; check the run produced a motion.")
    return n
