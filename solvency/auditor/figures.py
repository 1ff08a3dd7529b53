"""The data behind the books notebook: tables and plot series as pandas DataFrames.

Every figure comes from code that already defines it -- the balance sheet, the P&L and the
reconciliation from `solvency.books`, the asset categories and the solvency statement from the
signed attestations and epochs (`verifier.assets.attestation`), the ledger's balances from the `Store`
-- and is only reshaped here. Money stays integer minor units (sats, cents) in every column; the
reserve ratio and the log-scale histogram edges are the only floats, and they are for plotting.

Privacy: `balance_distribution` returns amounts only, sorted by currency and amount, so no row
can be tied back to a wallet id.

Time axes: the balance sheet and the epochs use the committed axis (what the ledger knew at the
cut-off, as the commitment does); the P&L and `reserves_over_time` use the reporting axis (when
things happened), as `solvency.books.pnl` does.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ledger.clock import format_time, parse_time
from ledger.definitions import BalanceDefinition
from ledger.store import AsOf, Store
from solvency.auditor.publication import list_epochs
from solvency.books.layout import GALOY, BooksLayout
from solvency.books.pnl import ProfitAndLoss
from solvency.books.reconcile import reconcile
from solvency.books.sheet import BalanceSheet, balance_sheet
from verifier.assets.artifact import Attestation, Statement
from verifier.assets.rules import CATEGORIES
from verifier.epoch import Epoch
from verifier.history import read_artifact

if TYPE_CHECKING:
    import pandas as pd


def _frame(rows: list[dict[str, Any]], columns: list[str], optional_ints: tuple[str, ...] = ()) -> pd.DataFrame:
    """A DataFrame; `optional_ints` columns (integers or None) use pandas' nullable Int64, never float."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=columns)
    for name in optional_ints:
        frame[name] = pd.array(list(frame[name]), dtype="Int64")
    return frame


def _epoch_docs(pubdir: str | os.PathLike[str]) -> list[tuple[Epoch, Attestation | None]]:
    """(epoch.json, assets.json or None) per epoch, in sequence order (parsed, not verified)."""
    out = []
    for paths in list_epochs(pubdir):
        epoch = Epoch.parse(read_artifact(paths.epoch))
        out.append((epoch, Attestation.parse(read_artifact(paths.assets)) if paths.assets.is_file() else None))
    return out


# --- across epochs, from the publication ----------------------------------------------------


def solvency_by_epoch(pubdir: str | os.PathLike[str]) -> pd.DataFrame:
    """One row per epoch from its signed solvency statement: BTC assets and liabilities (sat), USD
    liabilities (cents, and in sat at the declared price), the margin and the reserve ratio."""
    rows = []
    for epoch, _ in _epoch_docs(pubdir):
        if epoch.solvency is None:
            continue
        statement = Statement.parse(epoch.solvency, "epoch.solvency")
        per = {r.currency: r for r in statement.rows}
        combined = statement.combined
        btc_assets, btc_liabilities = per["BTC"].held, per["BTC"].liabilities
        usd_sat = combined.usd_liabilities_in_sat if combined else None
        owed = btc_liabilities + (usd_sat or 0)
        rows.append({
            "epoch": epoch.epoch, "sequence": epoch.sequence, "as_of": str(epoch.as_of),
            "btc_assets_sat": btc_assets, "btc_liabilities_sat": btc_liabilities,
            "usd_liabilities_cents": per["USD"].liabilities if "USD" in per else 0,
            "usd_liabilities_sat": usd_sat,
            "margin_sat": combined.margin_sat if combined else per["BTC"].margin,
            "margin_usd_cents": combined.margin_usd_cents if combined else None,
            "usd_cents_per_btc": statement.price.usd_cents_per_btc if statement.price else None,
            "reserve_ratio": btc_assets / owed if owed else None,
        })
    return _frame(rows, ["epoch", "sequence", "as_of", "btc_assets_sat", "btc_liabilities_sat", "usd_liabilities_cents",
                         "usd_liabilities_sat", "margin_sat", "margin_usd_cents", "usd_cents_per_btc", "reserve_ratio"],
                  ("usd_liabilities_sat", "margin_usd_cents", "usd_cents_per_btc"))


def asset_composition(pubdir: str | os.PathLike[str]) -> pd.DataFrame:
    """Long table (epoch, as_of, category, counted, sat) of every attested asset category (SPEC 8.3)."""
    rows = []
    for epoch, assets in _epoch_docs(pubdir):
        if assets is None:
            continue
        for name, counted in CATEGORIES:
            rows.append({"epoch": epoch.epoch, "as_of": str(epoch.as_of), "category": name, "counted": counted,
                         "sat": getattr(assets.totals, name)})
    return _frame(rows, ["epoch", "as_of", "category", "counted", "sat"])


# --- the ledger at one cut-off ----------------------------------------------------------------


def balance_sheet_frame(sheet: BalanceSheet) -> pd.DataFrame:
    """The lines of a `solvency.books.sheet.BalanceSheet`: (section, line, currency, amount)."""
    rows = [{"section": line.section, "line": line.name, "currency": currency, "amount": amount}
            for line in sheet.lines for currency, amount in line.amounts if amount]
    return _frame(rows, ["section", "line", "currency", "amount"])


def balance_sheet_totals(sheet: BalanceSheet) -> pd.DataFrame:
    """Per currency: total assets, liabilities, equity and the difference (0 when the books balance)."""
    rows = [{"currency": c, "assets": sheet.total("assets", c), "liabilities": sheet.total("liabilities", c),
             "equity": sheet.total("equity", c), "difference": sheet.difference(c), "balanced": sheet.difference(c) == 0}
            for c in sheet.currencies]
    return _frame(rows, ["currency", "assets", "liabilities", "equity", "difference", "balanced"])


def balance_distribution(store: Store, definition: BalanceDefinition, as_of: AsOf) -> pd.DataFrame:
    """Every non-zero balance under `definition` as (currency, amount), without wallet ids and
    sorted by currency then amount (so the row order reveals nothing either)."""
    rows = sorted((currency, amount) for _, currency, amount in store.user_balances(definition, as_of))
    return _frame([{"currency": c, "amount": a} for c, a in rows], ["currency", "amount"])


def distribution_summary(distribution: pd.DataFrame) -> pd.DataFrame:
    """Per currency: count, total, median, 90th and 99th percentile and maximum (integers: the
    percentiles are order statistics, never interpolated)."""
    rows = []
    for currency, group in distribution.groupby("currency", sort=True):
        values = sorted(int(v) for v in group["amount"])
        median, p90, p99 = (values[min(len(values) - 1, (len(values) * q) // 100)] for q in (50, 90, 99))
        rows.append({"currency": currency, "count": len(values), "total": sum(values), "median": median,
                     "p90": p90, "p99": p99, "max": values[-1]})
    return _frame(rows, ["currency", "count", "total", "median", "p90", "p99", "max"])


def log_histogram(amounts: Iterable[int], bins_per_decade: int = 4) -> pd.DataFrame:
    """Counts of positive integer amounts in logarithmic bins [low, high) with integer edges
    (``ceil(10^(k / bins_per_decade))``, equal edges merged), from the power of ten at or below
    the smallest amount to the one above the largest."""
    values = sorted(int(v) for v in amounts if int(v) > 0)
    if not values:
        return _frame([], ["low", "high", "count"])
    first = (len(str(values[0])) - 1) * bins_per_decade
    last = len(str(values[-1])) * bins_per_decade
    edges = sorted({10 ** (k // bins_per_decade) if k % bins_per_decade == 0 else math.ceil(10 ** (k / bins_per_decade))
                    for k in range(first, last + 1)})
    rows = [{"low": low, "high": high, "count": bisect.bisect_left(values, high) - bisect.bisect_left(values, low)}
            for low, high in zip(edges, edges[1:])]
    return _frame(rows, ["low", "high", "count"])


# --- periods: P&L, reserves over time, reconciliation and equity across epochs -----------------


def period(store: Store, start: str | None = None, end: str | None = None) -> tuple[int | None, int, int]:
    """(P&L start or None, first, last) in microseconds for a period given as RFC 3339 texts;
    None means the ledger's first (for the P&L: from the beginning) or last reporting time."""
    first, last = reporting_period(store) if start is None or end is None else (0, 0)
    begin = parse_time(start) if start is not None else None
    finish = parse_time(end) if end is not None else last
    if begin is not None and begin >= finish:
        raise ValueError(f"the period start {start} is not before its end")
    return begin, begin if begin is not None else first, finish


def reporting_period(store: Store) -> tuple[int, int]:
    """(first, last) reporting time of the ledger's entries, in microseconds."""
    first: int | None = None
    last: int | None = None
    for posted in store.entries():
        t = posted.reporting_at
        first = t if first is None or t < first else first
        last = t if last is None or t > last else last
    if first is None or last is None:
        raise ValueError("the ledger has no entries")
    return first, last


def pnl_frame(pnl: ProfitAndLoss) -> pd.DataFrame:
    """The lines of a `solvency.books.pnl.ProfitAndLoss`: (kind, line, currency, amount), costs
    positive on expense lines."""
    rows = [{"kind": kind, "line": name, "currency": c, "amount": v}
            for kind, lines in (("revenue", pnl.revenue), ("expenses", pnl.expenses))
            for name, amounts in lines for c, v in amounts if v]
    return _frame(rows, ["kind", "line", "currency", "amount"])


def pnl_summary(pnl: ProfitAndLoss) -> pd.DataFrame:
    """Per currency: revenue, expenses, net result, capital moves, the owner's change by the
    store's own totals, whether they agree, and the equity earned or consumed by operations."""
    rows = []
    for c in pnl.currencies:
        revenue = sum(dict(a).get(c, 0) for _, a in pnl.revenue)
        expenses = sum(dict(a).get(c, 0) for _, a in pnl.expenses)
        net = pnl.net(c)
        rows.append({"currency": c, "revenue": revenue, "expenses": expenses, "net": net,
                     "capital_moves": dict(pnl.capital).get(c, 0), "owner_change": dict(pnl.change).get(c, 0),
                     "reconciled": pnl.reconciled(c), "equity_earned": max(0, net), "equity_consumed": max(0, -net)})
    return _frame(rows, ["currency", "revenue", "expenses", "net", "capital_moves", "owner_change", "reconciled",
                         "equity_earned", "equity_consumed"])


def fees_by_category(pnl: ProfitAndLoss, currency: str = "BTC") -> pd.DataFrame:
    """One row per P&L line in `currency`: revenue positive, costs negative (for a bar chart)."""
    frame = pnl_frame(pnl)
    frame = frame[frame["currency"] == currency].copy()
    frame["signed"] = [a if k == "revenue" else -a for k, a in zip(frame["kind"], frame["amount"])]
    return frame.sort_values(["kind", "signed"], ascending=[False, False]).reset_index(drop=True)


def reserves_over_time(store: Store, definitions: Mapping[str, Any], start: int, end: int, points: int = 12,
                       layout: BooksLayout = GALOY) -> pd.DataFrame:
    """BTC held on each asset line of the layout at `points` evenly spaced cut-offs in [start,
    end] (microseconds) on the reporting axis: (time, line, sat)."""
    if points < 2 or end <= start:
        raise ValueError("need at least 2 points and start < end")
    lines = [dataclasses.replace(definitions[n], time_axis="reporting") for n in layout.asset_lines if n in definitions]
    rows = []
    for k in range(points):
        cut = start + (end - start) * k // (points - 1)
        for d in lines:
            rows.append({"time": format_time(cut)[:19] + "Z", "line": d.name, "sat": int(dict(store.totals(d, cut)).get("BTC", 0))})
    return _frame(rows, ["time", "line", "sat"])


def reconciliation_by_epoch(store: Store, definitions: Mapping[str, Any], pubdir: str | os.PathLike[str],
                            layout: BooksLayout = GALOY) -> pd.DataFrame:
    """Each epoch's reconciliation (`solvency.books.reconcile`) of the ledger's reserve lines at its
    cut-off with the categories the epoch's signed attestation states: one row per line."""
    rows = []
    for epoch, assets in _epoch_docs(pubdir):
        if assets is None:
            continue
        result = reconcile(balance_sheet(store, definitions, epoch.as_of, layout), assets.totals.to_json(), layout)
        for item in result.items:
            rows.append({"epoch": epoch.epoch, "as_of": str(epoch.as_of), "line": item.line, "ledger_sat": item.ledger,
                         "node_sat": item.node, "difference_sat": item.difference, "explanation": item.explanation})
    return _frame(rows, ["epoch", "as_of", "line", "ledger_sat", "node_sat", "difference_sat", "explanation"])


def equity_by_epoch(store: Store, definitions: Mapping[str, Any], pubdir: str | os.PathLike[str],
                    layout: BooksLayout = GALOY) -> pd.DataFrame:
    """Per epoch and currency: the owner's equity in the balance sheet at the cut-off, its change
    since the previous epoch, and whether that change is equity earned or consumed."""
    rows = []
    previous: dict[str, int] = {}
    for epoch, _ in _epoch_docs(pubdir):
        sheet = balance_sheet(store, definitions, epoch.as_of, layout)
        for c in sheet.currencies:
            equity = sheet.total("equity", c)
            change = None if c not in previous else equity - previous[c]
            rows.append({"epoch": epoch.epoch, "as_of": str(epoch.as_of), "currency": c, "equity": equity, "change": change,
                         "movement": None if change is None else ("earned" if change > 0 else "consumed" if change < 0 else "unchanged")})
            previous[c] = equity
    return _frame(rows, ["epoch", "as_of", "currency", "equity", "change", "movement"], ("change",))
