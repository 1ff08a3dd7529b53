"""Shared builders for the publication tests: a small Galoy-style ledger, demo node snapshots
with real signatures (solvency.demo.wallets), and the demo signer as a --control-signer."""

from __future__ import annotations

import random
import shlex
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from ledger.sqlite.store import SQLiteStore
from solvency.demo.bank import post_bank_day
from solvency.demo.nodes import NodePlan, write_snapshot
from solvency.demo.wallets import DemoWallets

SEED = 2026
SIGNER = f"{shlex.quote(sys.executable)} -m solvency.demo.signer --seed {SEED}"


def now_as_of() -> str:
    """A whole-second cut-off that is already in the past, after everything posted so far."""
    time.sleep(1.05 - (time.time() % 1))
    return datetime.fromtimestamp(int(time.time()) - 0, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_ledger(path: Path, users: int = 40, seed: int = 7) -> Path:
    with SQLiteStore(str(path), create=True) as store:
        post_bank_day(store, users=users, seed=seed)
    return path


def make_snapshot(directory: Path, label: str = "e1", height: int = 871_000, seed: int = 1, anchor_time: int | None = None) -> Path:
    """A demo snapshot anchored at `height`, its anchor block mined at `anchor_time` (default: now)."""
    rng = random.Random(seed)
    plan = NodePlan.from_ledger(
        label=label, height=height, time=int(time.time()) if anchor_time is None else anchor_time, lightning=5 * 10**8, commit_fees=NodePlan.commit_fees(rng), onchain=3 * 10**8,
        cold=40 * 10**8, rng=rng, usd_cents_per_btc=9_500_000, price_time="2026-11-20T23:59:00Z",
    )
    return write_snapshot(directory, plan, DemoWallets(SEED))
