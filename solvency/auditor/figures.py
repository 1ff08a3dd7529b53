"""The data behind the notebooks: tables and plot series as pandas DataFrames, and the plots.

Every figure comes from code that already defines it -- the balance sheet, the P&L and the
reconciliation from `solvency.books`, the reserve ratios and the drift from
`solvency.books.measures` (the definitions the metrics use too), the asset categories and the
solvency statement from the signed attestations and epochs (`verifier.assets.attestation`), the
ledger's balances from the `Store` -- and is only reshaped here. Money stays integer minor units
(sats, cents) in every column; the reserve ratios are the only floats, and they are for plotting.

The ``plot_*`` functions draw those frames with matplotlib (imported inside them) so that the
notebooks stay thin: amounts are drawn in whole units (BTC, USD) with the unit on the axis, on
linear scales, every bar labelled with its value, legends outside the plotting area.

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
from typing import TYPE_CHECKING, Any, Literal

from ledger.clock import format_time, parse_time
from ledger.definitions import BalanceDefinition
from ledger.money import CURRENCIES, format_minor_units
from ledger.store import AsOf, Store
from solvency.auditor.publication import list_epochs
from solvency.books import measures
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
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


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


def _ratio(value: Any) -> float | None:
    return None if value is None else float(value)


def solvency_by_epoch(pubdir: str | os.PathLike[str]) -> pd.DataFrame:
    """One row per epoch from its signed solvency statement: BTC assets and liabilities (sat), USD
    liabilities (cents, and in sat at the declared price), the margin and both reserve ratios of
    `solvency.books.measures` (``reserve_ratio_btc``, ``reserve_ratio_at_declared_price``)."""
    rows = []
    for epoch, _ in _epoch_docs(pubdir):
        if epoch.solvency is None:
            continue
        statement = Statement.parse(epoch.solvency, "epoch.solvency")
        per = {r.currency: r for r in statement.rows}
        combined = statement.combined
        btc_assets, btc_liabilities = per["BTC"].held, per["BTC"].liabilities
        usd_sat = combined.usd_liabilities_in_sat if combined else None
        ratio_btc, ratio_at_price = measures.statement_ratios(statement)
        rows.append({
            "epoch": epoch.epoch, "sequence": epoch.sequence, "as_of": str(epoch.as_of),
            "btc_assets_sat": btc_assets, "btc_liabilities_sat": btc_liabilities,
            "usd_liabilities_cents": per["USD"].liabilities if "USD" in per else 0,
            "usd_liabilities_sat": usd_sat,
            "margin_sat": combined.margin_sat if combined else per["BTC"].margin,
            "margin_usd_cents": combined.margin_usd_cents if combined else None,
            "usd_cents_per_btc": statement.price.usd_cents_per_btc if statement.price else None,
            "reserve_ratio_btc": _ratio(ratio_btc), "reserve_ratio_at_declared_price": _ratio(ratio_at_price),
        })
    return _frame(rows, ["epoch", "sequence", "as_of", "btc_assets_sat", "btc_liabilities_sat", "usd_liabilities_cents",
                         "usd_liabilities_sat", "margin_sat", "margin_usd_cents", "usd_cents_per_btc", "reserve_ratio_btc",
                         "reserve_ratio_at_declared_price"],
                  ("usd_liabilities_sat", "margin_usd_cents", "usd_cents_per_btc"))


AT_DECLARED_PRICE = "BTC + USD at declared price"


def margins_by_epoch(pubdir: str | os.PathLike[str]) -> pd.DataFrame:
    """Long table (epoch, view, unit, assets, liabilities, margin) of every epoch's signed solvency
    statement: one row per asset as the statement states it (never netted), and one row for the
    labelled view at the declared price (USD liabilities converted to sat, rounded up), if any."""
    rows = []
    for epoch, _ in _epoch_docs(pubdir):
        if epoch.solvency is None:
            continue
        statement = Statement.parse(epoch.solvency, "epoch.solvency")
        for row in statement.rows:
            rows.append({"epoch": epoch.epoch, "view": row.currency, "unit": row.currency, "assets": row.held,
                         "liabilities": row.liabilities, "margin": row.margin})
        if statement.combined is not None:
            btc = statement.row("BTC")
            rows.append({"epoch": epoch.epoch, "view": AT_DECLARED_PRICE, "unit": "BTC", "assets": btc.held,
                         "liabilities": btc.liabilities + statement.combined.usd_liabilities_in_sat,
                         "margin": statement.combined.margin_sat})
    return _frame(rows, ["epoch", "view", "unit", "assets", "liabilities", "margin"])


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
    cut-off with the categories the epoch's signed attestation states: one row per line, with the
    drift ``node - ledger`` of `solvency.books.measures.drift_sat`."""
    rows = []
    for epoch, assets in _epoch_docs(pubdir):
        if assets is None:
            continue
        result = reconcile(balance_sheet(store, definitions, epoch.as_of, layout), assets.totals.to_json(), layout)
        for item in result.items:
            rows.append({"epoch": epoch.epoch, "as_of": str(epoch.as_of), "line": item.line, "ledger_sat": item.ledger,
                         "node_sat": item.node, "drift_sat": item.difference, "explanation": item.explanation})
    return _frame(rows, ["epoch", "as_of", "line", "ledger_sat", "node_sat", "drift_sat", "explanation"])


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


# --- plots ------------------------------------------------------------------------------------

GAIN, LOSS, NEUTRAL = "#1a7f37", "#cf222e", "#57606a"


def _scale(currency: str) -> int:
    """Minor units per whole unit of `currency` (10**8 for BTC, 100 for USD)."""
    return int(10 ** CURRENCIES[currency].exponent)


def _units(values: Iterable[Any], currency: str) -> list[float]:
    """Integer minor units as whole units, for drawing only (the tables keep the integers)."""
    scale = _scale(currency)
    return [int(v) / scale for v in values]


def _tick(value: float, _position: object = None) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"


def _plain_axis(ax: Axes, axis: Literal["x", "y"] = "y") -> None:
    # No "1e10" multiplier or offset above the axis: the tick labels are the values, with
    # thousands separators (15,000,000 rather than 15000000 or 1.5e7).
    from matplotlib.ticker import FuncFormatter

    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(FuncFormatter(_tick))


def _legend_outside(ax: Axes, title: str | None = None) -> None:
    ax.legend(title=title, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


def _subplots(*args: Any, **kwargs: Any) -> tuple[Figure, Any]:
    import matplotlib.pyplot as plt

    return plt.subplots(*args, layout="constrained", **kwargs)


def plot_fees(fees: pd.DataFrame, currency: str = "BTC") -> Figure:
    """`fees_by_category` as horizontal bars in whole units of `currency` on a linear scale,
    revenue green to the right, costs red to the left, each bar labelled with its exact amount."""
    fig, ax = _subplots(figsize=(9, 1.6 + 0.45 * max(len(fees), 1)))
    if fees.empty:
        ax.text(0.5, 0.5, f"no revenue or costs in {currency} over the period", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    values = [int(v) for v in fees["signed"]]
    bars = ax.barh([f"{k}: {line}" for k, line in zip(fees["kind"], fees["line"])], _units(values, currency),
                   color=[GAIN if v > 0 else LOSS for v in values])
    ax.bar_label(bars, labels=[("+" if v > 0 else "-") + format_minor_units(abs(v), CURRENCIES[currency]) for v in values],
                 padding=3, fontsize=8)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.margins(x=0.3)
    _plain_axis(ax, "x")
    ax.set_xlabel(f"{currency} (revenue > 0, costs < 0)")
    ax.set_title(f"Fees by category ({currency})")
    ax.invert_yaxis()
    return fig


def plot_reserves(reserves: pd.DataFrame) -> Figure:
    """`reserves_over_time` as stacked areas in BTC, one per ledger reserve line."""
    wide = reserves.pivot(index="time", columns="line", values="sat")
    fig, ax = _subplots(figsize=(10, 4.5))
    # Each legend entry gives the line's amount at the last cut-off: a line too small to see as an
    # area (the channel escrow, say) is still read off exactly.
    labels = [f"{line}: {format_minor_units(int(wide[line].iloc[-1]), CURRENCIES['BTC'])} BTC" for line in wide.columns]
    ax.stackplot(range(len(wide)), *[_units(wide[line], "BTC") for line in wide.columns], labels=labels)
    ax.set_xticks(range(len(wide)), [t[:16].replace("T", " ") for t in wide.index], fontsize=8, rotation=35, ha="right",
                  rotation_mode="anchor")
    ax.set_xlim(0, len(wide) - 1)
    _plain_axis(ax)
    ax.set_ylabel("BTC")
    ax.set_xlabel("cut-off (reporting axis, UTC)")
    ax.set_title("Bitcoin held by source (ledger)")
    _legend_outside(ax, "ledger line (at the last cut-off)")
    return fig


def plot_composition(composition: pd.DataFrame) -> Figure:
    """`asset_composition`'s counted categories as one stacked bar per epoch, in BTC, each bar's
    total on top, the legend (outside the bars) giving each category's amount at the last epoch so
    that a category too small to see is still read off; categories at 0 in every epoch are listed
    under the legend rather than drawn."""
    counted = composition[composition["counted"]]
    wide = counted.pivot(index="epoch", columns="category", values="sat")
    empty = [c for c in wide.columns if not wide[c].any()]
    wide = wide[[c for c in wide.columns if c not in empty]]
    fig, ax = _subplots(figsize=(9, 4.5))
    bottom = [0.0] * len(wide)
    for category in wide.columns:
        heights = _units(wide[category], "BTC")
        last = format_minor_units(int(wide[category].iloc[-1]), CURRENCIES["BTC"])
        ax.bar(list(wide.index), heights, bottom=bottom, label=f"{category}: {last} BTC", width=0.5)
        bottom = [b + h for b, h in zip(bottom, heights)]
    for x, total in enumerate(wide.sum(axis=1)):
        ax.annotate(f"{format_minor_units(int(total), CURRENCIES['BTC'])} BTC", (x, bottom[x]), ha="center", va="bottom",
                    xytext=(0, 2), textcoords="offset points", fontsize=8)
    ax.set_ylim(0, max(bottom + [0.0]) * 1.12 or 1)
    _plain_axis(ax)
    ax.set_ylabel("BTC")
    ax.set_xlabel("epoch")
    ax.set_title("Attested bitcoin by category (counted)")
    from matplotlib.patches import Patch

    handles, names = ax.get_legend_handles_labels()
    if empty:  # one entry without a swatch lists the categories that hold nothing
        handles.append(Patch(visible=False))
        names.append("0 in every epoch:\n  " + "\n  ".join(empty))
    ax.legend(handles, names, title=f"category (at {wide.index[-1]})", loc="upper left", bbox_to_anchor=(1.01, 1.0),
              frameon=False)
    return fig


def _grouped_bars(ax: Axes, groups: list[str], series: list[tuple[str, list[float], list[str]]], colors: list[Any]) -> None:
    """Bars of several series side by side for each group, each labelled with its text."""
    width = 0.8 / max(len(series), 1)
    for k, ((name, values, texts), color) in enumerate(zip(series, colors)):
        xs = [g + (k - (len(series) - 1) / 2) * width for g in range(len(groups))]
        bars = ax.bar(xs, values, width=width, label=name, color=color)
        ax.bar_label(bars, labels=texts, padding=2, fontsize=7)
    ax.set_xticks(range(len(groups)), groups)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.margins(y=0.15)


def plot_drift(drift: pd.DataFrame) -> Figure:
    """`reconciliation_by_epoch` as the drift ``node - ledger`` (sat) per reserve line and epoch."""
    wide = drift.pivot(index="epoch", columns="line", values="drift_sat")
    fig, ax = _subplots(figsize=(9, 4))
    series = [(line, [float(v) for v in wide[line]], [f"{int(v):+,d}" for v in wide[line]]) for line in wide.columns]
    _grouped_bars(ax, list(wide.index), series, [f"C{k}" for k in range(len(series))])
    _plain_axis(ax)
    ax.set_ylabel("sat (node - ledger)")
    ax.set_xlabel("epoch")
    ax.set_title("Reconciliation drift per reserve line (> 0: the node holds more than the books)", fontsize=10)
    _legend_outside(ax, "ledger line")
    return fig


def plot_solvency(epochs: pd.DataFrame, margins: pd.DataFrame) -> Figure:
    """Left: the BTC margin per epoch, bitcoin only and with USD liabilities at the declared price
    (BTC); right: both reserve ratios (`solvency.books.measures`) with the 1.0 line."""
    fig, (left, right) = _subplots(1, 2, figsize=(11, 4))
    views = [v for v in ("BTC", AT_DECLARED_PRICE) if v in set(margins["view"])]
    series = []
    for view in views:
        rows = margins[margins["view"] == view].set_index("epoch").reindex(epochs["epoch"])
        values = [int(v) for v in rows["margin"]]
        series.append(("BTC only" if view == "BTC" else "incl. USD at declared price", _units(values, "BTC"),
                       [format_minor_units(v, CURRENCIES["BTC"]) for v in values]))
    _grouped_bars(left, list(epochs["epoch"]), series, ["#0969da", "#8250df"])
    _plain_axis(left)
    left.set_ylabel("BTC (assets - liabilities)")
    left.set_title("Solvency margin")
    left.legend(loc="lower center", bbox_to_anchor=(0.5, -0.32), ncols=2, frameon=False)
    for column, label, color in (("reserve_ratio_btc", "reserve_ratio_btc (BTC only)", "#0969da"),
                                 ("reserve_ratio_at_declared_price", "reserve_ratio_at_declared_price", "#8250df")):
        ratios = [float("nan") if v is None else float(v) for v in epochs[column]]
        right.plot(list(epochs["epoch"]), ratios, marker="o", label=label, color=color)
        for x, v in enumerate(ratios):
            if v == v:  # not NaN: an epoch without the view has no point
                right.annotate(f"{v:.2f}", (x, v), xytext=(0, 6), textcoords="offset points", ha="center", fontsize=8)
    right.axhline(1, color=LOSS, linewidth=0.8, linestyle="--", label="1.0: assets = liabilities")
    right.set_ylim(bottom=0)
    right.margins(x=0.25, y=0.2)
    right.tick_params(axis="x", labelsize=8)
    right.set_ylabel("assets / liabilities")
    right.set_title("Reserve ratios")
    right.legend(loc="lower center", bbox_to_anchor=(0.5, -0.42), ncols=1, frameon=False)
    return fig


def plot_margins(margins: pd.DataFrame) -> Figure:
    """`margins_by_epoch` for the auditor: one panel per view of the signed statement (each asset
    on its own, never netted, and the labelled view at the declared price), assets, liabilities
    and margin per epoch in whole units, the margin green when covered and red when not."""
    views = list(dict.fromkeys(margins["view"]))
    fig, axes = _subplots(1, max(len(views), 1), figsize=(4.2 * max(len(views), 1) + 1, 4.2), squeeze=False)
    for ax, view in zip(axes[0], views):
        rows = margins[margins["view"] == view]
        unit = rows["unit"].iloc[0]
        epochs = list(rows["epoch"])
        width = 0.26
        for k, (column, color) in enumerate((("assets", "#0969da"), ("liabilities", NEUTRAL), ("margin", None))):
            values = [int(v) for v in rows[column]]
            colors = color or [GAIN if v >= 0 else LOSS for v in values]
            bars = ax.bar([x + (k - 1) * width for x in range(len(epochs))], _units(values, unit), width=width,
                          color=colors, label=column)
            ax.bar_label(bars, labels=[_short(v, unit) for v in values], padding=2, fontsize=7)
        ax.set_xticks(range(len(epochs)), epochs, fontsize=8)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.margins(y=0.18)
        _plain_axis(ax)
        ax.set_ylabel(unit)
        ax.set_title(view if view != AT_DECLARED_PRICE else "BTC + USD at the declared price", fontsize=10)
    from matplotlib.patches import Patch

    handles = [Patch(color=c, label=n) for n, c in (("assets", "#0969da"), ("liabilities", NEUTRAL), ("margin >= 0", GAIN), ("margin < 0", LOSS))]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, frameon=False)
    fig.suptitle("Solvency margin per asset and per epoch (signed statements)")
    return fig


def _short(value: int, unit: str) -> str:
    """An amount in whole units, rounded for a bar label (the table below the plot is exact)."""
    whole = value / _scale(unit)
    return f"{whole:,.2f}" if abs(whole) < 1_000_000 else f"{whole / 1_000_000:,.2f}M"


def plot_distribution(distribution: pd.DataFrame) -> Figure:
    """`balance_distribution` as one log-binned histogram per currency, balances in whole units
    on a logarithmic axis (amounts only, no wallet ids)."""
    currencies = sorted(set(distribution["currency"]))
    fig, axes = _subplots(1, max(len(currencies), 1), figsize=(5 * max(len(currencies), 1), 4), squeeze=False)
    for ax, currency in zip(axes[0], currencies):
        bins = log_histogram(distribution.loc[distribution["currency"] == currency, "amount"])
        lows, highs = _units(bins["low"], currency), _units(bins["high"], currency)
        ax.bar(lows, list(bins["count"]), width=[h - lo for lo, h in zip(lows, highs)], align="edge", edgecolor="white")
        ax.set_xscale("log")
        ax.set_xlabel(f"balance ({currency}, log scale)")
        ax.set_ylabel("wallets")
        ax.set_title(f"{currency} wallets")
    return fig
