"""`solvency report`: the bank's books from the ledger (and a node snapshot).

    solvency report balance-sheet --db DB --as-of T [--json]
    solvency report pnl --db DB --as-of T [--from T0] [--json]
    solvency report reconcile --db DB --as-of T --snapshots DIR [--json]

Exit codes: 0 ok; 1 the books do not balance (balance sheet), the P&L does not agree with the
store's own totals, or the input is rejected; 2 usage. A reconciliation difference is reported,
itemised, with exit 0: it is information for the operator, not a failure of the tool.
"""

from __future__ import annotations

import json

import click

from solvency.cli.common import Rejected


def _common(func):
    func = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")(func)
    func = click.option("--definitions", "definitions_file", type=click.Path(dir_okay=False), help="Definitions file (default: the packaged Galoy layout).")(func)
    func = click.option("--as-of", "as_of", required=True, help="Cut-off, RFC 3339 UTC (the end of the period for pnl).")(func)
    func = click.option("--db", "db", required=True, help="The ledger: a SQLite path, sqlite:///path or mongodb://...")(func)
    return func


def _open(db: str, definitions_file: str | None):
    from ledger.definitions import DefinitionError, load_definitions
    from ledger.entries import LedgerError
    from ledger.store import open_store

    try:
        definitions = load_definitions(definitions_file)
        store = open_store(db, create=False)
    except (DefinitionError, LedgerError, OSError, ValueError) as exc:
        raise Rejected(str(exc)) from None
    return store, definitions


def _time(text: str, option: str) -> int:
    from ledger.clock import parse_time

    try:
        return parse_time(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def _money(value: int, currency: str) -> str:
    from ledger.money import CURRENCIES, format_minor_units

    return f"{format_minor_units(value, CURRENCIES[currency])} {currency}" if currency in CURRENCIES else f"{value} {currency}"


def _sheet(store, definitions, as_of: str):
    from ledger.entries import LedgerError
    from solvency.books.sheet import BooksError, balance_sheet

    try:
        return balance_sheet(store, definitions, as_of)
    except (BooksError, LedgerError, ValueError) as exc:
        raise Rejected(str(exc)) from None


@click.group()
def report() -> None:
    """The bank's books: balance sheet, profit and loss, reconciliation with the node."""


@report.command("balance-sheet")
@_common
def balance_sheet_command(db, as_of, definitions_file, as_json) -> None:
    """Assets = liabilities + equity per currency, checked (committed axis)."""
    _time(as_of, "--as-of")
    store, definitions = _open(db, definitions_file)
    with store:
        sheet = _sheet(store, definitions, as_of)
    if as_json:
        click.echo(json.dumps(sheet.to_json(), indent=2, sort_keys=True))
    else:
        print_balance_sheet(sheet)
    if not sheet.balanced:
        raise Rejected("the books do not balance: assets differ from liabilities + equity")


def print_balance_sheet(sheet, echo=click.echo) -> None:
    echo(f"Balance sheet as of {sheet.as_of}")
    for currency in sheet.currencies:
        echo(f"  {currency}")
        for section in ("assets", "liabilities", "equity"):
            for line in sheet.lines:
                if line.section == section and line.amount(currency):
                    echo(f"    {section:12} {line.name:40} {_money(line.amount(currency), currency):>26}")
            echo(f"    {'':12} {'total ' + section:40} {_money(sheet.total(section, currency), currency):>26}")
        diff = sheet.difference(currency)
        verdict = "assets = liabilities + equity" if diff == 0 else f"OUT OF BALANCE by {_money(diff, currency)}"
        echo(f"    check: {verdict}")
        if sheet.total("equity", currency) < 0:
            echo(f"    equity is negative: {_money(-sheet.total('equity', currency), currency)} more owed than held (equity consumed)")
    if sheet.missing_definitions:
        echo(f"  (not in the definitions file: {', '.join(sheet.missing_definitions)})")


@report.command("pnl")
@_common
@click.option("--from", "start", help="Start of the period (exclusive), RFC 3339; default: the beginning of the ledger.")
def pnl_command(db, as_of, definitions_file, as_json, start) -> None:
    """Profit and loss of the bank owner over (FROM, AS-OF] (reporting axis)."""
    from solvency.books.pnl import PnlError, profit_and_loss

    end = _time(as_of, "--as-of")
    begin = _time(start, "--from") if start else None
    if begin is not None and begin >= end:
        raise click.BadParameter("must be before --as-of", param_hint="--from")
    store, definitions = _open(db, definitions_file)
    with store:
        try:
            result = profit_and_loss(store, definitions, begin, end)
        except PnlError as exc:
            raise Rejected(str(exc)) from None
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2, sort_keys=True))
    else:
        print_pnl(result, start or "the beginning", as_of)
    if not all(result.reconciled(c) for c in result.currencies):
        raise Rejected("the P&L does not agree with the change of the owner's balances in the store")


def print_pnl(result, start: str, end: str, echo=click.echo) -> None:
    echo(f"Profit and loss of the bank owner, {start} to {end} ({result.entries} entries)")
    for currency in result.currencies:
        echo(f"  {currency}")
        for title, lines in (("revenue", result.revenue), ("expenses", result.expenses)):
            for name, amounts in lines:
                value = dict(amounts).get(currency, 0)
                if value:
                    echo(f"    {title:9} {name:34} {_money(value, currency):>26}")
        net = result.net(currency)
        echo(f"    {'':9} {'net result':34} {_money(net, currency):>26}")
        if net < 0:
            echo(f"    operating at a loss: {_money(-net, currency)} of equity consumed")
        capital = dict(result.capital).get(currency, 0)
        if capital:
            echo(f"    {'':9} {'capital moves (not profit)':34} {_money(capital, currency):>26}")
        echo(f"    check: net + capital = change of the owner's balances: {'yes' if result.reconciled(currency) else 'NO'}")


@report.command("reconcile")
@_common
@click.option("--snapshots", "snapshots", required=True, type=click.Path(file_okay=False), help="The node snapshot directory.")
def reconcile_command(db, as_of, definitions_file, as_json, snapshots) -> None:
    """Ledger reserve accounts against the node snapshot, every difference itemised."""
    from solvency.books.holdings import snapshot_totals
    from solvency.books.reconcile import reconcile
    from solvency.reserves.fields import SnapshotError
    from solvency.reserves.snapshot import load_snapshot
    from verifier.errors import CannotVerify, VerificationError

    _time(as_of, "--as-of")
    try:
        totals = snapshot_totals(load_snapshot(snapshots))
    except (SnapshotError, VerificationError, CannotVerify) as exc:
        raise Rejected(f"snapshot {snapshots}: {exc}") from None
    store, definitions = _open(db, definitions_file)
    with store:
        result = reconcile(_sheet(store, definitions, as_of), totals)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2, sort_keys=True))
    else:
        print_reconciliation(result, as_of, snapshots)


def print_reconciliation(result, as_of: str, snapshots: str, echo=click.echo) -> None:
    echo(f"Reconciliation of the ledger as of {as_of} with the node snapshot {snapshots} (sats)")
    echo(f"    {'ledger line':20} {'ledger':>16} {'node':>16} {'node - ledger':>14}")
    for item in result.items:
        echo(f"    {item.line:20} {item.ledger:>16} {item.node:>16} {item.difference:>+14}  {item.explanation}")
    echo(f"    {'total':20} {result.ledger_total:>16} {result.node_total:>16} {result.difference:>+14}")
    for name, value in result.uncounted:
        if value:
            echo(f"    not counted: {name} {value} sat")
    for line, currency, value in result.unattested:
        echo(f"    not attested by a node: {line} {_money(value, currency)}")
