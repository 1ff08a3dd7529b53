"""From one scrape's readings to metric samples: a pure function, integer money throughout.

Rules (docs/METRICS.md, "Up and absence"):

* every source gets ``solvency_source_up`` 1 or 0;
* a failed source contributes *no* value sample, and every figure derived from it is absent too:
  `total_assets_sats` needs every asset source, `surplus_sats` and `reserve_ratio` need the
  ledger and every asset source, a reconciliation difference needs the ledger and that source;
* amounts are ``int``; the reserve ratio is an exact `Fraction`. Conversion to float happens only
  in the exposition layer (`solvency.metrics.collector`), where every amount below 2**53 (all of
  bitcoin's 2.1e15 sats) is still exact.

``surplus_sats`` and ``reserve_ratio`` compare bitcoin with bitcoin only: USD liabilities are
exported on their own (``solvency_liabilities_usd_cents``). Only when the snapshot declares a price
(``price.json``) are they converted, into the separately named ``usd_liabilities_in_sats``,
``combined_surplus_sats`` and ``combined_reserve_ratio``; the conversion rounds the liability up
(against the bank), as the solvency statement of docs/SPEC.md section 8.7 does.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

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
from verifier.assets.btc_json import usd_cents_to_sats_up

#: Which balance definition of the packaged Galoy-style file books each asset source. Pending
#: channel balances have no ledger account in that layout, so they are not reconciled.
DEFAULT_SOURCE_DEFINITIONS: tuple[tuple[str, str], ...] = (
    ("lightning_local", "lightning-reserve"),
    ("channel_escrow", "channel-escrow"),
    ("onchain_hot", "onchain-hot"),
    ("cold_storage", "cold-storage"),
)


@dataclass(frozen=True, slots=True)
class FigureConfig:
    liabilities_definition: str = "customer-liabilities"
    equity_definition: str = "bankowner-equity"
    source_definitions: tuple[tuple[str, str], ...] = DEFAULT_SOURCE_DEFINITIONS

    def definition_for(self, source: str) -> str | None:
        return dict(self.source_definitions).get(source)


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
    for source in ASSET_SOURCES:
        booked = booked_sats(config, ledger, source)
        if booked is not None:
            out.append(_s("ledger_assets_sats", booked, source=source))
    return out


def booked_sats(config: FigureConfig, ledger: LedgerReading, source: str) -> int | None:
    definition = config.definition_for(source)
    if definition is None:
        return None
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
    for source in ASSET_SOURCES:
        reading = by_source.get(source)
        booked = booked_sats(config, ledger, source)
        if isinstance(reading, AssetReading) and booked is not None:
            out.append(_s("reconciliation_difference_sats", booked - reading.amount, source=source))
    liabilities = (ledger.balance(config.liabilities_definition) or {}).get("BTC")
    readings = [by_source.get(s) for s in ASSET_SOURCES]
    if liabilities is None or not all(isinstance(r, AssetReading) for r in readings):
        return out
    assets = sum(r.amount for r in readings if isinstance(r, AssetReading))
    out.append(_s("surplus_sats", assets - liabilities))
    if liabilities > 0:
        out.append(_s("reserve_ratio", Fraction(assets, liabilities)))
    usd = (ledger.balance(config.liabilities_definition) or {}).get("USD")
    if isinstance(node.price, PriceReading) and usd is not None:
        usd_in_sats = usd_cents_to_sats_up(usd, node.price.usd_cents_per_btc)
        out.append(_s("usd_liabilities_in_sats", usd_in_sats))
        out.append(_s("combined_surplus_sats", assets - liabilities - usd_in_sats))
        if liabilities + usd_in_sats > 0:
            out.append(_s("combined_reserve_ratio", Fraction(assets, liabilities + usd_in_sats)))
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
