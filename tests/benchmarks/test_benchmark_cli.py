"""`python -m benchmarks NAME --flags` honours the flags (issue 16): `--help` returns at once, a
wrong flag or a flag without a name is refused before anything runs, and a tiny size runs tiny.

Before, `python -m benchmarks --users 10` ran every benchmark at full size (the options were dropped
when no name was given), `python -m benchmarks --help` ran them all, and `assets` read its size from
a bare positional argument (`--help` crashed it with a traceback)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NAMES = sorted(p.stem.removeprefix("bench_") for p in (ROOT / "benchmarks").glob("bench_*.py"))
# The smallest useful run of each benchmark, and the line that shows the size was honoured.
TINY = {
    "assets": (["--addresses", "3"], "cold addresses (2-of-3 P2WSH, BIP-322 simple): 3;"),
    "ledger": (["--users", "10", "--postings", "200"], "ledger benchmark: 10 users, 200 postings"),
    "publish": (["--users", "10"], "publication of 10 users"),
    "serve": (["--users", "10", "--requests", "40", "--concurrency", "2", "--workers", "1", "--cli-runs", "1"],
              "proof service vs CLI, 10 users"),
    "tree": (["--users", "20", "--no-peer", "--no-csv", "--no-python-backend"], "liabilities tree: 20 users"),
}


def bench(*argv: str, timeout: float = 120) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "benchmarks", *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    return done, time.perf_counter() - started


def test_every_benchmark_has_a_tiny_run():
    assert NAMES == sorted(TINY)


@pytest.mark.parametrize("name", NAMES)
def test_help_returns_at_once(name):
    done, seconds = bench(name, "--help", timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: python -m benchmarks {name}") and "===" not in done.stdout
    assert seconds < 20


def test_help_without_a_name_lists_the_benchmarks_and_runs_nothing():
    done, _ = bench("--help", timeout=30)
    assert done.returncode == 0 and "===" not in done.stdout
    for name in NAMES:
        assert f"\n  {name} " in done.stdout


@pytest.mark.parametrize("argv,message", [
    (["--users", "10"], "need a benchmark name"),
    (["ledger", "--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    (["ledger", "tree", "--postings", "10"], "unrecognized arguments: --postings"),  # tree has no --postings
    (["nosuch"], "no benchmark named nosuch"),
    (["ledger", "--users", "0"], "must be at least 1"),
    (["assets", "10"], "no benchmark named 10"),  # the old positional size
])
def test_bad_invocations_are_refused_before_running(argv, message):
    done, seconds = bench(*argv, timeout=30)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert "===" not in done.stdout and "Traceback" not in done.stderr
    assert seconds < 20


@pytest.mark.parametrize("name", NAMES)
def test_a_tiny_run_honours_the_size(name):
    options, shown = TINY[name]
    done, _ = bench(name, *options)
    assert done.returncode == 0, done.stderr[-3000:]
    assert shown in done.stdout, done.stdout
    assert "Traceback" not in done.stderr
