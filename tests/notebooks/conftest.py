"""A small real publication for the audit tests: a Galoy-style demo ledger, node snapshots that
match its reserves, and two epochs published through `solvency.publish.pipeline` (prepare, the
demo signer, seal), exactly as `solvency publish` does.

The publication is built once per session; tests that tamper with it work on a copy.
"""

from __future__ import annotations

import random
import shlex
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

SEED = 2026
USERS = 30
EPOCHS = ("2026-11", "2026-12")


@dataclass(frozen=True)
class Publication:
    base: Path
    pubdir: Path
    ledger: Path
    key: Path  # the bank's private key
    public_key: Path

    def copy(self, target: Path) -> Publication:
        """An independent copy (publication, ledger and keys) that a test may tamper with."""
        shutil.copytree(self.base, target, ignore=shutil.ignore_patterns(".publish.lock"))
        return Publication(target, target / "pub", target / "ledger.db", target / "bank.key", target / "bank.key.pub")


def _past_second() -> str:
    """A whole-second cut-off that has already passed, after everything posted so far."""
    time.sleep(1.02 - (time.time() % 1))
    return datetime.fromtimestamp(int(time.time()), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _snapshot(directory: Path, store, label: str, height: int, seed: int) -> Path:
    """A node snapshot holding what the ledger's reserve accounts say (escrow follows the fees)."""
    from ledger.definitions import load_definitions
    from solvency.demo.nodes import NodePlan, write_snapshot
    from solvency.demo.wallets import DemoWallets

    definitions = load_definitions()

    def reserve(name: str) -> int:
        return dict(store.totals(definitions[name])).get("BTC", 0)

    rng = random.Random(seed)
    plan = NodePlan.from_ledger(
        label=label, height=height, time=int(time.time()), lightning=reserve("lightning-reserve"),
        commit_fees=NodePlan.commit_fees(rng),
        onchain=reserve("onchain-hot"), cold=reserve("cold-storage"), rng=rng, usd_cents_per_btc=9_500_000,
        price_time="2026-11-20T23:59:00Z",
    )
    return write_snapshot(directory, plan, DemoWallets(SEED))


def build_publication(base: Path, users: int = USERS) -> Publication:
    from ledger.sqlite.store import SQLiteStore
    from solvency.demo.bank import BankDay, post_bank_day
    from solvency.keys import generate_key
    from solvency.publish.pipeline import prepare, seal, sign_with

    base.mkdir(parents=True, exist_ok=True)
    key = generate_key(base / "bank.key")
    ledger = base / "ledger.db"
    pubdir = base / "pub"
    signer = f"{shlex.quote(sys.executable)} -m solvency.demo.signer --seed {SEED}"
    for number, epoch in enumerate(EPOCHS):
        with SQLiteStore(str(ledger), create=True) as store:
            if number == 0:
                post_bank_day(store, users=users, seed=7)
            else:
                store.post_batch(BankDay(users, 8).events()[: users * 4])
            snap = _snapshot(base / f"snap-{epoch}", store, f"e{number}", 871_000 + 100 * number, number)
        prepared = prepare(pubdir, db=str(ledger), definition="customer-liabilities", as_of=_past_second(),
                           epoch=epoch, snapshots=snap, private_key=key)
        sign_with(prepared, signer, key)
        seal(pubdir, epoch, key)
    return Publication(base, pubdir, ledger, base / "bank.key", base / "bank.key.pub")


@pytest.fixture(scope="session")
def publication(tmp_path_factory) -> Publication:
    return build_publication(tmp_path_factory.mktemp("audit") / "data")
