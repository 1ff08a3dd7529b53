"""Plain-text renderings of the books, for ``solvency report`` and the demo.

Each printer takes the computed object and an ``echo`` callable (one line per call), so the CLI
passes ``click.echo`` and the demo its own sink. The JSON forms are the objects' ``to_json``.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from ledger.money import CURRENCIES, format_minor_units
from solvency.books.pnl import ProfitAndLoss
from solvency.books.reconcile import Reconciliation
from solvency.books.sheet import ADJUSTMENT, BalanceSheet

Echo = Callable[[str], object]


def money(value: int, currency: str) -> str:
    """`value` minor units as a decimal amount with its currency code (raw units if unknown)."""
    return f"{format_minor_units(value, CURRENCIES[currency])} {currency}" if currency in CURRENCIES else f"{value} {currency}"


def print_balance_sheet(sheet: BalanceSheet, echo: Echo = click.echo) -> None:
    echo(f"Balance sheet as of {sheet.as_of}")
    for currency in sheet.currencies:
        echo(f"  {currency}")
        for section in ("assets", "liabilities", "equity"):
            for line in sheet.lines:
                if line.section == section and line.amount(currency):
                    echo(f"    {section:12} {line.name:40} {money(line.amount(currency), currency):>26}")
            echo(f"    {'':12} {'total ' + section:40} {money(sheet.total(section, currency), currency):>26}")
        adjustment = sheet.fractional_adjustment(currency)
        if adjustment:
            echo(f"    {'adjustment':12} {ADJUSTMENT:40} {money(adjustment, currency):>26}")
        diff = sheet.difference(currency)
        identity = "assets = liabilities + equity" + (" + fractional adjustment" if adjustment else "")
        verdict = identity if diff == 0 else f"OUT OF BALANCE by {money(diff, currency)}"
        echo(f"    check: {verdict}")
        if sheet.total("equity", currency) < 0:
            echo(f"    equity is negative: {money(-sheet.total('equity', currency), currency)} more owed than held (equity consumed)")
    for account, currency, exact, floored in sheet.floored:
        echo(f"  floored (fractional policy floor): {account} {currency} {exact} -> {floored}")
    if sheet.missing_definitions:
        echo(f"  (not in the definitions file: {', '.join(sheet.missing_definitions)})")


def print_pnl(result: ProfitAndLoss, start: str, end: str, echo: Echo = click.echo) -> None:
    echo(f"Profit and loss of the bank owner, {start} to {end} ({result.entries} entries)")
    for currency in result.currencies:
        echo(f"  {currency}")
        for title, lines in (("revenue", result.revenue), ("expenses", result.expenses)):
            for name, amounts in lines:
                value = dict(amounts).get(currency, 0)
                if value:
                    echo(f"    {title:9} {name:34} {money(value, currency):>26}")
        net = result.net(currency)
        echo(f"    {'':9} {'net result':34} {money(net, currency):>26}")
        if net < 0:
            echo(f"    operating at a loss: {money(-net, currency)} of equity consumed")
        capital = dict(result.capital).get(currency, 0)
        if capital:
            echo(f"    {'':9} {'capital moves (not profit)':34} {money(capital, currency):>26}")
        adjustment = result.fractional_adjustment(currency)
        if adjustment:
            echo(f"    {'':9} {'fractional adjustment (floor policy)':34} {money(adjustment, currency):>26}")
        terms = "net + capital" + (" + fractional adjustment" if adjustment else "")
        echo(f"    check: {terms} = change of the owner's balances: {'yes' if result.reconciled(currency) else 'NO'}")


def print_reconciliation(result: Reconciliation, as_of: str, snapshots: str, echo: Echo = click.echo) -> None:
    echo(f"Reconciliation of the ledger as of {as_of} with the node snapshot {snapshots} (sats)")
    echo(f"    {'ledger line':20} {'ledger':>16} {'node':>16} {'node - ledger':>14}")
    for item in result.items:
        echo(f"    {item.line:20} {item.ledger:>16} {item.node:>16} {item.difference:>+14}  {item.explanation}")
    echo(f"    {'total':20} {result.ledger_total:>16} {result.node_total:>16} {result.difference:>+14}")
    for name, value in result.uncounted:
        if value:
            echo(f"    not counted: {name} {value} sat")
    for line, currency, value in result.unattested:
        echo(f"    not attested by a node: {line} {money(value, currency)}")
