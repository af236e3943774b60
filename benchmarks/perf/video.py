"""Video-stage speed: mp4 and lossless frame IO, resampling, cache hits, the program player and the scripted test
signal's per-frame cost (CPU, small sizes). Prints its figures."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def clock(fn, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def io_figures(tmp: Path) -> None:
    from zerohsi.video.base import VideoRequest
    from zerohsi.video.cache import cached_generate
    from zerohsi.video.io import load_frames, read_video, save_frames, write_mp4
    from zerohsi.video.resample import resample
    from zerohsi.video.video import Video

    rng = np.random.default_rng(0)
    frames = (rng.random((153, 240, 320, 3)) * 40 + np.linspace(0, 200, 320)[None, None, :, None]).astype(np.uint8)
    t = clock(lambda: write_mp4(tmp / "a.mp4", frames, 30.0), 1)
    print(f"write_mp4   153 frames 320x240: {t:.2f} s ({153 / t:.0f} frames/s)")
    t = clock(lambda: read_video(tmp / "a.mp4"), 1)
    print(f"read_video  153 frames 320x240: {t:.2f} s ({153 / t:.0f} frames/s)")
    video = Video(frames, 30.0)
    t = clock(lambda: save_frames(tmp / "f.npz", video), 1)
    size = (tmp / "f.npz").stat().st_size / 2**20
    t_load = clock(lambda: load_frames(tmp / "f.npz"), 1)
    print(f"save_frames (lossless npz): {t:.2f} s, {size:.1f} MB; load_frames {t_load:.2f} s")
    print(f"resample 153@30 -> 51@10: {1e3 * clock(lambda: resample(video, 10.0, 51), 5):.2f} ms")

    class Fixed:
        name = "fixed"

        def cache_key(self):
            return {"m": 1}

        def generate(self, request):
            return video

    req = VideoRequest(frames[0].astype(np.float32) / 255, "p", 0, 51, 10.0, tmp / "w")
    t_miss = clock(lambda: cached_generate(Fixed(), req, tmp / "cache", refresh=True), 1)
    t_hit = clock(lambda: cached_generate(Fixed(), req, tmp / "cache"), 3)
    print(f"cached_generate 153 frames 320x240: miss (store) {t_miss:.2f} s, hit {t_hit:.2f} s")


def scripted_figures(tmp: Path) -> None:
    from zerohsi.body.anny_model import AnnyBody
    from zerohsi.body.avatar import Avatar
    from zerohsi.body.poses import place_on_floor, pose_preset, yaw_orient
    from zerohsi.clip_setup import Setup
    from zerohsi.composition import render_first_frame
    from zerohsi.plugins import get_host
    from zerohsi.render import render
    from zerohsi.scenes import build_object, build_scene
    from zerohsi.scenes.suite import CameraSpec, HumanInit, Instance, ObjectInit, Step
    from zerohsi.video.base import VideoRequest
    from zerohsi.video.scripted.program import ProgramPlayer

    body = AnnyBody()
    scene, obj = build_scene("bar", procedural=True), build_object("guitar")
    program = [Step("walk_to", 1.5, {"target": (-2.0, -0.25)}),
               Step("pick_up", 1.5, {"hand": "both", "region": ["neck", "body"]}),
               Step("lift", 1.3, {"height_m": 0.8}), Step("idle", 0.8, {})]
    inst = Instance("bench", "bar", "p", "dynamic", HumanInit((-0.8, -1.6), 110.0),
                    CameraSpec((-0.2, -3.4, 1.9), (-1.6, 0.1, 0.5), 62.0, 128, 96), program, [0], "guitar",
                    ObjectInit((-2.0, 0.3, 0.0), 20.0))
    p = pose_preset(body, "standing").replace(global_orient=yaw_orient(200.0), transl=torch.tensor([[-0.8, -1.6, 0]]))
    body0 = place_on_floor(body, p)
    player = ProgramPlayer(body, scene, obj)
    t = clock(lambda: player.play(program, body0, 10.0, 51, object_pose0=inst.object_pose()), 1)
    print(f"program player, 51 frames (walk, pick_up, lift, idle): {t:.2f} s")
    avatar = Avatar.create(body, num_gaussians=6000)
    setup = Setup(scene=scene, avatar=avatar, body0=body0, camera0=inst.camera(), prompt="p", seed=0, obj=obj,
                  object_pose0=inst.object_pose(), instance=inst)
    first, _ = render_first_frame(setup, lambda g, c, **k: render(g, c, backend="torch", **k), torch.zeros(3))
    gen = get_host().build("video_generator", "scripted", {"render_backend": "torch"})
    T = 6
    req = VideoRequest(first, "p", 0, T, 10.0, tmp / "s", setup=setup)
    t = clock(lambda: gen.generate(req), 1)
    print(f"scripted test signal 128x96, {len(scene.gaussians) + 6000 + len(obj.gaussians)} Gaussians, torch backend: "
          f"{t / T:.2f} s/frame (incl. playing and ground truth)")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as d:
        io_figures(Path(d))
        scripted_figures(Path(d))
