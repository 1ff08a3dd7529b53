"""``solvency demo --out DIR``: the end-to-end demo (`solvency.demo.story`): a Galoy-style bank
over two periods, two published epochs, a user's proof, the assets and the history verified with
``solvency-verify``, the books and the solvency statement.

``--ledger-only`` keeps the first part only (`solvency.demo.ledger_day`): a fresh SQLite ledger
with a realistic bank's day, and its balances. That ledger is built under a temporary name in DIR,
verified (hash chain, zero trial balance) and only then installed as ``DIR/ledger.db``; a previous
``ledger.db`` (and its ``-wal``/``-shm`` side files) is replaced. Exit codes: 0 ok, 1 the
generated ledger or a verifier check failed, 2 usage.

``--galoy`` (`solvency.demo.galoy`) publishes from a Galoy-shaped MongoDB database instead: the
one named by ``--mongo URI`` (a fresh database; a non-empty one is refused), else an in-process
mongomock database (the ``demo`` extra). Same exit codes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from solvency.cli.common import Rejected, emit_json, json_option
from solvency.demo.ledger_day import post_ledger_day, print_ledger_day
from solvency.demo.story import run_demo, summary


@click.command()
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output directory (created if missing).")
@click.option("--users", default=None, type=click.IntRange(2, 10_000_000), help="Number of users [default: 10000; 1000 with --ledger-only].")
@click.option("--seed", default=2026, show_default=True, type=int, help="Seed of the deterministic generator.")
@click.option("--ledger-only", is_flag=True, help="Only post one day to DIR/ledger.db and print its balances.")
@click.option("--galoy", is_flag=True, help="Publish from a Galoy-shaped MongoDB database (medici, role collections) instead [users default 1000].")
@click.option("--mongo", "mongo", default=None, help="With --galoy: write the book into this fresh MongoDB database (default: in-process mongomock).")
@json_option
def demo(out_dir: str, users: int | None, seed: int, ledger_only: bool, as_json: bool, galoy: bool, mongo: str | None) -> None:
    """Run the demo: a bank, two published epochs, and every check a user and an auditor run."""
    if mongo is not None and not galoy:
        raise click.UsageError("--mongo needs --galoy")
    if galoy:
        if ledger_only:
            raise click.UsageError("--galoy and --ledger-only exclude each other")
        _galoy(out_dir, 1000 if users is None else users, seed, mongo, as_json)
        return
    if ledger_only:
        day = post_ledger_day(out_dir, 1000 if users is None else users, seed)
        if as_json:
            emit_json(day.to_json())
        else:
            print_ledger_day(day, click.echo)
        if not day.balanced:
            raise Rejected("the generated ledger's trial balance is not zero")
        return

    @contextmanager
    def progress(total: int, label: str) -> Iterator[Callable[[int], None] | None]:
        if not sys.stderr.isatty() or as_json:
            yield None
            return
        with click.progressbar(length=total, label=f"   {label}", file=sys.stderr) as bar:
            yield bar.update

    echo = (lambda *a, **k: None) if as_json else click.echo
    try:
        result = run_demo(out_dir, 10_000 if users is None else users, seed, echo=echo, progress=progress)
    except FileExistsError as exc:
        raise Rejected(str(exc)) from None
    if as_json:
        emit_json(summary(result))
    failed = sorted(name for name, code in result.checks.items() if code != 0)
    if failed:
        raise Rejected(f"verifier check(s) failed: {', '.join(failed)}")


def _galoy(out_dir: str, users: int, seed: int, mongo: str | None, as_json: bool) -> None:
    from solvency.demo.galoy import GaloyDemoError, run_galoy_demo
    from solvency.demo.galoy_book import MIN_USERS

    if users < MIN_USERS:
        raise click.BadParameter(f"the Galoy demo needs at least {MIN_USERS} users", param_hint="--users")
    echo = (lambda *a, **k: None) if as_json else click.echo
    try:
        result = run_galoy_demo(out_dir, users, seed, mongo=mongo, echo=echo)
    except (GaloyDemoError, ValueError) as exc:
        raise Rejected(str(exc)) from None
    if as_json:
        emit_json(summary(result))
    failed = sorted(name for name, code in result.checks.items() if code != 0)
    if failed:
        raise Rejected(f"verifier check(s) failed: {', '.join(failed)}")
