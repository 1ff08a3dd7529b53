"""From one scrape's readings to metric samples: a pure function, integer money throughout.

Rules (docs/METRICS.md, "Up and absence"):

* every source gets ``solvency_source_up`` 1 or 0;
* a failed source contributes *no* value sample, and every figure derived from it is absent too:
  `total_assets_sats` needs every asset source, `surplus_sats` and `reserve_ratio_btc` need the
  ledger and every asset source, a reconciliation drift needs the ledger and every source mapped
  to that definition;
* amounts are ``int``; the reserve ratios are exact `Fraction`s. Conversion to float happens only
  in the exposition layer (`solvency.metrics.collector`), where every amount below 2**53 (all of
  bitcoin's 2.1e15 sats) is still exact.

The reserve ratios and the drift are computed by `solvency.books.measures`, the one definition
the books, the auditor and the notebooks use too (docs/METRICS.md, "One set of figures"):
``reserve_ratio_btc`` compares bitcoin with bitcoin only, and USD liabilities are exported on
their own (``solvency_liabilities_usd_cents``); only when the snapshot declares a price
(``price.json``) are they converted, into the separately named ``usd_liabilities_in_sats``,
``combined_surplus_sats`` and ``reserve_ratio_at_declared_price``. The drift is ``node - ledger``
per reserve definition, the node side being every source mapped to it by the books' layout
(`source_definitions`; ``solvency metrics --layout``, default `solvency.books.layout.GALOY`:
pending and closing channels are lightning reserve; under ``galoy-bria`` the ``bria`` source is
``onchain-hot`` and lnd's on-chain wallet is lightning reserve), as ``solvency report reconcile``
maps the snapshot's categories.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from solvency.books import measures
from solvency.books.layout import GALOY, BooksLayout
from solvency.metrics.catalog import (
    ASSET_SOURCES,
    CATALOG,
    LEDGER_SOURCE,
    PREFIX,
    PRICE_SOURCE,
    PUBLICATION_SOURCE,
    money_metric,
    money_unit,
)
from solvency.metrics.readings import (
    AssetReading,
    Failure,
    LedgerReading,
    NodeReading,
    PriceReading,
    PublicationReading,
)
from verifier.assets.rules import COUNTED

#: The attested categories (docs/SPEC.md 8.3) each asset source reads (`solvency.metrics.node`).
SOURCE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "lightning_local": ("channel_local",),
    "channel_escrow": ("channel_escrow",),
    "pending": ("pending_open_local", "waiting_close", "force_close_limbo"),
    "onchain_hot": ("onchain_confirmed",),
    "cold_storage": ("cold_storage",),
    "bria": ("bria_confirmed",),
}
if tuple(SOURCE_CATEGORIES) != ASSET_SOURCES or not {c for cs in SOURCE_CATEGORIES.values() for c in cs} <= COUNTED:
    raise RuntimeError("SOURCE_CATEGORIES must name every asset source and only counted categories")  # pragma: no cover


def source_definitions(layout: BooksLayout) -> tuple[tuple[str, str], ...]:
    """(source, definition) for every asset source whose categories a reserve line of the books'
    layout holds: the same mapping the books' reconciliation uses, so both compare the same money."""
    out = []
    for source in ASSET_SOURCES:
        lines = [line for line, categories in layout.node_categories if set(SOURCE_CATEGORIES[source]) <= set(categories)]
        if lines:
            out.append((source, lines[0]))
    return tuple(out)


#: Which balance definition of the packaged Galoy-style file books each asset source.
DEFAULT_SOURCE_DEFINITIONS: tuple[tuple[str, str], ...] = source_definitions(GALOY)


@dataclass(frozen=True, slots=True)
class FigureConfig:
    liabilities_definition: str = "customer-liabilities"
    equity_definition: str = "bankowner-equity"
    source_definitions: tuple[tuple[str, str], ...] = DEFAULT_SOURCE_DEFINITIONS

    def definition_for(self, source: str) -> str | None:
        return dict(self.source_definitions).get(source)

    def reserve_definitions(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """(definition, the sources mapped to it), definitions in order of first mention."""
        grouped: dict[str, list[str]] = {}
        for source, definition in self.source_definitions:
            grouped.setdefault(definition, []).append(source)
        return tuple((definition, tuple(sources)) for definition, sources in grouped.items())


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    labels: tuple[tuple[str, str], ...]
    value: int | Fraction

    def __post_init__(self) -> None:
        spec = CATALOG.get(self.name)
        if spec is None:
            raise ValueError(f"{self.name} is not in the metrics catalog")
        if tuple(k for k, _ in self.labels) != spec.labels:
            raise ValueError(f"{self.name}: labels {self.labels} do not match the catalog's {spec.labels}")
        if isinstance(self.value, (bool, float)) or not isinstance(self.value, (int, Fraction)):
            raise TypeError(f"{self.name}: sample values are int or Fraction, not {type(self.value).__name__}")


def _s(name: str, value: int | Fraction, **labels: str) -> Sample:
    return Sample(PREFIX + name, tuple(labels.items()), value)


def _up(source: str, reading: object) -> Sample:
    return _s("source_up", 0 if isinstance(reading, Failure) else 1, source=source)


def ledger_samples(config: FigureConfig, ledger: LedgerReading) -> list[Sample]:
    out = [
        _s("ledger_entries_total", ledger.entry_count),
        _s("ledger_as_of_timestamp_seconds", Fraction(ledger.as_of_us, 1_000_000)),
    ]
    for stem, definition in (("liabilities", config.liabilities_definition), ("equity", config.equity_definition)):
        for code, amount in sorted((ledger.balance(definition) or {}).items()):
            out.append(Sample(money_metric(stem, code), (), amount))
    for name, amounts in ledger.balances:
        for code, amount in amounts:
            out.append(Sample(money_metric("ledger_balance", code), (("definition", name),), amount))
    for definition, _ in config.reserve_definitions():
        booked = booked_sats(ledger, definition)
        if booked is not None:
            out.append(_s("ledger_assets_sats", booked, definition=definition))
    return out


def booked_sats(ledger: LedgerReading, definition: str) -> int | None:
    balance = ledger.balance(definition)
    return None if balance is None else balance.get("BTC")


def node_samples(node: NodeReading) -> list[Sample]:
    out = []
    for reading in node.sources:
        if isinstance(reading, AssetReading):
            out.append(_s("assets_sats", reading.amount, source=reading.source))
            for category, amount in reading.uncounted:
                out.append(_s("assets_uncounted_sats", amount, source=reading.source, category=category))
    readings = [r for r in node.sources if isinstance(r, AssetReading)]
    if len(readings) == len(ASSET_SOURCES):
        out.append(_s("total_assets_sats", sum(r.amount for r in readings)))
    if isinstance(node.price, PriceReading):
        out.append(_s("price_usd_cents_per_btc", node.price.usd_cents_per_btc))
        out.append(_s("price_timestamp_seconds", node.price.time_seconds))
    facts = node.facts
    if facts.lnd_block_height is not None:
        out.append(_s("node_block_height", facts.lnd_block_height, node="lnd"))
    if facts.bitcoind_block_height is not None:
        out.append(_s("node_block_height", facts.bitcoind_block_height, node="bitcoind"))
    if facts.lnd_synced is not None:
        out.append(_s("lnd_synced_to_chain", int(facts.lnd_synced)))
    return out


def derived_samples(config: FigureConfig, ledger: LedgerReading | Failure, node: NodeReading) -> list[Sample]:
    if isinstance(ledger, Failure):
        return []
    out = []
    by_source = {r.source: r for r in node.sources}
    for definition, sources in config.reserve_definitions():
        held = [by_source.get(source) for source in sources]
        booked = booked_sats(ledger, definition)
        if booked is not None and all(isinstance(r, AssetReading) for r in held):
            node_sat = sum(r.amount for r in held if isinstance(r, AssetReading))
            out.append(_s("reconciliation_drift_sats", measures.drift_sat(booked, node_sat), definition=definition))
    liabilities = (ledger.balance(config.liabilities_definition) or {}).get("BTC")
    readings = [by_source.get(s) for s in ASSET_SOURCES]
    if liabilities is None or not all(isinstance(r, AssetReading) for r in readings):
        return out
    assets = sum(r.amount for r in readings if isinstance(r, AssetReading))
    out.append(_s("surplus_sats", assets - liabilities))
    ratio = measures.reserve_ratio_btc(assets, liabilities)
    if ratio is not None:
        out.append(_s("reserve_ratio_btc", ratio))
    usd = (ledger.balance(config.liabilities_definition) or {}).get("USD")
    if isinstance(node.price, PriceReading) and usd is not None:
        price = node.price.usd_cents_per_btc
        usd_in_sats = measures.usd_liabilities_in_sat(usd, price)
        out.append(_s("usd_liabilities_in_sats", usd_in_sats))
        out.append(_s("combined_surplus_sats", assets - liabilities - usd_in_sats))
        at_price = measures.reserve_ratio_at_declared_price(assets, liabilities, usd, price)
        if at_price is not None:
            out.append(_s("reserve_ratio_at_declared_price", at_price))
    return out


def publication_samples(publication: PublicationReading) -> list[Sample]:
    out = [
        _s("publication_info", 1, epoch=publication.epoch),
        _s("publication_as_of_timestamp_seconds", publication.as_of_seconds),
        _s("publication_leaf_count", publication.leaf_count),
        _s("publication_epochs", publication.epochs),
    ]
    for code, total in publication.root_sums:
        name = f"{PREFIX}publication_root_sum_{money_unit(code)}"
        if name in CATALOG:  # asset codes the ledger does not know have no metric (documented)
            out.append(Sample(name, (), total))
    if publication.sequence is not None:
        out.append(_s("publication_sequence", publication.sequence))
    if publication.ledger_entries is not None:
        out.append(_s("publication_ledger_entries", publication.ledger_entries))
    return out


def compute(
    config: FigureConfig,
    ledger: LedgerReading | Failure,
    node: NodeReading,
    publication: PublicationReading | Failure | None,
) -> tuple[Sample, ...]:
    """Every sample of one scrape except the collector's own (errors counter, duration).

    `publication` is None when no publication directory is configured (no ``up`` sample then).
    """
    out = [_up(LEDGER_SOURCE, ledger)]
    out += [_up(source, reading) for source, reading in zip(ASSET_SOURCES, node.sources, strict=True)]
    if node.price is not None:
        out.append(_up(PRICE_SOURCE, node.price))
    if publication is not None:
        out.append(_up(PUBLICATION_SOURCE, publication))
    if isinstance(ledger, LedgerReading):
        out += ledger_samples(config, ledger)
    out += node_samples(node)
    out += derived_samples(config, ledger, node)
    if isinstance(publication, PublicationReading):
        out += publication_samples(publication)
    return tuple(out)
