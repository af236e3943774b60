"""How long `zerohsi plugins` and `zerohsi --help` take (target: under 2 s), as fresh processes."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def timed(args: list[str], repeats: int = 5) -> list[float]:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "zerohsi.cli.main", *args], capture_output=True, check=True)
        out.append(time.perf_counter() - t0)
    return out


if __name__ == "__main__":
    for args in (["--help"], ["plugins"], ["plugins", "--json"]):
        ts = timed(args)
        print(f"zerohsi {' '.join(args):16s} min {min(ts):.2f} s  median {statistics.median(ts):.2f} s  "
              f"max {max(ts):.2f} s")
