"""Profit and loss of the bank owner over a period (reporting axis: when things happened).

The owner's accounts are those of the layout's equity definitions (Galoy: the bank owner's wallet
and the equity accounts) and every revenue and expense account. Each posting to one of them
between ``start`` (exclusive) and ``end`` (inclusive) is income (credit) or cost (debit) of the
owner, and is put on one line by the entry's ``type`` (Galoy's ``LedgerTransactionType``, the
legs' own ``type`` on a medici database; `TYPE_LINES`, documented in docs/MONGO.md): credits go
to the type's revenue line, debits to its expense line; an unknown type gets lines named after
it, never a catch-all. A reversal -- a ledger reversal or a medici void, whose reversal journal
names the voided one -- is classified by the type of the entry it reverses and lands on the same
line with the opposite sign, so a voided fee nets to zero and a refunded fee reduces revenue
rather than appearing as a cost. Postings to equity accounts (``Equity:*``) and entries of a capital type
(`CAPITAL_TYPES`: paid-in capital, dividends) are the owner's capital moves, not profit, and are
listed apart; an entry that only moves money between the owner's own
accounts is internal and nets to zero.

Check: the net result plus the capital moves equals the change of the owner's balances computed
independently by the store (`Store.totals`) at both ends of the period. A negative result is an
operating loss: equity consumed.

Under the ``floor`` policy for fractional amounts (docs/MONGO.md 11.2) the entries carry each
fractional leg floored while the store floors each balance, and the two differ (two legs of 0.5
floor to 0 each, their balance of 1 does not): the difference is its own line, ``fractional
adjustment (floor policy)``, computed from what was floored -- the fraction each owner leg of the
period lost (and the whole owner postings of an entry that flooring left looking internal), less
what the flooring of the owner's balances lost at the end and at the start
(`Store.floored_balances`) -- and the check becomes net + capital + adjustment = change.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ledger.accounts import AccountInfo
from ledger.definitions import BalanceDefinition, Selector
from ledger.store import Progress, Store, with_progress
from solvency.books.layout import GALOY, BooksLayout

ROUTING = "routing fees"
BANK_FEES = "bank fees"
LN_FEES = "lightning fees paid"
ONCHAIN_FEES = "on-chain fees"
CHANNEL = "channel open/close fees"
REBALANCING = "cold-storage rebalancing fees"
CONVERSIONS = ("conversion revenue", "conversion costs")
RECONCILIATION = ("reconciliation gains", "reconciliation losses")
# entry type -> (revenue line, expense line). Galoy's `LedgerTransactionType`
# (GaloyMoney/blink core/api/src/domain/ledger/index.ts) in full, its legacy values and the
# toolkit's own types; docs/MONGO.md, "Entry types in the books", is the same table in words.
TYPE_LINES: dict[str, tuple[str, str]] = {
    # Galoy: external
    "invoice": (BANK_FEES, LN_FEES),
    "payment": (BANK_FEES, LN_FEES),
    "fee_reimbursement": (BANK_FEES, "fee reimbursements"),
    "onchain_receipt": (BANK_FEES, ONCHAIN_FEES),
    "onchain_payment": (BANK_FEES, ONCHAIN_FEES),
    # Galoy: internal (between wallets of the bank)
    "on_us": (BANK_FEES, "intraledger payments by the bank"),
    "ln_on_us": (BANK_FEES, "intraledger payments by the bank"),
    "onchain_on_us": (BANK_FEES, "intraledger payments by the bank"),
    "self_trade": CONVERSIONS,
    "ln_self_trade": CONVERSIONS,
    "onchain_self_trade": CONVERSIONS,
    # Galoy: admin
    "fee": ("channel fee income", CHANNEL),
    "to_cold_storage": ("rebalancing income", REBALANCING),
    "to_hot_wallet": ("rebalancing income", REBALANCING),
    "escrow": ("channel fee income", CHANNEL),
    "routing_fee": (ROUTING, "routing costs"),
    "reconciliation": RECONCILIATION,
    # Galoy: legacy values still found in old books
    "deposit_fee": (BANK_FEES, ONCHAIN_FEES),
    "exchange_rebalance": ("rebalancing income", REBALANCING),
    "user_rebalance": CONVERSIONS,
    # The toolkit's own ledgers (solvency demo)
    "routing_revenue": (ROUTING, "routing costs"),
    "intraledger": (BANK_FEES, "intraledger payments by the bank"),
    "channel_open": ("channel fee income", CHANNEL),
    "channel_confirmed": ("channel fee income", CHANNEL),
    "channel_close": ("channel fee income", CHANNEL),
    "channel_close_settled": ("channel fee income", CHANNEL),
    "cold_deposit": ("rebalancing income", REBALANCING),
    "cold_withdrawal": ("rebalancing income", REBALANCING),
    "from_cold_storage": ("rebalancing income", REBALANCING),
    "rebalance": ("rebalancing income", REBALANCING),
    "loop_in": ("other revenue", "loop and pool costs"),
    "loop_out": ("other revenue", "loop and pool costs"),
    "pool": ("other revenue", "loop and pool costs"),
    "reward": ("other revenue", "rewards and promotions"),
}
#: Galoy's LedgerTransactionType values (current and legacy): the fixture and tests cover each.
GALOY_TYPES = (
    "invoice", "payment", "fee_reimbursement", "onchain_receipt", "onchain_payment", "on_us", "ln_on_us",
    "onchain_on_us", "self_trade", "ln_self_trade", "onchain_self_trade", "fee", "to_cold_storage",
    "to_hot_wallet", "escrow", "routing_fee", "reconciliation",
)
UNTYPED = ("untyped revenue", "untyped expenses")


def lines_for(kind: str | None) -> tuple[str, str]:
    """The (revenue, expense) lines of an entry type; an unknown type gets lines named after it,
    never a catch-all, so that it is listed by name."""
    if kind is None:
        return UNTYPED
    return TYPE_LINES.get(kind, (f"unknown type {kind!r} (revenue)", f"unknown type {kind!r} (expenses)"))


# Entry types that move the owner's capital in or out: never profit or loss.
CAPITAL_TYPES = frozenset({"capital", "capital_injection", "dividend", "owner_withdrawal"})
CAPITAL = "capital moves (not profit)"


class PnlError(ValueError):
    """The profit and loss cannot be drawn up."""


Lines = tuple[tuple[str, tuple[tuple[str, int], ...]], ...]


@dataclass(frozen=True, slots=True)
class ProfitAndLoss:
    start: int | None  # microseconds, exclusive (None: from the beginning)
    end: int  # microseconds, inclusive
    revenue: Lines  # line -> (currency, amount)
    expenses: Lines  # costs as positive amounts
    capital: tuple[tuple[str, int], ...]
    change: tuple[tuple[str, int], ...]  # the store's own figure for the owner's change
    entries: int
    adjustment: tuple[tuple[str, int], ...] = ()  # floor policy: per-leg versus per-balance flooring

    def _sum(self, lines: Lines, currency: str) -> int:
        return sum(dict(amounts).get(currency, 0) for _, amounts in lines)

    @property
    def currencies(self) -> tuple[str, ...]:
        found = {c for _, a in self.revenue + self.expenses for c, _ in a} | {c for c, _ in self.capital + self.change}
        return tuple(sorted(found))

    def net(self, currency: str) -> int:
        return self._sum(self.revenue, currency) - self._sum(self.expenses, currency)

    def reconciled(self, currency: str) -> bool:
        return (self.net(currency) + dict(self.capital).get(currency, 0) + self.fractional_adjustment(currency)
                == dict(self.change).get(currency, 0))

    def fractional_adjustment(self, currency: str) -> int:
        return dict(self.adjustment).get(currency, 0)

    def to_json(self) -> dict[str, Any]:
        def lines(items: Lines) -> dict[str, dict[str, str]]:
            return {name: {c: str(v) for c, v in amounts} for name, amounts in items}

        return {
            "start_us": self.start, "end_us": self.end, "entries": self.entries,
            "revenue": lines(self.revenue), "expenses": lines(self.expenses),
            "capital_moves": {c: str(v) for c, v in self.capital},
            "currencies": {c: {"revenue": str(self._sum(self.revenue, c)), "expenses": str(self._sum(self.expenses, c)),
                               "net": str(self.net(c)), "equity_consumed": str(max(0, -self.net(c))),
                               "owner_change": str(dict(self.change).get(c, 0)),
                               "fractional_adjustment": str(self.fractional_adjustment(c)), "reconciled": self.reconciled(c)}
                           for c in self.currencies},
        }


def _owner_definitions(definitions: Mapping[str, BalanceDefinition], layout: BooksLayout) -> list[BalanceDefinition]:
    found = [definitions[n] for n in layout.equity_lines if n in definitions]
    if not found:
        raise PnlError(f"none of the owner's definitions ({', '.join(layout.equity_lines)}) is defined")
    return found


def _owner_balances(owners: list[BalanceDefinition]) -> tuple[BalanceDefinition, BalanceDefinition]:
    """The owner's credit-normal accounts (its definitions and revenue) and its expenses."""
    selectors = [s for d in owners for s in d.include]
    excludes = tuple(s for d in owners for s in d.exclude)
    credit = BalanceDefinition("owner-credit", "reporting", tuple(selectors) + (Selector(type="Revenue"),), excludes)
    debit = BalanceDefinition("owner-expenses", "reporting", (Selector(type="Expenses"),))
    return credit, debit


def _floor_adjustment(store: Store, owners: list[BalanceDefinition], is_owner: Callable[[str, str], bool],
                      start: int | None, end: int) -> dict[str, int]:
    """Under the floor policy: the change of the owner's floored balances minus the sum of its
    floored legs in the period, from what was floored (see the module docstring)."""
    if store.fractional != "floor":
        return {}
    legs = {leg: (account, currency) for leg, _, account, currency, _ in store.fractional_legs()}
    if not legs:
        return {}
    sums: dict[str, Decimal] = {}
    for posted in store.entries():
        noted = dict(posted.entry.metadata).get("medici_fractional")
        if not noted or (start is not None and posted.reporting_at <= start) or posted.reporting_at > end:
            continue
        postings = posted.entry.postings
        touches = [p for p in postings if is_owner(p.account, p.currency)]
        if not touches or len(touches) == len(postings):
            # Not counted by the P&L (a leg floored to nothing can make an entry look internal):
            # all of its owner legs' exact change is adjustment.
            for p in touches:
                sums[p.currency] = sums.get(p.currency, Decimal(0)) + (p.amount if p.side == "credit" else -p.amount)
        for item in str(noted).split(";"):
            leg, _, value = item.partition("=")
            account, currency = legs.get(leg, ("", ""))
            if account and is_owner(account, currency):
                net = Decimal(value)  # the leg's exact credit - debit; its posting is the floor of it
                sums[currency] = sums.get(currency, Decimal(0)) + net - math.floor(net)
    credit, debit = _owner_balances(owners)
    for sign, definition in ((-1, credit), (1, debit)):
        for cut, direction in ((end, 1), (start, -1)):
            for _, currency, exact, floored in ([] if cut is None else store.floored_balances(definition, cut)):
                sums[currency] = sums.get(currency, Decimal(0)) + sign * direction * (exact - floored)
    if any(v != math.floor(v) for v in sums.values()):
        raise PnlError(f"the floor policy's adjustments do not sum to whole units ({sums}): the exact books do not balance")
    return {c: int(v) for c, v in sorted(sums.items()) if v}


def _owner_change(store: Store, owners: list[BalanceDefinition], start: int | None, end: int) -> dict[str, int]:
    """The owner's balance change by the store's SQL path: credit-normal accounts minus expenses."""
    credit, debit = _owner_balances(owners)
    out: dict[str, int] = {}
    for sign, definition in ((1, credit), (-1, debit)):
        for cut, direction in ((end, 1), (start, -1)):
            if cut is None:
                continue
            for currency, value in store.totals(definition, cut).items():
                out[currency] = out.get(currency, 0) + sign * direction * value
    return {c: v for c, v in out.items() if v}


def profit_and_loss(
    store: Store, definitions: Mapping[str, BalanceDefinition], start: int | None, end: int, layout: BooksLayout = GALOY,
    progress: Progress | None = None,
) -> ProfitAndLoss:
    """The owner's P&L over (start, end] on the reporting axis, from one pass over every entry
    (`progress` hears the phase ``reading entries``)."""
    definitions = store.bind_definitions(definitions)  # the owner's wallets, as the ledger resolves its roles
    owners = _owner_definitions(definitions, layout)
    infos = {a.path: a for a in store.accounts()}
    cache: dict[tuple[str, str], bool] = {}

    def is_owner(path: str, currency: str) -> bool:
        key = (path, currency)
        if key not in cache:
            kind = path.split(":", 1)[0]
            info = infos.get(path, AccountInfo(path))
            cache[key] = kind in ("Revenue", "Expenses") or any(d.matches(info, currency) for d in owners)
        return cache[key]

    revenue: dict[str, dict[str, int]] = {}
    expenses: dict[str, dict[str, int]] = {}
    capital: dict[str, int] = {}
    types: dict[str, str | None] = {}  # entry id or medici journal -> type, for reversals and voids
    counted = 0
    total = store.digest().entry_count if progress is not None else 0
    for posted in with_progress(store.entries(), progress, "reading entries", total):
        entry = posted.entry
        touches = [p for p in entry.postings if is_owner(p.account, p.currency)]
        if not touches:
            continue
        meta = dict(entry.metadata)
        kind = str(meta.get("type", "")) or None
        # A ledger reversal, or a medici void (its reversal journal names the voided one): the
        # type of what it reverses, the opposite sign on the same line, so a void nets to zero.
        target = entry.reverses if entry.reverses is not None else meta.get("medici_original_journal")
        reversal = target is not None
        if reversal:
            kind = types.get(str(target), kind)
        else:
            types[posted.entry_id] = kind
            if isinstance(meta.get("medici_journal"), str):
                types[str(meta["medici_journal"])] = kind
        if start is not None and posted.reporting_at <= start or posted.reporting_at > end:
            continue
        if len(touches) == len(entry.postings):
            continue  # internal to the owner's accounts: nets to zero
        counted += 1
        revenue_line, expense_line = lines_for(kind)
        for p in touches:
            signed = p.amount if p.side == "credit" else -p.amount
            if p.account.startswith("Equity:") or kind in CAPITAL_TYPES:
                capital[p.currency] = capital.get(p.currency, 0) + signed
                continue
            income = (signed > 0) != reversal  # a reversal lands on the line of what it reverses
            if income:
                line = revenue.setdefault(revenue_line, {})
                line[p.currency] = line.get(p.currency, 0) + signed
            else:
                line = expenses.setdefault(expense_line, {})
                line[p.currency] = line.get(p.currency, 0) - signed

    def freeze(lines: dict[str, dict[str, int]]) -> Lines:
        return tuple((name, tuple(sorted(v.items()))) for name, v in sorted(lines.items()))

    change = _owner_change(store, owners, start, end)
    adjustment = _floor_adjustment(store, owners, is_owner, start, end)
    return ProfitAndLoss(start, end, freeze(revenue), freeze(expenses), tuple(sorted(capital.items())),
                         tuple(sorted(change.items())), counted, tuple(adjustment.items()))
