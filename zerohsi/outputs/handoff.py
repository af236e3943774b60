"""The hand-off to an outside video model: the rendered first frame, its masks, and what the returned clip must be.

Most users drive KLING, Runway, Veo or Sora through a web page. ``export_first_frame`` renders the instance's first
frame (scene + avatar + object, exactly as the run will) at the instance camera's size, and writes beside it the
frame-0 masks and ``expect.json``: the camera, the frame count and rate the run resamples to, the shortest clip that
provides them, and the first-frame tolerance the ``file`` video source checks the returned clip against.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zerohsi.config import RunConfig
from zerohsi.errors import UserError

IMAGE = "first_frame.png"
MASKS = "first_frame_masks.npz"
HUMAN_MASK = "first_frame_human_mask.png"
EXPECT = "expect.json"


def aspect_label(width: int, height: int) -> str:
    """'16:9' for 1280x720 (reduced by the greatest common divisor)."""
    g = math.gcd(int(width), int(height))
    return f"{width // g}:{height // g}"


def export_first_frame(cfg: RunConfig, out_dir: str | Path) -> dict[str, Any]:
    """Render the first frame of ``cfg``'s instance file at its camera's size into ``out_dir`` (image, masks,
    expect.json) and return the expectations written. Placement problems raise a UserError before any file is
    written."""
    from zerohsi.clip_setup import build_setup
    from zerohsi.composition import make_render_fn, render_first_frame
    from zerohsi.devices import resolve_device
    from zerohsi.io import atomic_path, atomic_savez, atomic_write_json
    from zerohsi.scenes.instance_file import load_instance_file
    from zerohsi.scenes.scene import GEOMETRY_SOURCES
    from zerohsi.video.configs import FileVideoConfig
    from zerohsi.video.file import frames_needed
    from zerohsi.video.io import encode_png, to_uint8

    if not cfg.instance.file:
        raise UserError("The first frame for a video model needs an instance file; write one with `zerohsi scenes "
                        "instance` and pass it.")
    inst = load_instance_file(cfg.instance.file)
    W, H = inst.camera.width, inst.camera.height
    # checked here too (build_setup checks as well): nothing is written for a placement that cannot work
    run_camera = inst.instance().camera(cfg.render.width, cfg.render.height)
    full = dataclasses.replace(cfg, render=dataclasses.replace(cfg.render, width=W, height=H))
    device = resolve_device(cfg.device)
    setup = build_setup(full, device)
    background = torch.tensor(cfg.render.background, dtype=torch.float32, device=device)
    image, masks = render_first_frame(setup, make_render_fn(full), background)
    human_px = int(masks.human[0].sum())
    if human_px == 0:
        raise UserError("The person is not visible in the rendered first frame; move the camera or the person "
                        "(`zerohsi scenes instance --person-at ... --camera-look-at ...`).")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UserError(f"'{out}' is a file; give -o a folder for the first frame and its masks.")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"Cannot create the folder '{out}' ({exc.strerror}); pick another -o.") from None
    png = encode_png(to_uint8(image))
    with atomic_path(out / IMAGE, suffix=".png") as tmp:
        tmp.write_bytes(png)
    with atomic_path(out / HUMAN_MASK, suffix=".png") as tmp:
        tmp.write_bytes(encode_png((masks.human[0].astype(np.uint8) * 255)[..., None].repeat(3, -1)))
    arrays = {"human": masks.human}
    if masks.object is not None:
        arrays["object"] = masks.object
    atomic_savez(out / MASKS, **arrays)
    n, fps = int(cfg.video.num_frames), float(cfg.video.fps)
    rows = np.nonzero(masks.human[0].any(1))[0]
    expect = {
        "image": IMAGE, "masks": MASKS, "human_mask": HUMAN_MASK,
        "width": W, "height": H, "aspect": aspect_label(W, H),
        "prompt": cfg.instance.prompt or inst.prompt,
        "num_frames": n, "fps": fps, "min_duration_s": round((n - 1) / fps, 4),
        "min_source_frames": {str(r): frames_needed(n, fps, r) for r in (24, 25, 30, 60)},
        "first_frame_tolerance": float((dict(cfg.video.generator.options) if cfg.video.generator.name == "file"
                                        else {}).get("first_frame_tolerance", FileVideoConfig().first_frame_tolerance)),
        "camera": {**inst.camera.to_dict(), "convention": "OpenCV (x right, y down, z forward), world +Z up, metres",
                   "source": inst.camera_source},
        "run_render_size": [run_camera.width, run_camera.height],
        "person_height_px": int(rows[-1] - rows[0] + 1),
        "scene_geometry": GEOMETRY_SOURCES.get(setup.scene.info.get("geometry", ""), "unknown"),
        "instance_file": str(Path(cfg.instance.file).resolve()),
        "clip_rules": "The clip must start from this image (same aspect, not cropped or padded), keep the camera "
                      "still or moving smoothly, and last at least min_duration_s; give it back with "
                      "video.generator.name=file video.generator.options.path=CLIP.",
    }
    atomic_write_json(out / EXPECT, expect)
    return expect


__all__ = ["EXPECT", "IMAGE", "MASKS", "aspect_label", "export_first_frame"]
