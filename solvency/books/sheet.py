"""Balance sheet: assets = liabilities + equity, per currency, checked (committed axis).

Every (account, currency) balance of the ledger as of the cut-off is read once and assigned to
exactly one line: the named definition of the layout that selects it, or the "other" line of its
account type. Revenue and expense accounts not yet closed into equity form the line "current
earnings" (revenue minus expenses). Two definitions that claim one account, or a definition that
claims an account of the wrong kind (an asset definition selecting a liability), are layout
errors and are refused rather than counted twice or on the wrong side.

The identity holds for any ledger whose trial balance is zero; the check is what catches a
ledger that does not balance or a layout that drops or doubles money. A negative equity is the
bank owner's capital consumed: liabilities exceed assets in that currency.

Under the ``floor`` policy for fractional amounts (docs/MONGO.md 11.2) each balance is floored on
its normal side, so the floored books no longer balance by exactly what the flooring removed. That
difference is never left as a residue: the store reports every balance it floored
(`Store.floored_balances`, a separate reading of the exact values) and the sheet carries their sum
as its own line, ``fractional adjustment (floor policy)`` = what flooring removed from liabilities
and equity minus what it removed from assets, and checks
assets = liabilities + equity + fractional adjustment.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ledger.accounts import ACCOUNT_TYPES, AccountInfo
from ledger.definitions import BalanceDefinition, Selector
from ledger.store import AsOf, Store
from solvency.books.layout import GALOY, BooksLayout

OTHER_LINES = {
    "Assets": ("assets", "other assets"),
    "Liabilities": ("liabilities", "other liabilities"),
    "Equity": ("equity", "other equity"),
    "Revenue": ("equity", "current earnings (revenue - expenses)"),
    "Expenses": ("equity", "current earnings (revenue - expenses)"),
}
ADJUSTMENT = "fractional adjustment (floor policy)"
ALL_ACCOUNTS = BalanceDefinition("all-accounts", "committed", tuple(Selector(type=t) for t in ACCOUNT_TYPES))


class BooksError(ValueError):
    """The books cannot be drawn up (a layout error or an unreadable ledger)."""


@dataclass(frozen=True, slots=True)
class Line:
    section: str  # "assets", "liabilities" or "equity"
    name: str  # a definition name or an "other ..." label
    amounts: tuple[tuple[str, int], ...]  # (currency, minor units), sorted by currency
    accounts: int  # how many (account, currency) balances it holds

    def amount(self, currency: str) -> int:
        return dict(self.amounts).get(currency, 0)


@dataclass(frozen=True, slots=True)
class BalanceSheet:
    as_of: str | None
    currencies: tuple[str, ...]
    lines: tuple[Line, ...]
    missing_definitions: tuple[str, ...]
    # Under the floor policy: per currency, what flooring removed from liabilities and equity minus
    # what it removed from assets, and every floored balance (account, currency, exact, floored).
    adjustment: tuple[tuple[str, int], ...] = ()
    floored: tuple[tuple[str, str, str, int], ...] = ()

    def total(self, section: str, currency: str) -> int:
        return sum(line.amount(currency) for line in self.lines if line.section == section)

    def line(self, name: str) -> Line | None:
        return next((line for line in self.lines if line.name == name), None)

    def fractional_adjustment(self, currency: str) -> int:
        return dict(self.adjustment).get(currency, 0)

    def difference(self, currency: str) -> int:
        """assets - (liabilities + equity + fractional adjustment); zero when the books balance."""
        return (self.total("assets", currency) - self.total("liabilities", currency) - self.total("equity", currency)
                - self.fractional_adjustment(currency))

    @property
    def balanced(self) -> bool:
        return all(self.difference(c) == 0 for c in self.currencies)

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "balanced": self.balanced,
            "missing_definitions": list(self.missing_definitions),
            "currencies": {
                c: {
                    "assets": str(self.total("assets", c)),
                    "liabilities": str(self.total("liabilities", c)),
                    "equity": str(self.total("equity", c)),
                    "fractional_adjustment": str(self.fractional_adjustment(c)),
                    "difference": str(self.difference(c)),
                    "equity_consumed": self.total("equity", c) < 0,
                }
                for c in self.currencies
            },
            "lines": [{"section": line.section, "name": line.name, "accounts": line.accounts,
                       "amounts": {c: str(v) for c, v in line.amounts}} for line in self.lines],
            "floored_balances": [{"account": a, "currency": c, "exact": e, "floored": str(f)} for a, c, e, f in self.floored],
        }


def _signed(account_type: str, section: str, amount: int) -> int:
    # Balances come in each account's normal side; expenses reduce equity.
    return -amount if section == "equity" and account_type == "Expenses" else amount


def account_path(user_id: str, known: Mapping[str, AccountInfo]) -> str:
    """`Store.user_balances` names Liabilities accounts by the part after ``Liabilities:``."""
    liability = f"Liabilities:{user_id}"
    return liability if liability in known else user_id


def balance_sheet(
    store: Store, definitions: Mapping[str, BalanceDefinition], as_of: AsOf = None, layout: BooksLayout = GALOY,
) -> BalanceSheet:
    definitions = store.bind_definitions(definitions)  # the bank's role wallets, as the ledger resolves them
    known = {a.path: a for a in store.accounts()}
    named: list[tuple[str, BalanceDefinition, frozenset[str]]] = []
    missing = []
    for section, names, types in layout.sections():
        for name in names:
            if name in definitions:
                named.append((section, definitions[name], types))
            else:
                missing.append(name)
    order = [(section, d.name) for section, d, _ in named]
    totals: dict[tuple[str, str], dict[str, int]] = {}
    counts: dict[tuple[str, str], int] = {}
    for user_id, currency, amount in store.user_balances(ALL_ACCOUNTS, as_of):
        path = account_path(user_id, known)
        info = known.get(path)
        if info is None:
            raise BooksError(f"the ledger reported a balance for an unknown account {path!r}")
        kind = path.split(":", 1)[0]
        claims = [(section, d, types) for section, d, types in named if d.matches(info, currency)]
        if len(claims) > 1:
            raise BooksError(f"{path} ({currency}) is claimed by {' and '.join(d.name for _, d, _ in claims)}: "
                             "the definitions overlap, it would be counted twice")
        if claims:
            section, d, types = claims[0]
            if kind not in types:
                raise BooksError(f"definition {d.name!r} ({section}) selects {path}, an account of type {kind}")
            key = (section, d.name)
        else:
            key = OTHER_LINES[kind]
            if key not in order:
                order.append(key)
        bucket = totals.setdefault(key, {})
        bucket[currency] = bucket.get(currency, 0) + _signed(kind, key[0], amount)
        counts[key] = counts.get(key, 0) + 1
    adjustment, floored = _fractional_adjustment(store, as_of)
    currencies = tuple(sorted({c for bucket in totals.values() for c in bucket} | {c for c, _ in adjustment}))
    rank = {"assets": 0, "liabilities": 1, "equity": 2}
    lines = tuple(
        Line(section, name, tuple(sorted(totals.get((section, name), {}).items())), counts.get((section, name), 0))
        for section, name in sorted(order, key=lambda key: rank[key[0]])
    )
    return BalanceSheet(None if as_of is None else str(as_of), currencies, lines, tuple(missing), adjustment, floored)


def _fractional_adjustment(store: Store, as_of: AsOf) -> tuple[tuple[tuple[str, int], ...], tuple[tuple[str, str, str, int], ...]]:
    """Per currency, what the floor policy removed from the liabilities and equity side minus what
    it removed from the assets side (expenses reduce equity, so theirs counts like an asset's);
    a whole number when the exact books balance, else the sheet cannot be drawn up."""
    rows = store.floored_balances(ALL_ACCOUNTS, as_of)
    sums: dict[str, Decimal] = {}
    for account, currency, exact, rounded in rows:
        removed = exact - rounded
        sign = -1 if account.split(":", 1)[0] in ("Assets", "Expenses") else 1
        sums[currency] = sums.get(currency, Decimal(0)) + sign * removed
    out = []
    for currency, total in sorted(sums.items()):
        if total != math.floor(total):
            raise BooksError(f"the floor policy removed {total} {currency} in all, not a whole number of minor units: "
                             "the exact books do not balance (run `solvency ledger check`)")
        if total:
            out.append((currency, int(total)))
    return tuple(out), tuple((a, c, str(e), f) for a, c, e, f in rows)
