"""Time of one camera-tracking iteration (render, loss, backward, Adam step) on a preset's instance scene.

    python benchmarks/perf/tracking.py --preset paper_anny            # 512x384, the paper's size
    python benchmarks/perf/tracking.py --preset demo --iters 15

The target frame is the scene rendered from a camera moved by 1 cm, with the central quarter of the image masked
out as if a person stood there; frame 1 is tracked from frame 0 exactly as the pipeline's loop does. Prints wall
and process CPU time per iteration (on a shared machine the CPU time is the steadier figure), the split between
the forward (render + loss) and the backward + step, and the final camera error.
"""

from __future__ import annotations

import argparse
import time

import torch

from zerohsi.config import load_config
from zerohsi.geometry import make_transform
from zerohsi.pipeline import build_setup, make_render_fn
from zerohsi.recon.tracking import CameraTracking


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="paper_anny")
    ap.add_argument("--iters", type=int, default=None, help="tracking iterations (default: the preset's)")
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = load_config(args.preset, ["device=cpu"] + ([f"tracking.iters={args.iters}"] if args.iters else []))
    setup = build_setup(cfg, torch.device("cpu"))
    render_fn = make_render_fn(cfg)
    cam0 = setup.camera0
    moved = make_transform(torch.eye(3), torch.tensor([0.01, -0.005, 0.0])) @ cam0.world_to_cam
    bg = torch.zeros(3)
    with torch.no_grad():
        frames = torch.stack([render_fn(setup.scene.gaussians, c, background=bg).rgb
                              for c in (cam0, cam0.with_pose(moved))])
    H, W = frames.shape[1:3]
    static = torch.ones(2, H, W)
    static[:, H // 4:3 * H // 4, W // 4:3 * W // 4] = 0.0
    problem = CameraTracking(setup.scene.gaussians, frames, static, cam0, cfg.tracking, render_fn, bg)
    problem.start_frame(0)
    problem.end_frame(0)
    (opt,) = problem.start_frame(1)
    fwd = bwd = cpu = 0.0
    n = problem.num_iters(1)
    w0 = time.perf_counter()
    for it in range(n):
        c0, t0 = time.process_time(), time.perf_counter()
        problem.active_optimizers(1, it, [opt])
        opt.zero_grad()
        loss, _ = problem.closure(1, it)
        t1 = time.perf_counter()
        loss.backward()
        opt.step()
        fwd, bwd = fwd + t1 - t0, bwd + time.perf_counter() - t1
        cpu += time.process_time() - c0
    wall = time.perf_counter() - w0
    problem.end_frame(1)
    err_cm = float((problem.w2c[1][:3, 3] - moved[:3, 3]).norm()) * 100
    print(f"{args.preset}: {W}x{H}, {len(setup.scene.gaussians)} scene Gaussians, {n} iterations "
          f"{torch.get_num_threads()} threads")
    print(f"  per iteration: wall {wall / n * 1e3:7.1f} ms (forward {fwd / n * 1e3:7.1f}, backward+step "
          f"{bwd / n * 1e3:7.1f}), cpu {cpu / n * 1e3:7.1f} ms; camera error after tracking {err_cm:.3f} cm")


if __name__ == "__main__":
    main()
