"""Two runs at once vs one after the other: do concurrent runs starve each other? (prints figures; not a test)

    python benchmarks/perf/concurrency.py                 # the entry point's defaults (passive OpenMP waiting)
    python benchmarks/perf/concurrency.py --policy ACTIVE # what spinning OpenMP threads do (the old behaviour)

Each run is a small offline demo through the `zerohsi` command (``python -m zerohsi.cli.main run ...``) in a fresh
process with its own stage cache, started without OMP_* variables unless ``--policy`` sets one, so what is measured
is what the entry point sets up. Prints both runs' wall times one after the other, the wall time of both started
together, and their ratio (target: <= 1.3). ``--rounds`` alternates sequential and concurrent rounds, which
matters on a machine other work shares.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SMALL = ["video.num_frames=4", "tracking.iters=5", "fit.iters=12", "fit.root_only_iters=4",
         "export.overlay_video=false", "metrics=[]"]
OMP_KEYS = ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")


def _start(tmp: Path, name: str, policy: str | None, preset: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in OMP_KEYS}
    if policy:
        env["OMP_WAIT_POLICY"] = policy
    cmd = [sys.executable, "-m", "zerohsi.cli.main", "run", preset, *SMALL, f"cache_dir={tmp / name / 'cache'}",
           "--run-dir", str(tmp / name / "run"), "--quiet"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _wait(proc: subprocess.Popen) -> None:
    _, err = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"run failed ({proc.returncode}):\n{err[-2000:]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--policy", default=None, help="OMP_WAIT_POLICY for the runs (default: leave it to zerohsi).")
    ap.add_argument("--preset", default="demo")
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    seq, conc = [], []
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        _wait(_start(tmp, "warm", args.policy, args.preset))  # imports and the scene twin warm in the OS caches
        for r in range(args.rounds):
            t0 = time.perf_counter()
            for i in range(2):
                _wait(_start(tmp, f"s{r}{i}", args.policy, args.preset))
            seq.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            procs = [_start(tmp, f"c{r}{i}", args.policy, args.preset) for i in range(2)]
            for p in procs:
                _wait(p)
            conc.append(time.perf_counter() - t0)
            print(f"round {r}: one after the other {seq[-1]:6.1f} s, both at once {conc[-1]:6.1f} s, "
                  f"ratio {conc[-1] / seq[-1]:.2f}", flush=True)
    cores = os.cpu_count()
    print(f"OMP_WAIT_POLICY={args.policy or '(zerohsi default)'}, {cores} cores: two runs one after the other "
          f"{sum(seq) / len(seq):.1f} s, at once {sum(conc) / len(conc):.1f} s, "
          f"ratio {sum(conc) / sum(seq):.2f} (target <= 1.3)")


if __name__ == "__main__":
    main()
