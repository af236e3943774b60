"""Segmenter and pose-initializer speed and accuracy on this machine (CPU unless CUDA is present). Prints figures.

- ``scene_difference`` on the ``scripted`` test signal of suite instances (fast preset, 128x96): seconds per frame
  and mean IoU of the human and object masks against the signal's ground truth (target: >= 0.9);
- ``scene_difference`` on the built-in synthetic clip (no suite needed): seconds per frame, IoU, camera error;
- ``sam2`` (if installed): the hiera-tiny video predictor with random weights (the code path, not accuracy) at a
  given input size, seconds per frame for two tracked objects;
- the SMPL-family adapters' shared path: reading + forward kinematics + world mapping for a 51-frame track, and
  the retargeting fit onto anny.

Usage: python benchmarks/perf/segment_poseinit.py [--frames 6] [--instances living_room_sit_sofa,store_push_cart]
       [--skip-scripted] [--skip-sam2] [--sam2-size 256]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from types import SimpleNamespace

import numpy as np
import torch


def scripted(instance: str, frames: int) -> None:
    from zerohsi.clip_setup import build_setup
    from zerohsi.composition import make_render_fn, render_first_frame
    from zerohsi.config import load_config
    from zerohsi.io import load_npz
    from zerohsi.plugins import get_host
    from zerohsi.segment.testing import mask_iou
    from zerohsi.video.base import VideoRequest

    cfg = load_config("fast", [f"instance.name={instance}"])
    setup = build_setup(cfg, torch.device("cpu"))
    first, first_masks = render_first_frame(setup, make_render_fn(cfg), torch.tensor(cfg.render.background))
    host = get_host()
    gen = host.build("video_generator", "scripted", cfg.video.generator.options)
    work = tempfile.mkdtemp(prefix="zerohsi-bench-")
    video = gen.generate(VideoRequest(first_frame=first, prompt=setup.prompt, seed=0, num_frames=frames, fps=10.0,
                                      workdir=work, setup=setup))
    gt = load_npz(f"{work}/ground_truth_masks.npz")
    seg = host.build("segmenter", "scene_difference", {"background": list(cfg.render.background)})
    t = time.perf_counter()
    masks = seg.segment(video, first_masks, setup)
    dt = (time.perf_counter() - t) / frames
    line = f"  {instance:28s} {video.width}x{video.height} T={frames}: {dt:6.2f} s/frame  human IoU " \
           f"{mask_iou(masks.human, gt['human']):.3f}"
    if masks.object is not None:
        iou_o = mask_iou(masks.object, gt["object"])
        line += f"  object IoU {iou_o:.3f}  mean {(mask_iou(masks.human, gt['human']) + iou_o) / 2:.3f}"
    print(line + f"  ({len(setup.scene.gaussians)} scene Gaussians)")


def synthetic(frames: int) -> None:
    from zerohsi.geometry import rotation_angle_deg
    from zerohsi.segment.scene_difference import SceneDifferenceSegmenter
    from zerohsi.segment.testing import mask_iou, synthetic_clip

    clip = synthetic_clip(frames, 128, 96, dynamic=True, shake_deg=0.8)
    seg = SceneDifferenceSegmenter()
    t = time.perf_counter()
    m = seg.segment(clip.video, clip.first_masks, clip.setup)
    dt = (time.perf_counter() - t) / frames
    err = np.mean([rotation_angle_deg(a.world_to_cam[:3, :3], b.world_to_cam[:3, :3]).item()
                   for a, b in zip(seg.cameras[1:], clip.cameras[1:], strict=True)])
    shake = np.mean([rotation_angle_deg(clip.setup.camera0.world_to_cam[:3, :3], b.world_to_cam[:3, :3]).item()
                     for b in clip.cameras[1:]])
    print(f"  synthetic 128x96 T={frames}: {dt:.2f} s/frame  human IoU {mask_iou(m.human, clip.gt.human):.3f}  "
          f"object IoU {mask_iou(m.object, clip.gt.object):.3f}  camera error {err:.2f} deg (shake {shake:.2f} deg)")


def sam2(size: int, frames: int) -> None:
    try:
        from zerohsi_sam2.config import Sam2Config
        from zerohsi_sam2.segmenter import Sam2Segmenter
    except ImportError:
        print("  sam2 plugin not installed")
        return
    from zerohsi.segment.masks import Masks
    from zerohsi.video.video import Video

    rng = np.random.default_rng(0)
    H, W = 96, 128
    video = Video((rng.random((frames, H, W, 3)) * 255).astype(np.uint8), 10.0)
    human = np.zeros((1, H, W), bool)
    human[0, 20:80, 30:50] = True
    obj = np.zeros((1, H, W), bool)
    obj[0, 50:75, 60:90] = True
    seg = Sam2Segmenter(Sam2Config(config="configs/sam2.1/sam2.1_hiera_t.yaml", random_weights=True,
                                   image_size=size))
    t = time.perf_counter()
    _ = seg.predictor
    build = time.perf_counter() - t
    t = time.perf_counter()
    seg.segment(video, Masks(human, obj))
    dt = (time.perf_counter() - t) / frames
    print(f"  sam2 hiera-tiny (random weights) image_size={size} on {seg.device}: build {build:.1f} s, "
          f"{dt:.2f} s/frame (2 objects, {frames} frames)")


def adapters() -> None:
    from zerohsi.body.anny_model import AnnyBody
    from zerohsi.poseinit.retarget import camera_to_world, core_targets, fill_gaps, retarget
    from zerohsi.poseinit.testing import world_scenario, write_smpl_family_model

    with tempfile.TemporaryDirectory() as d:
        model = write_smpl_family_model(f"{d}/SMPLX_NEUTRAL.npz", "smplx")
        sc = world_scenario(51, "smplx", model, width=128, height=96)
    sk, m, c = sc["skeleton"], sc["motion"], sc["camera"]
    t = time.perf_counter()
    jc = sk.joints(torch.as_tensor(c["global_orient"]), torch.as_tensor(m["body_pose"]),
                   torch.as_tensor(m["betas"]), torch.as_tensor(c["transl"]))
    K = torch.as_tensor(sc["cameras"][0].K, dtype=torch.float64).expand(51, 3, 3)
    jw = camera_to_world(jc, K, sc["cameras"], list(range(51)), (128, 96))
    valid = np.ones(51, bool)
    valid[10:14] = False
    jw, _ = fill_gaps(jw, valid)
    fk = time.perf_counter() - t
    body = AnnyBody()
    setup = SimpleNamespace(avatar=SimpleNamespace(body_model=body), body0=body.rest_params(1))
    t = time.perf_counter()
    retarget(setup, core_targets(sk, jw), iters=100)
    fit = time.perf_counter() - t
    print(f"  SMPL-X track, 51 frames: joints + world mapping + gap fill {fk * 1000:.0f} ms; "
          f"retarget onto anny (100 iterations) {fit:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=6)
    ap.add_argument("--instances", default="living_room_sit_sofa,bedroom_move_vase,store_push_cart")
    ap.add_argument("--skip-scripted", action="store_true")
    ap.add_argument("--skip-sam2", action="store_true")
    ap.add_argument("--sam2-size", type=int, default=256)
    args = ap.parse_args()
    print(f"torch {torch.__version__}, device {'cuda' if torch.cuda.is_available() else 'cpu'}, "
          f"{torch.get_num_threads()} threads")
    print("scene_difference:")
    synthetic(args.frames)
    if not args.skip_scripted:
        for name in args.instances.split(","):
            scripted(name.strip(), args.frames)
    if not args.skip_sam2:
        print("sam2:")
        sam2(args.sam2_size, 3)
    print("pose initializer adapters:")
    adapters()


if __name__ == "__main__":
    main()
