"""Speed of the output stage on the anny body (prints figures; not a test): exports, mp4 writing, report.

Usage: python benchmarks/perf/outputs.py [--quick]   (quick: 51 frames only; full adds a 1000-frame sequence)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from zerohsi.body.anny_model import AnnyBody
from zerohsi.body.params import BodyParams
from zerohsi.motion import Motion
from zerohsi.outputs.export import export_motion
from zerohsi.outputs.video import side_by_side
from zerohsi.video.io import write_mp4


def random_motion(body: AnnyBody, T: int) -> Motion:
    g = torch.Generator().manual_seed(0)
    rest = body.rest_params(T)
    params = BodyParams(torch.cumsum(torch.randn(T, 3, generator=g) * 0.02, 0), torch.randn(T, 3, generator=g) * 0.3,
                        torch.randn(T, rest.body_pose.shape[1], generator=g) * 0.1, rest.shape)
    return Motion(body=params, body_model="anny", fps=10.0, object_poses=torch.eye(4).repeat(T, 1, 1))


def timed(fn, *args, **kwargs):
    """(seconds, result) of one call."""
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(2)
    body = AnnyBody()
    lengths = [51] if args.quick else [51, 1000]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        print("exports on anny (104 bones, 13,718 vertices):")
        for T in lengths:
            motion = random_motion(body, T)
            for fmt in ("npz", "bvh", "glb"):
                s, path = timed(export_motion, motion, body, out, fmt, stem=f"m{T}")
                size = path.stat().st_size / 1e6
                print(f"  {fmt}  T={T:5d}: {s:6.2f} s  ({1000 * s / T:5.1f} ms/frame), {size:6.2f} MB")
        rng = np.random.default_rng(0)
        for T, (H, W) in ((51, (96, 128)), (51, (480, 640))):
            src = rng.integers(0, 255, (T, H, W, 3), dtype=np.uint8)
            rec = rng.integers(0, 255, (T, H, W, 3), dtype=np.uint8)
            s1, frames = timed(side_by_side, src, rec, None)
            s2, _ = timed(write_mp4, out / "v.mp4", frames, 10)
            print(f"side-by-side T={T} {W}x{H} (x3 wide): compose {s1:5.2f} s, H.264 write {s2:5.2f} s")


if __name__ == "__main__":
    main()
