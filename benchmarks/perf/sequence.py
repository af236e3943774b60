"""Per-stage time per frame of a whole run, for the `fast` and `paper_anny` presets (offline components).

    python benchmarks/perf/sequence.py                       # fast preset, 12 frames
    python benchmarks/perf/sequence.py --preset paper_anny --frames 6
The paper_anny preset (the paper's setup on the free anny body) is run with the offline components (scripted video,
scene-difference masks, previous-frame initialisation) so that it needs no API keys or model files; its image size
and iteration counts are the paper's.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import zerohsi

OFFLINE = ["video.generator.name=scripted", "segmenter.name=scene_difference", "pose_initializer.name=previous_frame"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="fast")
    ap.add_argument("--frames", type=int, default=None)
    ap.add_argument("--instance", default=None)
    ap.add_argument("--device", default="auto")
    args = ap.parse_args()
    overrides = list(OFFLINE) + [f"device={args.device}", "export.overlay_video=false"]
    if args.frames:
        overrides.append(f"video.num_frames={args.frames}")
    if args.instance:
        overrides.append(f"instance.name={args.instance}")
    with tempfile.TemporaryDirectory() as tmp:
        overrides.append(f"cache_dir={Path(tmp) / 'cache'}")
        result = zerohsi.run(args.preset, overrides, run_dir=Path(tmp) / "run", progress=False)
    T = len(result.motion)
    print(f"preset {args.preset}: {T} frames, device {args.device}")
    for stage, seconds in result.timings.items():
        print(f"  {stage:20s} {seconds:8.2f} s   {seconds / T * 1000:9.1f} ms/frame")
    print(f"  {'total':20s} {sum(result.timings.values()):8.2f} s")


if __name__ == "__main__":
    main()
