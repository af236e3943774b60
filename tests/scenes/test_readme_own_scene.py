"""The README's "Your own scene and video" quickstart, run verbatim: both bash blocks, on a capture and a clip built
here. The clip is the exported first frame held still (what a video model returns for "stand still"), so the run
must recover the instance camera and a static person where the instance put them."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Your own scene and video"
#: small, fast settings for CI, passed through the variable the README's commands already carry
TINY = ("avatar.num_gaussians=800 render.width=128 video.num_frames=3 tracking.iters=6 fit.iters=16 fit.extrapolate=0 "
        "fit.root_only_iters=6 export.overlay_video=false")


def readme_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    assert SECTION in text, "README.md lost its own-scene quickstart"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, flags=re.S)


def run_block(block: str, cwd: Path, env: dict) -> str:
    proc = subprocess.run(["bash", "-e", "-c", block], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, f"block failed ({proc.returncode}):\n{block}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, capture_ply):
    root = tmp_path_factory.mktemp("quickstart")
    bin_dir = root / "bin"
    bin_dir.mkdir()
    # `zerohsi` as the user would type it, bound to the interpreter (and code) under test
    shim = bin_dir / "zerohsi"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m zerohsi.cli.main "$@"\n')
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "SCENE": str(capture_ply),
           "ZEROHSI_ARGS": TINY, "ZEROHSI_CACHE_DIR": str(root / "cache"), "OMP_NUM_THREADS": "1",
           "OMP_WAIT_POLICY": "PASSIVE"}
    return root, env


def test_readme_has_exactly_the_two_blocks():
    blocks = readme_blocks()
    assert len(blocks) == 2
    assert "$SCENE" in blocks[0] and "$CLIP" not in blocks[0]
    assert "$CLIP" in blocks[1]


def test_quickstart_blocks_verbatim_round_trip(workspace):
    from zerohsi.motion import Motion
    from zerohsi.scenes.instance_file import load_instance_file
    from zerohsi.video.io import write_mp4

    root, env = workspace
    first, second = readme_blocks()
    out = run_block(first, root, env)
    image = Path(out.strip().splitlines()[-1])
    image = image if image.is_absolute() else root / image
    assert image.name == "first_frame.png" and image.is_file()  # the block ends by printing its path
    import imageio.v3 as iio

    frame = np.asarray(iio.imread(image))[..., :3]
    assert frame.shape == (720, 1280, 3)  # 16:9 720p, as stated
    expect = json.loads((image.parent / "expect.json").read_text())
    assert (expect["width"], expect["height"], expect["aspect"]) == (1280, 720, "16:9")
    assert expect["num_frames"] == 3 and expect["fps"] == 10.0 and expect["min_source_frames"]["30"] == 7
    assert "Gaussians" in expect["scene_geometry"]
    masks = np.load(image.parent / "first_frame_masks.npz", allow_pickle=False)
    assert masks["human"].shape == (1, 720, 1280) and masks["human"].sum() > 2000
    inst = load_instance_file(root / "my_scene.yaml")

    # the video model's answer: the exported image, held for 9 frames at 30 fps
    clip = root / "clip.mp4"
    write_mp4(clip, np.repeat(frame[None], 9, axis=0), fps=30)
    out = run_block(second, root, {**env, "CLIP": str(clip)})
    last = out.strip().splitlines()[-1]
    run_dir = Path(last.split()[-1])
    run_dir = run_dir if run_dir.is_absolute() else root / run_dir
    assert (run_dir / "motion.npz").is_file()  # the block ends with the run folder

    motion = Motion.load(run_dir / "motion.npz")
    assert len(motion) == 3 and motion.fps == 10.0
    cam = inst.camera.fitted(128, 72)
    for t in range(len(motion)):  # the camera is recovered: a still clip from the instance camera
        c = motion.camera(t)
        assert torch.allclose(c.K, cam.K, atol=1e-3)
        assert float((c.center - cam.center).norm()) < 0.03
        cos = float(((c.world_to_cam[:3, :3] @ cam.world_to_cam[:3, :3].T).trace() - 1) / 2)
        assert math.degrees(math.acos(max(-1.0, min(1.0, cos)))) < 1.0
    root_xy = motion.body.transl[:, :2]
    # a static person where the instance put them (the pelvis is over the placed floor spot)
    assert float((root_xy - torch.tensor(inst.person.position)).norm(dim=-1).max()) < 0.1
    assert float((root_xy - root_xy[0]).norm(dim=-1).max()) < 0.05  # depth: under a pixel at 128x72
    metrics = json.loads((run_dir / "metrics.json").read_text())["values"]
    assert "pene_mean" in metrics and math.isfinite(metrics["pene_mean"])
    report = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "SDF built from the capture&#x27;s Gaussians" in report or "SDF built from the capture's Gaussians" in report
