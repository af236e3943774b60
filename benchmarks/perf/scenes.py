"""Scene figures: build time and size of the procedural twins, SDF query throughput (forward and backward),
occupancy SDF from Gaussians and floor estimation. Prints its figures; run with `python benchmarks/perf/scenes.py`.
"""

from __future__ import annotations

import time

import torch

from zerohsi.scenes import build_object, object_names, scene_names
from zerohsi.scenes.occupancy import estimate_floor, gaussians_sdf
from zerohsi.scenes.procedural import build_procedural_scene


def timed(fn, repeat: int = 1):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return out, best


def main() -> None:
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    sizes, times = [], []
    for name in scene_names():
        scene, dt = timed(lambda n=name: build_procedural_scene(n, density=1.0))
        sizes.append(len(scene.gaussians))
        times.append(dt)
        print(f"build {name:12s} {len(scene.gaussians):6d} Gaussians {len(scene.primitives):4d} primitives "
              f"{dt * 1000:7.1f} ms")
    print(f"scenes: mean {sum(sizes) / len(sizes):.0f} Gaussians, mean build {1000 * sum(times) / len(times):.0f} ms")
    for name in object_names():
        obj, dt = timed(lambda n=name: build_object(n, seed=123))
        print(f"object {name:13s} {len(obj.gaussians):5d} Gaussians {dt * 1000:7.1f} ms")

    scene = build_procedural_scene("store", density=1.0)  # the scene with the most primitives
    gen = torch.Generator().manual_seed(0)
    lo, hi = scene.bounds
    for n in (13718, 51 * 13718):  # one body mesh; a 51-frame motion
        p = lo + (hi - lo) * torch.rand(n, 3, generator=gen)
        _, dt = timed(lambda p=p: scene.sdf(p), repeat=2)
        q = p.clone().requires_grad_(True)

        def fwd_bwd(q=q):
            scene.sdf(q).sum().backward()

        _, dtb = timed(fwd_bwd)
        print(f"scene.sdf store ({len(scene.primitives)} primitives) {n:7d} points: forward {dt * 1000:8.1f} ms "
              f"({n / dt / 1e6:.2f} M pts/s), forward+backward {dtb * 1000:8.1f} ms")

    g = build_procedural_scene("living_room", density=1.0).gaussians
    grid, dt = timed(lambda: gaussians_sdf(g, voxel_size=0.05, floor_height=0.0))
    print(f"occupancy SDF living_room {len(g)} Gaussians, voxel 0.05: grid {grid.shape_zyx} in {dt * 1000:.0f} ms")
    p = lo + (hi - lo) * torch.rand(51 * 13718, 3, generator=gen)
    _, dt = timed(lambda: grid(p), repeat=2)
    print(f"grid SDF lookup {len(p)} points: {dt * 1000:.1f} ms")
    est, dt = timed(lambda: estimate_floor(g))
    print(f"floor estimate {est.height:+.4f} m (truth 0) in {dt * 1000:.1f} ms")


if __name__ == "__main__":
    main()
