"""The reserve ratios and the reconciliation drift: one definition of each, for every surface.

The metrics exporter (`solvency.metrics.figures`), the books (`solvency.books.reconcile`, hence
``solvency report reconcile``), the auditor's figures (`solvency.auditor.figures`) and through
them both notebooks compute these figures only by calling the functions below, so a reserve
ratio or a drift can never mean two things (docs/METRICS.md, "One set of figures"):

* ``reserve_ratio_btc``: counted BTC holdings / BTC customer liabilities. Bitcoin against
  bitcoin only; USD liabilities are left out (they are not covered by it, nor netted).
* ``reserve_ratio_at_declared_price``: counted BTC holdings / (BTC customer liabilities + USD
  customer liabilities converted to sats at the declared BTC/USD price, rounded up against the
  bank exactly as the solvency statement of docs/SPEC.md 8.7 converts them).
* ``drift_sat``: ``node - ledger`` in sats, per ledger reserve line: positive when the node holds
  more than the books (receipts not yet booked), negative when it holds less (fees paid that were
  never booked). Booking the drift brings the ledger to the node.

Ratios are exact `Fraction`s (None when the denominator is 0: a ratio over nothing owed is not a
figure); floats appear only where a surface hands them to a plotting or exposition library.
"""

from __future__ import annotations

from fractions import Fraction

from verifier.assets.artifact import Statement
from verifier.assets.btc_json import usd_cents_to_sats_up


def reserve_ratio_btc(btc_assets_sat: int, btc_liabilities_sat: int) -> Fraction | None:
    """Counted BTC holdings over BTC customer liabilities; None when nothing is owed in BTC."""
    return Fraction(btc_assets_sat, btc_liabilities_sat) if btc_liabilities_sat > 0 else None


def usd_liabilities_in_sat(usd_liabilities_cents: int, usd_cents_per_btc: int) -> int:
    """USD liabilities in sats at the declared price, rounded up (against the bank, SPEC 8.7)."""
    return usd_cents_to_sats_up(usd_liabilities_cents, usd_cents_per_btc)


def reserve_ratio_at_declared_price(
    btc_assets_sat: int, btc_liabilities_sat: int, usd_liabilities_cents: int, usd_cents_per_btc: int
) -> Fraction | None:
    """Counted BTC holdings over BTC plus USD customer liabilities, the USD converted at the
    declared price (`usd_liabilities_in_sat`); None when nothing is owed."""
    owed = btc_liabilities_sat + usd_liabilities_in_sat(usd_liabilities_cents, usd_cents_per_btc)
    return Fraction(btc_assets_sat, owed) if owed > 0 else None


def drift_sat(ledger_sat: int, node_sat: int) -> int:
    """The reconciliation drift of one reserve line: ``node - ledger`` (sats)."""
    return node_sat - ledger_sat


def statement_ratios(statement: Statement) -> tuple[Fraction | None, Fraction | None]:
    """(``reserve_ratio_btc``, ``reserve_ratio_at_declared_price``) of a signed solvency
    statement. The second is None when the statement has no view at the declared price (no
    price, or liabilities in a currency the statement does not convert)."""
    btc = statement.row("BTC")
    at_price = None
    if statement.combined is not None and statement.price is not None:
        usd = next((row.liabilities for row in statement.rows if row.currency == "USD"), 0)
        at_price = reserve_ratio_at_declared_price(btc.held, btc.liabilities, usd, statement.price.usd_cents_per_btc)
    return reserve_ratio_btc(btc.held, btc.liabilities), at_price
