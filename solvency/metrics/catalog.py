"""Every metric the exporter emits, in one table (docs/METRICS.md documents each entry).

Naming follows the Prometheus conventions: one prefix (``solvency_``), the base unit in the name
(``_sats``, ``_usd_cents``, ``_seconds``, ``_ratio``), ``_total`` only on counters, and no user or
wallet ids as labels (label values come from small fixed sets: source names, definition names,
currency-free categories). Money metrics exist once per ledger currency, with that currency's
minor unit in the name, so a series never mixes units.

Invariant: the collector emits a sample only under a name in `CATALOG`, with exactly the labels
listed there (tests/metrics checks this on every scrape).
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.money import CURRENCIES

PREFIX = "solvency_"

#: Asset sources, in display order. Each is read from its own snapshot files, so one unreadable
#: file takes down only the sources that depend on it.
ASSET_SOURCES: tuple[str, ...] = ("lightning_local", "channel_escrow", "pending", "onchain_hot", "cold_storage", "bria")
LEDGER_SOURCE = "ledger"
PUBLICATION_SOURCE = "publication"
PRICE_SOURCE = "price"


def money_unit(code: str) -> str:
    """The metric-name unit of a currency's minor unit: ``sats`` for BTC, ``usd_cents`` for USD."""
    if code == "BTC":
        return "sats"
    currency = CURRENCIES.get(code)
    if currency is not None and currency.exponent == 2:
        return f"{code.lower()}_cents"
    return f"{code.lower()}_minor_units"


@dataclass(frozen=True, slots=True)
class MetricSpec:
    name: str  # the exposed name; counters include their `_total` suffix
    type: str  # "gauge" or "counter"
    unit: str  # "sats", "usd_cents", "seconds", "ratio", "entries", "bool", "info", ...
    labels: tuple[str, ...]
    help: str

    @property
    def family(self) -> str:
        """The name prometheus_client's metric family takes (counters without `_total`)."""
        return self.name.removesuffix("_total") if self.type == "counter" else self.name


def _money(stem: str, labels: tuple[str, ...], help_text: str) -> list[MetricSpec]:
    return [
        MetricSpec(f"{PREFIX}{stem}_{money_unit(code)}", "gauge", money_unit(code), labels, f"{help_text} ({code}, {CURRENCIES[code].description}).")
        for code in CURRENCIES
    ]


def _spec(name: str, type_: str, unit: str, labels: tuple[str, ...], help_text: str) -> list[MetricSpec]:
    return [MetricSpec(PREFIX + name, type_, unit, labels, help_text)]


_ENTRIES: list[MetricSpec] = [
    *_spec("source_up", "gauge", "bool", ("source",), "1 if the source was read in this scrape, 0 if reading it failed; values of a failed source are absent, never 0"),
    *_spec("source_errors_total", "counter", "errors", ("source",), "Failed reads of the source since the exporter started"),
    *_spec("scrape_duration_seconds", "gauge", "seconds", (), "Time this scrape took to read every source and compute the figures"),
    # Ledger.
    *_money("liabilities", (), "Customer liabilities: the liabilities balance definition's total"),
    *_money("equity", (), "The bank's own stake: the equity balance definition's total"),
    *_money("ledger_balance", ("definition",), "Total of a named balance definition at the scrape's ledger cut-off"),
    *_spec("ledger_assets_sats", "gauge", "sats", ("definition",), "Bitcoin the ledger books on a reserve definition that an asset source is mapped to"),
    *_spec("ledger_entries_total", "counter", "entries", (), "Journal entries in the ledger at the scrape's cut-off"),
    *_spec("ledger_as_of_timestamp_seconds", "gauge", "seconds", (), "The scrape's ledger cut-off: committed_at of the newest entry (0 for an empty ledger)"),
    # Node.
    *_spec("assets_sats", "gauge", "sats", ("source",), "Bitcoin held per asset source, as the node snapshot reports it (counted in the solvency statement)"),
    *_spec("assets_uncounted_sats", "gauge", "sats", ("source", "category"), "Disclosed but not counted as assets: on-chain unconfirmed and locked funds (lnd's and bria's), unsettled HTLCs"),
    *_spec("total_assets_sats", "gauge", "sats", (), "Sum of every asset source; absent unless every asset source is up"),
    *_spec("node_block_height", "gauge", "blocks", ("node",), "Block height a node's snapshot output describes (lnd getinfo, bitcoind scan or header)"),
    *_spec("lnd_synced_to_chain", "gauge", "bool", (), "1 if lnd reported synced_to_chain in the snapshot"),
    # Derived.
    *_spec("surplus_sats", "gauge", "sats", (), "Total assets minus BTC customer liabilities; absent unless the ledger and every asset source are up"),
    *_spec("reserve_ratio_btc", "gauge", "ratio", (), "reserve_ratio_btc: total assets divided by BTC customer liabilities (USD left out); absent when either is unknown or liabilities are 0"),
    *_spec("reconciliation_drift_sats", "gauge", "sats", ("definition",), "Drift node - ledger per reserve definition: node-reported bitcoin of the sources mapped to it minus what the ledger books; absent unless all are up"),
    # Declared price (optional price.json in the snapshot).
    *_spec("price_usd_cents_per_btc", "gauge", "usd_cents", (), "BTC/USD price the snapshot declares, in US cents per bitcoin"),
    *_spec("price_timestamp_seconds", "gauge", "seconds", (), "Time the declared price refers to"),
    *_spec("usd_liabilities_in_sats", "gauge", "sats", (), "USD customer liabilities converted at the declared price, rounded up (against the bank)"),
    *_spec("combined_surplus_sats", "gauge", "sats", (), "Total assets minus BTC liabilities minus USD liabilities at the declared price; absent unless all of them are known"),
    *_spec("reserve_ratio_at_declared_price", "gauge", "ratio", (), "reserve_ratio_at_declared_price: total assets divided by BTC plus USD liabilities converted at the declared price; absent when any input is unknown or the denominator is 0"),
    # Publication.
    *_spec("publication_info", "gauge", "info", ("epoch",), "Always 1; the label names the latest published epoch"),
    *_spec("publication_as_of_timestamp_seconds", "gauge", "seconds", (), "Cut-off time (as_of) of the latest published commitment"),
    *_money("publication_root_sum", (), "Root sum of the latest published liabilities tree"),
    *_spec("publication_leaf_count", "gauge", "leaves", (), "Leaves (including padding) of the latest published tree"),
    *_spec("publication_ledger_entries", "gauge", "entries", (), "Ledger entry count the latest commitment's ledger digest names"),
    *_spec("publication_sequence", "gauge", "epochs", (), "Sequence number (0, 1, ...) of the latest epoch, from its epoch.json"),
    *_spec("publication_epochs", "gauge", "epochs", (), "Published epochs found in the publication directory"),
]

CATALOG: dict[str, MetricSpec] = {spec.name: spec for spec in _ENTRIES}
if len(CATALOG) != len(_ENTRIES):  # pragma: no cover - a programming error caught at import
    raise RuntimeError("duplicate metric name in the catalog")


#: Metrics renamed since they were first exported (old name -> new name), documented in
#: docs/METRICS.md ("Renamed metrics"). The drift's sign changed with its name, so a dashboard or
#: alert on the old name stops rather than silently reading the opposite sign.
RENAMED: dict[str, str] = {
    PREFIX + "reserve_ratio": PREFIX + "reserve_ratio_btc",
    PREFIX + "combined_reserve_ratio": PREFIX + "reserve_ratio_at_declared_price",
    PREFIX + "reconciliation_difference_sats": PREFIX + "reconciliation_drift_sats",
}
if set(RENAMED) & set(CATALOG) or not set(RENAMED.values()) <= set(CATALOG):  # pragma: no cover
    raise RuntimeError("a renamed metric must be gone from the catalog and its new name in it")


def money_metric(stem: str, code: str) -> str:
    """The catalog name of a per-currency money metric, e.g. ``liabilities`` + BTC."""
    name = f"{PREFIX}{stem}_{money_unit(code)}"
    if name not in CATALOG:
        raise KeyError(f"no money metric {name}")
    return name
