"""What one scrape read: frozen values, or a `Failure` that says which source failed and why.

Invariants: every amount is an ``int`` in minor units (sats, cents); ledger balances of one
reading were all evaluated at the same cut-off (`LedgerReading.as_of_us`) in one store session,
so liabilities, equity and booked assets are figures of one ledger state; a reader that fails
returns a `Failure` rather than a partial reading.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Failure:
    """A source could not be read in this scrape. `reason` is for logs, never a label."""

    source: str
    reason: str


@dataclass(frozen=True, slots=True)
class LedgerReading:
    entry_count: int
    head_hash: str
    as_of_us: int  # committed_at of the newest entry; 0 for an empty ledger
    # (definition name, ((currency, amount), ...)) for every loaded definition, each listing every
    # currency in the definition's scope (0 included), sorted.
    balances: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]

    def balance(self, definition: str) -> dict[str, int] | None:
        for name, amounts in self.balances:
            if name == definition:
                return dict(amounts)
        return None


@dataclass(frozen=True, slots=True)
class AssetReading:
    """One asset source as the node snapshot reports it."""

    source: str
    amount: int  # counted in the solvency statement
    uncounted: tuple[tuple[str, int], ...] = ()  # (category, amount), disclosed only


@dataclass(frozen=True, slots=True)
class NodeFacts:
    """Facts about the nodes that are not amounts; each is None when its file was unreadable."""

    lnd_block_height: int | None = None
    lnd_synced: bool | None = None
    bitcoind_block_height: int | None = None


@dataclass(frozen=True, slots=True)
class PriceReading:
    """The BTC/USD price the snapshot declares (``price.json``, docs/SPEC.md section 8.7)."""

    usd_cents_per_btc: int
    time_seconds: int


@dataclass(frozen=True, slots=True)
class NodeReading:
    sources: tuple[AssetReading | Failure, ...]  # one per catalog.ASSET_SOURCES, in that order
    facts: NodeFacts
    price: PriceReading | Failure | None = None  # None: the snapshot declares no price


@dataclass(frozen=True, slots=True)
class PublicationReading:
    path: str
    epoch: str
    as_of_seconds: int
    root_sums: tuple[tuple[str, int], ...]  # (asset code, sum)
    leaf_count: int
    ledger_entries: int | None
    epochs: int
    sequence: int | None = None  # from epoch.json, when the publication has one
