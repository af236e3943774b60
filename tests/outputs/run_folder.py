"""Build a small but complete run folder (the layout the pipeline writes) for the report, viewer and CLI tests."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

from zerohsi.config import RunConfig, save_config
from zerohsi.io import atomic_savez, atomic_write_json
from zerohsi.motion import Motion
from zerohsi.outputs.video import write_side_by_side
from zerohsi.segment.masks import Masks
from zerohsi.video.io import write_mp4


def toy_scene_and_object():
    """SDF-only stand-ins: a floor at z = 0.8 (solid below) and a 0.3 m ball as the object."""
    scene = SimpleNamespace(sdf=lambda p: p[..., 2] - 0.8)
    obj = SimpleNamespace(sdf=lambda p: p.norm(dim=-1) - 0.3)
    return scene, obj


def make_run_folder(path: Path, motion: Motion, H: int = 32, W: int = 48) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    T = len(motion)
    cfg = RunConfig(run_name=path.name)
    cfg.avatar.body.name = motion.body_model
    save_config(cfg, path / "config.yaml")
    motion.provenance = {"generator": "scripted", "prompt": "a person picks up the box"}
    motion.save(path / "motion.npz")
    gt = Motion(motion.body.replace(transl=motion.body.transl + 0.05), motion.body_model, motion.fps,
                motion.object_poses)
    gt.save(path / "ground_truth_motion.npz")
    yy, xx = np.mgrid[:H, :W]
    frames = np.zeros((T, H, W, 3), np.uint8)
    human = np.zeros((T, H, W), bool)
    for t in range(T):
        frames[t, ..., 0] = (xx * 255 // W).astype(np.uint8)
        frames[t, ..., 1] = (yy * 255 // H).astype(np.uint8)
        human[t] = (np.abs(xx - 10 - 2 * t) < 5) & (np.abs(yy - H // 2) < 10)
        frames[t][human[t]] = (230, 230, 230)
    obj = np.zeros_like(human)
    obj[:, 4:10, W - 12:W - 4] = True
    atomic_savez(path / "frames.npz", frames=frames)
    atomic_savez(path / "masks.npz", human=human, object=obj)
    write_mp4(path / "video.mp4", frames, motion.fps)
    recon = np.clip(frames.astype(int) + 20, 0, 255).astype(np.uint8)
    write_side_by_side(path / "overlay.mp4", frames, recon, Masks(human, obj), motion.fps)
    rng = np.random.default_rng(0)
    losses = {"tracking": [list(np.exp(-np.arange(30) / 10) + 0.01 * rng.random(30)) for _ in range(T)],
              "fit": [list(0.5 * np.exp(-np.arange(50) / 20) + 0.02 * t) for t in range(T)]}
    atomic_write_json(path / "losses.json", losses)
    atomic_write_json(path / "metrics.json", {"pene_mean": 0.12, "pene_max": 1.3, "contact": 0.8,
                                              "mpjpe": 0.0866, "clip_score": float("nan")})
    atomic_write_json(path / "timings.json", {"generate_video": 1.5, "fit_hsi": 12.25})
    (path / "log.txt").write_text("ok\n")
    return path


def object_box():
    v = torch.tensor([[x, y, z] for x in (-0.2, 0.2) for y in (-0.2, 0.2) for z in (0.0, 0.4)])
    f = torch.tensor([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1], [2, 3, 7], [2, 7, 6],
                      [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
    return v.numpy(), f.numpy()
