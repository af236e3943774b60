"""Entry points choose passive OpenMP waiting before torch loads, and never override the user's choice."""

import os
import subprocess
import sys

import pytest

from zerohsi.threads import configure_environment, set_torch_threads, with_threads, worker_environment

# Records OMP_WAIT_POLICY at the moment `import torch` starts: the value the OpenMP runtime will read.
PROBE = """
import os, sys
seen = []
def hook(event, args):
    if event == "import" and args[0] == "torch" and not seen:
        seen.append(os.environ.get("OMP_WAIT_POLICY"))
sys.addaudithook(hook)
import {module}
import torch
print(seen[0] if seen else "torch imported before")
"""


def _probe(module: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OMP_")}
    out = subprocess.run([sys.executable, "-c", PROBE.format(module=module)], env={**clean, **env},
                         capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("module", ["zerohsi.cli.main", "zerohsi.pipeline"])
def test_entry_points_set_passive_waiting_before_torch_loads(module):
    assert _probe(module) == "PASSIVE"


def test_the_users_choice_is_kept():
    assert _probe("zerohsi.cli.main", OMP_WAIT_POLICY="ACTIVE") == "ACTIVE"


def test_worker_environment_and_threads(monkeypatch):
    import torch

    for key in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(key, raising=False)
    assert worker_environment(3) == {"OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "3", "MKL_NUM_THREADS": "3"}
    monkeypatch.setenv("OMP_NUM_THREADS", "5")
    assert worker_environment(3)["OMP_NUM_THREADS"] == "5"
    assert not configure_environment()  # torch is loaded in this process: too late for the waiting policy
    monkeypatch.delenv("OMP_NUM_THREADS")
    before = torch.get_num_threads()
    try:
        assert with_threads(torch.get_num_threads, 1)() == 1
        set_torch_threads(10_000)  # never more than the machine's cores
        assert torch.get_num_threads() == (os.cpu_count() or 1)
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        set_torch_threads(2)  # the user's OMP_NUM_THREADS wins
        assert torch.get_num_threads() == (os.cpu_count() or 1)
    finally:
        torch.set_num_threads(before)
