"""Speed of refinement on CPU: 1000 iterations on a 51-frame clip of the anny body (prints figures; not a test).

The clip is a walk (zerohsi.body.poses.walk_pose) with per-frame pose noise, as a fitted motion would have, next to
a table-like box, with a ball carried in the right hand (a dynamic instance, so the contact term is active). The
refiner runs the paper's objective plus scene penetration, foot skating and joint limits.
For comparison it also times one iteration posed with the full anny mesh forward (what the refiner avoids), and,
when the zerohsi-smplx plugin is installed, the vposer refiner on a random SMPL-X model with a random VPoser (timing
only: no real weights ship).

Usage: python benchmarks/perf/refine.py [--iters 1000] [--frames 51]
"""

from __future__ import annotations

import argparse
import time
from types import SimpleNamespace

import torch

from zerohsi.motion import Motion
from zerohsi.refine.configs import PhysicsConfig
from zerohsi.refine.physics import PhysicsObjective, PhysicsRefiner


class BoxAndFloor:
    """Floor at z = 0 and a 0.75 m high table-like box beside the path (SDF negative inside)."""

    floor_height = 0.0

    def __init__(self) -> None:
        self.lo = torch.tensor([0.5, 0.35, 0.0])
        self.hi = torch.tensor([1.5, 1.0, 0.75])

    def sdf(self, p: torch.Tensor) -> torch.Tensor:
        c, h = (self.lo + self.hi) / 2, (self.hi - self.lo) / 2
        q = (p - c).abs() - h
        box = q.clamp_min(0).norm(dim=-1) + q.max(-1).values.clamp_max(0)
        return torch.minimum(box, p[..., 2] - self.floor_height)


class Ball:
    def sdf(self, p: torch.Tensor) -> torch.Tensor:
        return p.norm(dim=-1) - 0.08


def walking_clip(model, frames: int, seed: int = 0) -> Motion:
    from zerohsi.body.poses import root_height_on_floor, walk_pose

    gen = torch.Generator().manual_seed(seed)
    phase = torch.linspace(0, 2.0, frames)
    body = walk_pose(model, phase)
    noise = 0.03 * torch.randn(body.body_pose.shape, generator=gen)
    body = body.replace(body_pose=body.body_pose + noise)
    transl = torch.stack([torch.linspace(0, 2.6, frames), torch.zeros(frames), torch.zeros(frames)], -1)
    body = body.replace(transl=transl)
    transl[:, 2] = root_height_on_floor(model, body)
    body = body.replace(transl=transl + 0.01 * torch.randn(frames, 3, generator=gen))
    with torch.no_grad():
        hand = model(body).joints[:, model.core_joint_index()["right_hand"]]
    poses = torch.eye(4).repeat(frames, 1, 1)
    poses[:, :3, 3] = hand + torch.tensor([-0.04, 0.0, -0.1])  # the ball hangs just below the hand
    return Motion(body, model.name, 10.0, object_poses=poses)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, default=1000)
    ap.add_argument("--frames", type=int, default=51)
    args = ap.parse_args()
    from zerohsi.body.anny_model import AnnyBody

    model = AnnyBody()
    motion = walking_clip(model, args.frames)
    setup = SimpleNamespace(avatar=SimpleNamespace(body_model=model), scene=BoxAndFloor(), obj=Ball(), dynamic=True)
    cfg = PhysicsConfig(iters=args.iters, w_penetration=1.0, w_foot_skate=1.0, w_joint_limits=1.0)
    print(f"torch {torch.__version__}; anny body, {args.frames} frames, {args.iters} iterations")

    t0 = time.perf_counter()
    objective = PhysicsObjective(cfg, model, motion, setup)
    t_setup = time.perf_counter() - t0
    print(f"setup (rest forward, self-check, contact set): {t_setup * 1e3:.0f} ms; fast-path self-check error "
          f"{objective.body.self_check_error_m * 1e3:.2f} mm, exact fallback: {objective.body.exact}")

    t0, c0 = time.perf_counter(), time.process_time()
    refined, report = PhysicsRefiner(cfg).refine(motion, setup)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"refine ({cfg.cpu_threads} thread): {total:.2f} s wall ({total / max(1, args.iters) * 1e3:.2f} ms per "
          f"iteration), {cpu:.2f} s CPU time (wall exceeds CPU when other processes share the cores)")
    for k in ("joints", "contact", "smooth", "penetration", "foot_skate", "joint_limits", "total",
              "joint_offset_mm"):
        print(f"  {k:>16}: before {report['before'][k]:.5g}  after {report['after'][k]:.5g}")

    # the same loss posed with the full mesh forward, for comparison (a few iterations only)
    from zerohsi.body.params import BodyParams

    body = motion.body
    pose = body.body_pose.clone().requires_grad_(True)
    reps = 3
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    for _ in range(reps):
        out = model(BodyParams(body.transl, body.global_orient, pose, body.shape))
        loss = (out.joints ** 2).sum() + (-setup.scene.sdf(out.vertices)).clamp_min(0).sum()
        loss.backward()
    naive = (time.perf_counter() - t0) / reps
    print(f"full-mesh forward+backward: {naive * 1e3:.0f} ms per iteration -> {naive * args.iters:.0f} s for "
          f"{args.iters} iterations")
    vposer_timing(args.iters, args.frames)


def vposer_timing(iters: int, frames: int) -> None:
    try:
        from zerohsi_smplx.testing import write_random_smplx_model
        from zerohsi_smplx.vposer import VPoserRefiner, VPoserV1
        from zerohsi_smplx.vposer_config import VPoserRefinerConfig
    except ImportError:
        print("vposer: zerohsi-smplx not installed, skipped")
        return
    import tempfile

    from zerohsi.plugins import get_host

    with tempfile.TemporaryDirectory() as tmp:
        body = get_host().build("body_model", "smplx", {"model_path": str(write_random_smplx_model(tmp))})
    torch.manual_seed(0)
    refiner = VPoserRefiner(VPoserRefinerConfig(iters=iters), vposer=VPoserV1())
    g = torch.Generator().manual_seed(0)
    params = body.rest_params(frames)
    params = params.replace(body_pose=0.1 * torch.randn(params.body_pose.shape, generator=g),
                            transl=torch.stack([torch.linspace(0, 2, frames), torch.zeros(frames),
                                                torch.full((frames,), 0.9)], -1))
    setup = SimpleNamespace(avatar=SimpleNamespace(body_model=body), scene=None, obj=None, dynamic=False)
    t0, c0 = time.perf_counter(), time.process_time()
    refiner.refine(Motion(params, "smplx", 10.0), setup)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"vposer refine (random SMPL-X + random VPoser v1): {wall:.2f} s wall, {cpu:.2f} s CPU for {iters} "
          f"iterations on {frames} frames")


if __name__ == "__main__":
    main()
