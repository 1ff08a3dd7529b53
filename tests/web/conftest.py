"""One `solvency demo` run shared by the verifier page's tests: its printed link (the demo's last
line) and its published directory, whose proof bundle carries the formats as the prover writes
them today (so the differential test follows the SPEC as it moves)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("web-demo") / "demo"
    solvency = Path(sys.executable).parent / "solvency"
    done = subprocess.run([str(solvency), "demo", "--out", str(out), "--users", "40"], capture_output=True, text=True, timeout=500)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return out, done.stdout
