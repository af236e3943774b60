"""Reconstruction accuracy on scripted clips (the test signal with a known ground truth).

    python benchmarks/recon_accuracy.py                         # one static and one dynamic instance, demo preset
    python benchmarks/recon_accuracy.py --preset fast --instances living_room_sit_sofa --seeds 0,1 fit.w_mask=1

Prints MPJPE / PA-MPJPE (mm), root error (cm), orientation error (deg), object rotation / translation error,
camera error and mask IoU for each run, and their means. Targets (issue: 4D reconstruction): MPJPE <= 30 mm, root
<= 5 cm, object rotation <= 5 deg, camera <= 1 cm / 0.5 deg.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import zerohsi

METRICS = "[mpjpe,root_error,orient_error,object_error,camera_error,mask_iou]"
KEYS = ["mpjpe_mm", "pa_mpjpe_mm", "root_err_cm", "orient_err_deg", "obj_rot_err_deg", "obj_transl_err_cm",
        "cam_transl_err_cm", "cam_rot_err_deg", "mask_iou_human", "mask_iou_object"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="demo")
    # comma-separated, so that the dot-list overrides after them stay positional
    ap.add_argument("--instances", default="living_room_sit_sofa,greenhouse_water_plants")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--out", default=None, help="also write the table as JSON here")
    ap.add_argument("overrides", nargs="*")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.instances.split(","):
            for seed in (int(s) for s in args.seeds.split(",")):
                ov = [f"instance.name={name}", f"seed={seed}", f"metrics={METRICS}", "export.overlay_video=false",
                      f"cache_dir={Path(tmp) / 'cache'}", *args.overrides]
                res = zerohsi.run(args.preset, ov, run_dir=Path(tmp) / f"{name}-{seed}", progress=False)
                rows.append({"instance": name, "seed": seed, **res.metrics,
                             "seconds": sum(res.timings.values())})
                print(_fmt(rows[-1]), flush=True)
    # a metric is averaged over the runs that have it (static instances have no object)
    means = {k: sum(vals) / len(vals) for k in KEYS + ["seconds"] if (vals := [r[k] for r in rows if k in r])}
    print("mean:", _fmt(means))
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=2))


def _fmt(row: dict) -> str:
    head = f"{row.get('instance', ''):28s} s{row.get('seed', '')} " if "instance" in row else ""
    return head + "  ".join(f"{k}={row[k]:.3g}" for k in KEYS + ["seconds"] if k in row)


if __name__ == "__main__":
    main()
