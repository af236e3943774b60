"""Speed of the evaluation metrics on paper-sized sequences (prints figures; not a test).

A sequence is 51 frames (5 s at 10 fps) of a body with anny's 13,718 vertices; the scene SDF is an analytic room
(floor + a sofa-sized box), the object SDF a sphere. CLIP uses ViT-B-32 with random weights (same cost as trained
ones). Usage: python benchmarks/perf/metrics.py [--quick] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from zerohsi.body.params import CORE_JOINTS, BodyOutput, BodyParams
from zerohsi.metrics.base import EvalContext
from zerohsi.metrics.clip import ClipConsistency, ClipScore
from zerohsi.metrics.configs import ClipConfig
from zerohsi.metrics.contact import HandObjectContact
from zerohsi.metrics.foot_sliding import FootSliding
from zerohsi.metrics.penetration import ObjectPenetration, ScenePenetration
from zerohsi.motion import Motion
from zerohsi.video.video import Video

V = 13_718  # anny's vertex count


class CloudBody:
    """A body-sized point cloud that follows the root translation (metric cost depends on V and T, not on LBS)."""

    name = "cloud"

    def __init__(self) -> None:
        g = torch.Generator().manual_seed(0)
        self.rest = (torch.rand(V, 3, generator=g) - 0.5) * torch.tensor([0.5, 0.3, 1.7]) + torch.tensor([0, 0, 0.85])
        self.joint_rest = self.rest[torch.linspace(0, V - 1, len(CORE_JOINTS)).long()]

    def __call__(self, p: BodyParams) -> BodyOutput:
        v = self.rest[None] + p.transl[:, None]
        j = self.joint_rest[None] + p.transl[:, None]
        return BodyOutput(v, j, torch.eye(4).expand(len(p), len(CORE_JOINTS), 4, 4))

    def core_joint_index(self):
        return {n: i for i, n in enumerate(CORE_JOINTS)}

    def vertex_sets(self):
        return {"left_hand": torch.arange(0, 300), "right_hand": torch.arange(300, 600)}


class Room:
    floor_height = 0.0

    def sdf(self, p: torch.Tensor) -> torch.Tensor:
        q = (p - torch.tensor([0.8, 0.0, 0.2])).abs() - torch.tensor([0.4, 1.0, 0.2])
        box = q.clamp_min(0).norm(dim=-1) + q.max(-1).values.clamp_max(0)
        return torch.minimum(box, p[..., 2] - self.floor_height)


class Ball:
    def sdf(self, p: torch.Tensor) -> torch.Tensor:
        return p.norm(dim=-1) - 0.15


def timed(fn, reps: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - start) / reps


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    T, reps = 51, (1 if args.quick else 3)
    transl = torch.zeros(T, 3)
    transl[:, 0] = torch.linspace(0, 1.5, T)
    poses = torch.eye(4).repeat(T, 1, 1)
    poses[:, :3, 3] = transl + torch.tensor([0.3, 0.0, 1.0])
    motion = Motion(BodyParams(transl, torch.zeros(T, 3), torch.zeros(T, 60), torch.zeros(T, 1)), "cloud", 10.0,
                    object_poses=poses)
    body = CloudBody()
    print(f"metrics on {T} frames x {V} vertices (CPU threads: {torch.get_num_threads()})")
    for name, metric in [("penetration", ScenePenetration()), ("foot_sliding", FootSliding()),
                         ("contact", HandObjectContact()), ("object_penetration", ObjectPenetration())]:
        # a fresh context per call: nothing cached between repetitions
        sec = timed(lambda m=metric: m.compute(motion, EvalContext(body, scene=Room(), obj=Ball())), reps)
        print(f"  {name:<20s} {1000 * sec:8.1f} ms / sequence")
    frames = np.random.default_rng(0).integers(0, 256, (T, 384, 512, 3), dtype=np.uint8)
    cfg = ClipConfig(model="ViT-B-32", weights="random", device=args.device, batch_size=17)
    ctx_fn = lambda: EvalContext(body, prompt="a person sits on the sofa", rendered=Video(frames, 10.0))  # noqa: E731
    ClipScore(cfg).compute(motion, ctx_fn())  # model build, not timed
    sec = timed(lambda: ClipScore(cfg).compute(motion, ctx_fn()), reps)
    print(f"  {'clip_score (ViT-B-32)':<20s} {1000 * sec:8.1f} ms / sequence ({1000 * sec / T:.1f} ms / frame, "
          f"{args.device})")
    sec = timed(lambda: ClipConsistency(cfg).compute(motion, ctx_fn()), reps)
    print(f"  {'clip_consistency':<20s} {1000 * sec:8.1f} ms / sequence")
    real_scene(T, reps)


def real_scene(T: int, reps: int) -> None:
    """The anny body posing 51 frames and the living-room twin's SDF: what a benchmark run really pays."""
    from zerohsi.metrics.posed import pose_motion
    from zerohsi.plugins import get_host
    from zerohsi.scenes import build_scene

    try:
        body = get_host().build("body_model", "anny")
        scene = build_scene("living_room")
    except Exception as exc:  # noqa: BLE001 - report and skip when the backends are unavailable
        print(f"  (anny / procedural scene unavailable: {type(exc).__name__}: {exc})")
        return
    params = body.rest_params(T)
    params.transl[:, 0] = torch.linspace(-1.0, 1.0, T)
    motion = Motion(params, body.name, 10.0)
    sec = timed(lambda: pose_motion(motion, body), reps)
    print(f"  {'anny posing':<20s} {1000 * sec:8.1f} ms / sequence ({body.name}, {T} frames)")
    ctx = EvalContext(body, scene=scene)
    ScenePenetration().compute(motion, ctx)
    sec = timed(lambda: ScenePenetration().compute(motion, EvalContext(body, scene=scene)), reps)
    print(f"  {'penetration (anny)':<20s} {1000 * sec:8.1f} ms / sequence incl. posing (living_room SDF)")
    sec = timed(lambda: FootSliding().compute(motion, EvalContext(body, scene=scene)), reps)
    print(f"  {'foot_sliding (anny)':<20s} {1000 * sec:8.1f} ms / sequence incl. posing")


if __name__ == "__main__":
    main()
