"""Reconciliation of the ledger's BTC reserve accounts with a node snapshot, every difference
itemised.

For each reserve definition of the layout (`BooksLayout.node_categories`) the ledger's balance
as of the cut-off is compared with the snapshot categories (SPEC 8.3) that hold the same money.
Each difference is the drift ``node - ledger`` of `solvency.books.measures.drift_sat` (the one
definition the metrics and the notebooks use too) and is its own item with its likely cause:

* channel escrow: *escrow drift* -- lnd's commitment fees follow the fee market, and the ledger's
  escrow account moves only when the bank books an escrow update (Galoy's ``escrow`` entries);
  the lightning line then shows the opposite amount, which the report pairs with it;
* on-chain hot wallet, cold storage, lightning: the node holds less than the books (fees paid on
  chain or routing fees spent that were never booked) or more (receipts not yet booked).

Categories the statement does not count (unconfirmed, locked, in-flight HTLCs) are listed for
information only. Ledger assets that no node attests (e.g. a USD hedge) are listed as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from solvency.books import measures
from solvency.books.layout import GALOY, BooksLayout
from solvency.books.sheet import BalanceSheet
from verifier.assets.rules import CATEGORIES, COUNTED


@dataclass(frozen=True, slots=True)
class Item:
    line: str
    categories: tuple[str, ...]
    ledger: int
    node: int
    explanation: str

    @property
    def difference(self) -> int:
        """The drift ``node - ledger`` (`solvency.books.measures.drift_sat`)."""
        return measures.drift_sat(self.ledger, self.node)


@dataclass(frozen=True, slots=True)
class Reconciliation:
    items: tuple[Item, ...]
    uncounted: tuple[tuple[str, int], ...]
    unattested: tuple[tuple[str, str, int], ...]  # (line, currency, amount) of ledger assets no node covers

    @property
    def ledger_total(self) -> int:
        return sum(i.ledger for i in self.items)

    @property
    def node_total(self) -> int:
        return sum(i.node for i in self.items)

    @property
    def difference(self) -> int:
        return measures.drift_sat(self.ledger_total, self.node_total)

    def to_json(self) -> dict[str, Any]:
        return {
            "items": [{"line": i.line, "categories": list(i.categories), "ledger_sat": str(i.ledger), "node_sat": str(i.node),
                       "difference_sat": str(i.difference), "explanation": i.explanation} for i in self.items],
            "ledger_total_sat": str(self.ledger_total), "node_total_sat": str(self.node_total),
            "difference_sat": str(self.difference),
            "not_counted": {name: str(v) for name, v in self.uncounted},
            "not_attested_by_a_node": [{"line": n, "currency": c, "amount": str(v)} for n, c, v in self.unattested],
        }


def _explain(line: str, diff: int, escrow_drift: int) -> str:
    if diff == 0:
        return "agrees"
    if line == "channel-escrow":
        return (f"escrow drift of {diff:+d} sat: the channels' commitment fees moved with the fee market since "
                "the last escrow entry; book an escrow update")
    if line == "lightning-reserve" and escrow_drift and diff == -escrow_drift:
        return f"the other side of the escrow drift ({diff:+d} sat): the fee came out of the channels' local balance"
    if diff < 0:
        return f"the node holds {-diff} sat less than the books: unrecorded fees (on-chain, routing) or an unbooked send"
    return f"the node holds {diff} sat more than the books: receipts (deposits, routing fees) not yet booked"


def reconcile(sheet: BalanceSheet, totals: dict[str, int], layout: BooksLayout = GALOY) -> Reconciliation:
    mapped = dict(layout.node_categories)
    figures = []
    for line, categories in layout.node_categories:
        entry = sheet.line(line)
        ledger = entry.amount("BTC") if entry is not None else 0
        figures.append((line, categories, ledger, sum(totals.get(c, 0) for c in categories)))
    escrow_drift = sum(measures.drift_sat(ledger, node) for line, _, ledger, node in figures if line == "channel-escrow")
    items = tuple(Item(line, cats, ledger, node, _explain(line, measures.drift_sat(ledger, node), escrow_drift))
                  for line, cats, ledger, node in figures)
    claimed = {c for cats in mapped.values() for c in cats}
    # A pos-assets/2 attestation's totals have no bria categories: they count 0.
    uncounted = tuple((name, totals.get(name, 0)) for name, _ in CATEGORIES if name not in COUNTED or name not in claimed)
    unattested = tuple(
        (line.name, c, v) for line in sheet.lines if line.section == "assets" for c, v in line.amounts
        if v and (line.name not in mapped or c != "BTC")
    )
    return Reconciliation(items, uncounted, unattested)
