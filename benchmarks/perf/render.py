"""Speed and memory of the torch render backend (prints figures; not a test).

Scenes are random Gaussians filling a room-sized box seen from 5 m away, with 3DGS-like scales (1-6 cm) and
opacities, so per-tile depth complexity resembles a real splat scene. Times are the best of several runs (wall clock
and process CPU time; on a shared machine the CPU time is the steadier figure). Peak memory is the growth of the
process's maximum resident set during one forward+backward, measured in a fresh subprocess per case.

Usage: python benchmarks/perf/render.py [--quick] [--threads N] [--reference]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import torch

from zerohsi.cameras import Camera
from zerohsi.gaussians import Gaussians
from zerohsi.render import render


def random_scene(n: int, seed: int = 0) -> Gaussians:
    g = torch.Generator().manual_seed(seed)
    means = (torch.rand(n, 3, generator=g) - 0.5) * torch.tensor([4.0, 4.0, 2.5])
    scales = torch.exp(torch.empty(n, 3).uniform_(-4.6, -2.8, generator=g))
    quats = torch.nn.functional.normalize(torch.randn(n, 4, generator=g), dim=-1)
    opac = torch.sigmoid(torch.randn(n, generator=g) * 2)
    colors = torch.rand(n, 3, generator=g)
    return Gaussians(means, quats, scales, opac, colors)


def composite_scene(n_scene: int, n_avatar: int, n_object: int) -> Gaussians:
    """Scene + a person-sized blob of small Gaussians + an object, with group ids (the pipeline's typical load)."""
    scene = random_scene(n_scene, seed=0)
    person = random_scene(n_avatar, seed=1)
    person.means *= torch.tensor([0.1, 0.08, 0.35])
    person.scales *= 0.5
    obj = random_scene(n_object, seed=2)
    obj.means = obj.means * 0.1 + torch.tensor([0.5, 0.0, -0.5])
    obj.scales *= 0.5
    return Gaussians.cat([scene, person, obj], groups=[0, 1, 2])


def _case(n: int, width: int, height: int, reps: int, custom_backward: bool, typical: bool) -> dict[str, float]:
    scene = composite_scene(n - 8000, 6000, 2000) if typical else random_scene(n)
    cam = Camera.look_at((0.0, -5.0, 0.5), (0.0, 0.0, 0.0), width=width, height=height, fov_deg=60)
    params = [t.clone().requires_grad_(True) for t in (scene.means, scene.quats, scene.scales, scene.opacities,
                                                        scene.colors)]
    g = Gaussians(*params, group=scene.group)
    kw = {"with_groups": True} if typical else {}

    def fwd_bwd():
        r = render(g, cam, backend="torch", custom_backward=custom_backward, **kw)
        (r.rgb.mean() + r.alpha.mean()).backward()
        return r

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    r = fwd_bwd()
    peak_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024

    def best(fn) -> tuple[float, float]:
        wall = cpu = float("inf")
        for _ in range(reps):
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall, cpu = min(wall, time.perf_counter() - w0), min(cpu, time.process_time() - c0)
        return wall * 1e3, cpu * 1e3

    def fwd():
        with torch.no_grad():
            render(g, cam, backend="torch", **kw)

    fw, fc = best(fwd)
    bw, bc = best(fwd_bwd)
    return {"fwd_ms": fw, "fwd_cpu_ms": fc, "fwd_bwd_ms": bw, "fwd_bwd_cpu_ms": bc, "peak_mb": peak_mb,
            "pairs": r.meta["num_pairs"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="Only the 128x128 / 20k case.")
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's).")
    ap.add_argument("--reference", action="store_true", help="Also time the plain-autograd reference backward.")
    ap.add_argument("--case", help=argparse.SUPPRESS)  # internal: run one case in this process, print JSON
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.case:
        n, w, h, reps, custom, typical = json.loads(args.case)
        print(json.dumps(_case(n, w, h, reps, custom, typical)))
        return
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    cases = [(20_000, 128, 128, 5, False), (38_000, 128, 96, 5, True)]
    if not args.quick:
        cases += [(50_000, 128, 128, 3, False), (100_000, 256, 256, 3, False)]
    for n, w, h, reps, typical in cases:
        for custom in ([True, False] if args.reference else [True]):
            cmd = [sys.executable, __file__, "--case", json.dumps([n, w, h, reps, custom, typical])]
            if args.threads:
                cmd += ["--threads", str(args.threads)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
            res = json.loads(out)
            tag = ("typical " if typical else "") + ("custom" if custom else "autograd")
            print(f"{w}x{h} N={n:>7} [{tag:15}] pairs={res['pairs']:>8}  "
                  f"fwd {res['fwd_ms']:7.1f} ms (cpu {res['fwd_cpu_ms']:7.1f})  "
                  f"fwd+bwd {res['fwd_bwd_ms']:7.1f} ms (cpu {res['fwd_bwd_cpu_ms']:7.1f})  "
                  f"peak +{res['peak_mb']:6.1f} MB")


if __name__ == "__main__":
    main()
