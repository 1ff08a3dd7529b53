"""`solvency report`: the bank's books from the ledger (and a node snapshot).

    solvency report balance-sheet --db DB --as-of T [--json]
    solvency report pnl --db DB --as-of T [--from T0] [--json]
    solvency report reconcile --db DB --as-of T --snapshots DIR [--layout galoy-lnd|galoy-bria|FILE] [--json]

Exit codes: 0 ok; 1 the books do not balance (balance sheet), the P&L does not agree with the
store's own totals, or the input is rejected; 2 usage. A reconciliation difference is reported,
itemised, with exit 0: it is information for the operator, not a failure of the tool.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import click

from ledger.clock import parse_time
from ledger.definitions import BalanceDefinition, load_definitions
from ledger.errors import DefinitionError, LedgerError
from ledger.open import open_store
from ledger.store import Store
from solvency.books.holdings import snapshot_totals
from solvency.books.layout import GALOY, BooksLayout, LayoutError, load_layout
from solvency.books.pnl import PnlError, profit_and_loss
from solvency.books.reconcile import reconcile
from solvency.books.sheet import BalanceSheet, BooksError, balance_sheet
from solvency.books.text import print_balance_sheet, print_pnl, print_reconciliation
from solvency.cli.common import Rejected, Stopwatch, emit_json, json_option, phases
from solvency.reserves.fields import SnapshotError
from solvency.reserves.snapshot import load_snapshot
from verifier.errors import CannotVerify, VerificationError


def _common(func: Callable[..., Any]) -> Callable[..., Any]:
    func = json_option(func)
    func = click.option("--fractional", type=click.Choice(["refuse", "floor"]), default=None,
                        help="Amounts that are not whole minor units (medici): refuse (default) or floor, Galoy's rule.")(func)
    func = click.option("--roles", "roles_file", default=None, type=click.Path(dir_okay=False),
                        help="Bank-roles override file (default: Galoy's accounts/wallets collections, else the readable paths).")(func)
    func = click.option("--definitions", "definitions_file", type=click.Path(dir_okay=False), help="Definitions file (default: the packaged Galoy layout).")(func)
    func = click.option("--as-of", "as_of", required=True, help="Cut-off, RFC 3339 UTC (the end of the period for pnl).")(func)
    func = click.option("--db", "db", required=True, help="The ledger: a SQLite path, sqlite:///path or mongodb://...")(func)
    return func


def _open(db: str, definitions_file: str | None, fractional: str | None = None, roles_file: str | None = None,
          ) -> tuple[Store, Mapping[str, BalanceDefinition]]:
    """The store (with the read options given) and the definitions bound to its bank roles."""
    try:
        store = open_store(db, create=False)
        store.set_read_options(fractional=fractional, roles=roles_file)
        definitions = store.bind_definitions(load_definitions(definitions_file))
    except (DefinitionError, LedgerError, OSError, ValueError) as exc:
        raise Rejected(str(exc)) from None
    return store, definitions


def _time(text: str, option: str) -> int:
    try:
        return parse_time(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def _sheet(store: Store, definitions: Mapping[str, BalanceDefinition], as_of: str, layout: BooksLayout = GALOY) -> BalanceSheet:
    try:
        return balance_sheet(store, definitions, as_of, layout)
    except (BooksError, LedgerError, ValueError) as exc:
        raise Rejected(str(exc)) from None


@click.group()
def report() -> None:
    """The bank's books: balance sheet, profit and loss, reconciliation with the node."""


@report.command("balance-sheet")
@_common
def balance_sheet_command(db: str, as_of: str, definitions_file: str | None, as_json: bool, fractional: str | None,
                          roles_file: str | None) -> None:
    """Assets = liabilities + equity per currency, checked (committed axis)."""
    _time(as_of, "--as-of")
    store, definitions = _open(db, definitions_file, fractional, roles_file)
    with store:
        sheet = _sheet(store, definitions, as_of)
    if as_json:
        emit_json(sheet.to_json())
    else:
        print_balance_sheet(sheet)
    if not sheet.balanced:
        raise Rejected("the books do not balance: assets differ from liabilities + equity")


@report.command("pnl")
@_common
@click.option("--from", "start", help="Start of the period (exclusive), RFC 3339; default: the beginning of the ledger.")
def pnl_command(db: str, as_of: str, definitions_file: str | None, as_json: bool, start: str | None, fractional: str | None,
                roles_file: str | None) -> None:
    """Profit and loss of the bank owner over (FROM, AS-OF] (reporting axis)."""
    end = _time(as_of, "--as-of")
    begin = _time(start, "--from") if start else None
    if begin is not None and begin >= end:
        raise click.BadParameter("must be before --as-of", param_hint="--from")
    clock = Stopwatch()
    store, definitions = _open(db, definitions_file, fractional, roles_file)
    with store, phases(as_json) as progress:
        try:
            result = profit_and_loss(store, definitions, begin, end, progress=progress)
        except PnlError as exc:
            raise Rejected(str(exc)) from None
    if as_json:
        emit_json(result.to_json())
    else:
        print_pnl(result, start or "the beginning", as_of)
        click.echo(f"{result.entries} entries in the period, computed in {clock}")
    if not all(result.reconciled(c) for c in result.currencies):
        raise Rejected("the P&L does not agree with the change of the owner's balances in the store")


@report.command("reconcile")
@_common
@click.option("--snapshots", "snapshots", required=True, type=click.Path(file_okay=False), help="The node snapshot directory.")
@click.option("--layout", "layout_spec", default=None, metavar="NAME|FILE",
              help="Which snapshot categories each reserve line is compared with: galoy-lnd (default; Galoy before bria), "
                   "galoy-bria (Assets:OnChain is bria's wallet, lnd's on-chain wallet is in the lightning reserve) or a layout file.")
def reconcile_command(db: str, as_of: str, definitions_file: str | None, as_json: bool, snapshots: str, fractional: str | None,
                      roles_file: str | None, layout_spec: str | None) -> None:
    """Ledger reserve accounts against the node snapshot, every difference itemised."""
    _time(as_of, "--as-of")
    try:
        layout = load_layout(layout_spec)
    except LayoutError as exc:
        raise Rejected(f"--layout {exc}") from None
    try:
        totals = snapshot_totals(load_snapshot(snapshots))
    except (SnapshotError, VerificationError, CannotVerify) as exc:
        raise Rejected(f"snapshot {snapshots}: {exc}") from None
    store, definitions = _open(db, definitions_file, fractional, roles_file)
    with store:
        result = reconcile(_sheet(store, definitions, as_of, layout), totals, layout)
    if as_json:
        emit_json(result.to_json())
    else:
        print_reconciliation(result, as_of, snapshots)
