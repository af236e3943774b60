"""Avatar and body-model speed on this machine (CPU unless CUDA is present). Prints its figures.

- anny first instantiation (empty temporary ANNY_CACHE_DIR: builds the ~800 MB cache) and cached instantiation;
- posing the default 6000-Gaussian avatar (LBS + colour net) for 51 frames, forward and backward (target: <= 50 ms
  per frame on CPU);
- one-frame joint-only forward+backward (the retargeting loop) and full-mesh forward for 51 frames.

Usage: python benchmarks/perf/avatar.py [--skip-cold] [--frames 51] [--gaussians 6000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import torch

_INIT = ("import time, torch; t = time.perf_counter(); from zerohsi.body.anny_model import AnnyBody; "
         "b = AnnyBody(); print(time.perf_counter() - t, b.init_seconds)")


def _instantiation_seconds(cache_dir: str | None) -> tuple[float, float]:
    """(seconds for import + construction, seconds in anny's constructor) in a fresh process."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["ANNY_CACHE_DIR"] = cache_dir
    out = subprocess.run([sys.executable, "-c", _INIT], env=env, capture_output=True, text=True, check=True)
    total, ctor = out.stdout.strip().splitlines()[-1].split()
    return float(total), float(ctor)


def _timed(fn, repeats: int) -> float:
    fn()  # warm-up (kernel compilation, caches)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-cold", action="store_true", help="skip the (about a minute) cold cache build")
    ap.add_argument("--frames", type=int, default=51)
    ap.add_argument("--gaussians", type=int, default=6000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    from zerohsi.body.anny_model import AnnyBody
    from zerohsi.body.avatar import Avatar
    from zerohsi.body.poses import walk_pose

    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, device cpu")
    if not args.skip_cold:
        with tempfile.TemporaryDirectory() as tmp:
            total, ctor = _instantiation_seconds(tmp)
            print(f"anny first instantiation (cold cache): {ctor:.1f} s (with imports {total:.1f} s)")
    total, ctor = _instantiation_seconds(None)
    print(f"anny cached instantiation: {ctor:.2f} s (with imports in a fresh process {total:.1f} s)")

    body = AnnyBody()
    avatar = Avatar.create(body, num_gaussians=args.gaussians)
    T = args.frames
    params = walk_pose(body, torch.linspace(0, 1, T))
    params.body_pose.requires_grad_(True)
    params.transl.requires_grad_(True)
    cam = torch.tensor([0.0, -3.0, 1.0])

    def forward():
        with torch.no_grad():
            avatar.pose(params, cam)

    def forward_backward():
        out = avatar.pose(params, cam)
        (out.means.sum() + out.colors.sum() + out.quats.sum() + out.scales.sum()).backward()

    f = _timed(forward, args.repeats)
    fb = _timed(forward_backward, args.repeats)
    print(f"avatar pose {T} frames x {args.gaussians} Gaussians: forward {1000 * f:.0f} ms "
          f"({1000 * f / T:.1f} ms/frame), forward+backward {1000 * fb:.0f} ms ({1000 * fb / T:.1f} ms/frame; "
          "target <= 50 ms/frame)")

    one = body.rest_params(1)
    one.body_pose.requires_grad_(True)

    def fk_step():
        j, _ = body.forward_kinematics(one)
        j.sum().backward()

    print(f"anny joints-only forward+backward, 1 frame: {1000 * _timed(fk_step, 20):.1f} ms")

    def mesh():
        with torch.no_grad():
            body(params.detach())

    print(f"anny full mesh forward, {T} frames: {1000 * _timed(mesh, args.repeats):.0f} ms")


if __name__ == "__main__":
    main()
