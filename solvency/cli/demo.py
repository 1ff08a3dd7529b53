"""``solvency demo --out DIR``: the end-to-end demo (`solvency.demo.story`): a Galoy-style bank
over two periods, two published epochs, a user's proof, the assets and the history verified with
``solvency-verify``, the books and the solvency statement.

``--ledger-only`` keeps the first part only: a fresh SQLite ledger with a realistic bank's day,
and its balances. That ledger is built as ``DIR/.ledger.db.tmp-*``, verified (hash chain, zero trial balance) and only
then renamed to ``DIR/ledger.db``; a previous ``ledger.db`` (and its ``-wal``/``-shm`` side files)
is replaced. Exit codes: 0 ok, 1 the generated ledger failed its check, 2 usage.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time

import click


def _replace_ledger(tmp: str, target: str) -> None:
    # A stale WAL next to the target would be replayed into the new file: remove side files first.
    for suffix in ("-wal", "-shm"):
        if os.path.exists(target + suffix):
            os.unlink(target + suffix)
    os.replace(tmp, target)
    fd = os.open(os.path.dirname(os.path.abspath(target)), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@click.command()
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output directory (created if missing).")
@click.option("--users", default=None, type=click.IntRange(2, 10_000_000), help="Number of users [default: 10000; 1000 with --ledger-only].")
@click.option("--seed", default=2026, show_default=True, type=int, help="Seed of the deterministic generator.")
@click.option("--ledger-only", is_flag=True, help="Only post one day to DIR/ledger.db and print its balances.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def demo(out_dir: str, users: int | None, seed: int, ledger_only: bool, as_json: bool) -> None:
    """Run the demo: a bank, two published epochs, and every check a user and an auditor run."""
    if ledger_only:
        _ledger_only(out_dir, 1000 if users is None else users, seed, as_json)
        return
    from contextlib import contextmanager

    from solvency.demo.story import run_demo, summary_json

    @contextmanager
    def progress(total: int, label: str):
        if not sys.stderr.isatty() or as_json:
            yield None
            return
        with click.progressbar(length=total, label=f"   {label}", file=sys.stderr) as bar:
            yield bar.update

    echo = (lambda *a, **k: None) if as_json else click.echo
    try:
        result = run_demo(out_dir, 10_000 if users is None else users, seed, echo=echo, progress=progress)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(summary_json(result))
    if any(code != 0 for code in result.checks.values()):
        sys.exit(1)


def _ledger_only(out_dir: str, users: int, seed: int, as_json: bool) -> None:
    from ledger.definitions import load_definitions
    from ledger.frames import write_balances
    from ledger.money import CURRENCIES, format_minor_units
    from ledger.sqlite.store import SQLiteStore
    from solvency.demo.bank import post_bank_day

    started = time.perf_counter()
    os.makedirs(out_dir, exist_ok=True)
    target = os.path.join(out_dir, "ledger.db")
    fd, tmp = tempfile.mkstemp(prefix=".ledger.db.tmp-", dir=out_dir)
    os.close(fd)
    os.unlink(tmp)
    try:
        with SQLiteStore(tmp, create=True) as store:
            report = post_bank_day(store, users=users, seed=seed)
            digest = store.verify()
            trial = dict(store.trial_balance())
            definitions = load_definitions()
            totals = {name: dict(store.totals(d)) for name, d in definitions.items()}
            count, _ = write_balances(store.user_balances(definitions["customer-liabilities"]), os.path.join(out_dir, "customer-liabilities.csv"))
        _replace_ledger(tmp, target)
    except BaseException:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(tmp + suffix):
                os.unlink(tmp + suffix)
        raise
    elapsed = time.perf_counter() - started
    summary = {
        "ledger": target,
        "users": users,
        "seed": seed,
        "entries": digest.entry_count,
        "head_hash": digest.head_hash,
        "idempotent_replays": report.replays,
        "reversals": report.reversals,
        "backdated": report.backdated,
        "entries_by_kind": dict(sorted(report.by_kind.items())),
        "trial_balance": trial,
        "definitions": {name: {"hash": definitions[name].content_hash, "totals": t} for name, t in totals.items()},
        "customer_balances_file": os.path.join(out_dir, "customer-liabilities.csv"),
        "customer_balances_rows": count,
        "seconds": round(elapsed, 2),
    }
    if as_json:
        click.echo(json.dumps(summary, sort_keys=True, indent=2))
        return
    click.echo(f"Posted a Galoy-style bank's day for {users} users to {target} in {elapsed:.1f} s")
    click.echo(f"  {digest.entry_count} entries; {report.replays} client retries answered idempotently; "
               f"{report.reversals} failed payments reversed; {report.backdated} booked late")
    click.echo("\nTrial balance (credits - debits, must be zero):")
    for code, total in trial.items():
        click.echo(f"  {code:4} {total:>20}")
    click.echo("\nNamed balance definitions (normal side, minor units):")
    for name, values in totals.items():
        shown = ", ".join(f"{format_minor_units(v, CURRENCIES[c])} {c}" for c, v in values.items()) or "0"
        click.echo(f"  {name:22} {shown:40} {definitions[name].content_hash[:16]}")
    click.echo(f"\nPer-user customer liabilities: {count} rows in {summary['customer_balances_file']}")
    click.echo(f"Ledger digest: {digest.entry_count} entries, head {digest.head_hash}")
    if any(trial.values()):
        sys.exit(1)
