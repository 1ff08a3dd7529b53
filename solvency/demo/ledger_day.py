"""``solvency demo --ledger-only``: one realistic bank day in a fresh SQLite ledger, and its balances.

The ledger is built under a temporary name in the output directory, verified (hash chain, zero
trial balance) and only then installed as ``DIR/ledger.db`` (`solvency.atomic.staged_file`); a
previous ``ledger.db`` and its ``-wal``/``-shm`` side files are replaced. The per-user customer
liabilities go to ``DIR/customer-liabilities.csv``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ledger.chain import LedgerDigest
from ledger.definitions import BalanceDefinition, load_definitions
from ledger.money import CURRENCIES, format_minor_units
from ledger.sqlite.store import SQLiteStore
from solvency.atomic import staged_file
from solvency.demo.bank import DayReport, post_bank_day
from solvency.ledger_files import write_balances

LEDGER_FILE = "ledger.db"
BALANCES_FILE = "customer-liabilities.csv"
SQLITE_SIDE_FILES = ("-wal", "-shm")


@dataclass(frozen=True)
class LedgerDay:
    """What `post_ledger_day` built: the ledger, its checks and the balances file."""

    ledger: str
    users: int
    seed: int
    digest: LedgerDigest
    report: DayReport
    trial: dict[str, int]
    definitions: dict[str, BalanceDefinition]
    totals: dict[str, dict[str, int]]
    balances_file: str
    balances_rows: int
    seconds: float

    @property
    def balanced(self) -> bool:
        return not any(self.trial.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "ledger": self.ledger,
            "users": self.users,
            "seed": self.seed,
            "entries": self.digest.entry_count,
            "head_hash": self.digest.head_hash,
            "idempotent_replays": self.report.replays,
            "reversals": self.report.reversals,
            "backdated": self.report.backdated,
            "entries_by_kind": dict(sorted(self.report.by_kind.items())),
            "trial_balance": self.trial,
            "definitions": {name: {"hash": self.definitions[name].content_hash, "totals": t} for name, t in self.totals.items()},
            "customer_balances_file": self.balances_file,
            "customer_balances_rows": self.balances_rows,
            "seconds": round(self.seconds, 2),
        }


def post_ledger_day(out_dir: str, users: int, seed: int) -> LedgerDay:
    """Post one bank day for `users` users to ``out_dir/ledger.db``, checked; write its balances."""
    started = time.perf_counter()
    os.makedirs(out_dir, exist_ok=True)
    target = os.path.join(out_dir, LEDGER_FILE)
    balances_file = os.path.join(out_dir, BALANCES_FILE)
    with staged_file(target, side_suffixes=SQLITE_SIDE_FILES, prefix=f".{LEDGER_FILE}.tmp-") as tmp:
        with SQLiteStore(str(tmp), create=True) as store:
            report = post_bank_day(store, users=users, seed=seed)
            digest = store.verify()
            trial = dict(store.trial_balance())
            definitions = dict(store.bind_definitions(load_definitions()))
            totals = {name: dict(store.totals(d)) for name, d in definitions.items()}
            count, _ = write_balances(store.user_balances(definitions["customer-liabilities"]), balances_file)
    return LedgerDay(target, users, seed, digest, report, trial, definitions, totals, balances_file, count, time.perf_counter() - started)


def print_ledger_day(day: LedgerDay, echo: Callable[[str], object]) -> None:
    """The text summary of `solvency demo --ledger-only`."""
    echo(f"Posted a Galoy-style bank's day for {day.users} users to {day.ledger} in {day.seconds:.1f} s")
    echo(f"  {day.digest.entry_count} entries; {day.report.replays} client retries answered idempotently; "
         f"{day.report.reversals} failed payments reversed; {day.report.backdated} booked late")
    echo("\nTrial balance (credits - debits, must be zero):")
    for code, total in day.trial.items():
        echo(f"  {code:4} {total:>20}")
    echo("\nNamed balance definitions (normal side, minor units):")
    for name, values in day.totals.items():
        shown = ", ".join(f"{format_minor_units(v, CURRENCIES[c])} {c}" for c, v in values.items()) or "0"
        echo(f"  {name:22} {shown:40} {day.definitions[name].content_hash[:16]}")
    echo(f"\nPer-user customer liabilities: {day.balances_rows} rows in {day.balances_file}")
    echo(f"Ledger digest: {day.digest.entry_count} entries, head {day.digest.head_hash}")
