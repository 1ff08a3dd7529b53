"""Read the asset sources of one snapshot directory, each on its own (docs/METRICS.md, "Sources").

A snapshot directory has the layout of `solvency.reserves.snapshot` (the raw ``lncli`` and
``bitcoin-cli`` outputs) and is parsed with the same strict parsers. Unlike an attestation, which
refuses the whole snapshot on the first problem, the exporter reads each asset source from only
the files it needs, so one unreadable file takes down only the sources that depend on it:

===================  ==============================================================  ===========
source               files (all parsed and cross-checked)                            amount
===================  ==============================================================  ===========
``lightning_local``  getinfo, listchannels, channelbalance (totals agree)            open channels' local balance
``channel_escrow``   getinfo, listchannels (escrow identity of every channel)         escrow of channels we opened
``pending``          getinfo, pendingchannels (limbo total agrees)                    pending-open local + closing limbo
``onchain_hot``      getinfo, walletbalance                                           confirmed balance
``cold_storage``     exactly one of scantxoutset / listunspent (+ getblockheader)     sum of cold UTXOs
``bria``             getblockheader's height, bria_list_utxos, bria_wallet_balance    bria's confirmed UTXOs
                     (+ change addresses); without bria's files: 0, as attested
===================  ==============================================================  ===========

bria's files are read by `solvency.reserves.bria` (`optional_wallet`), the parser the attestation
uses: the same both-or-neither rule, balance rule and anchor check, so the exporter's ``bria``
figure is the attestation's ``bria_confirmed`` and its ``bria_unconfirmed`` is disclosed only.

Invariant: a source's reading is either a complete `AssetReading` or a `Failure`; any exception
while reading it (including an unexpected one) becomes its `Failure`, never a zero amount.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from solvency.metrics.catalog import ASSET_SOURCES, PRICE_SOURCE
from solvency.metrics.readings import AssetReading, Failure, NodeFacts, NodeReading, PriceReading
from solvency.reserves import bitcoind, bria, lnd
from solvency.reserves import snapshot as layout
from solvency.reserves.fields import Fields, SnapshotError, read_json
from verifier.assets.artifact import Channel, Price
from verifier.assets.rules import our_escrow

log = logging.getLogger(__name__)


class _Files:
    """Each file of the directory parsed at most once per scrape; a failure is remembered too."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: dict[str, Any] = {}

    def get(self, name: str, parser: Callable[[Any], Any] | None = None, *, required: bool = True) -> Any:
        key = name if parser is None else f"{name}#{getattr(parser, '__name__', id(parser))}"
        if key not in self._cache:
            try:
                raw = read_json(self.directory, name, required=required)
                self._cache[key] = raw if parser is None or raw is None else parser(raw)
            except Exception as exc:  # noqa: BLE001 - remembered and re-raised for each dependent source
                self._cache[key] = exc
        value = self._cache[key]
        if isinstance(value, Exception):
            raise value
        return value

    def getinfo(self) -> lnd.NodeInfo:
        info: lnd.NodeInfo = self.get(layout.GETINFO, lnd.parse_getinfo)
        return info

    def channels(self) -> tuple[Channel, ...]:
        channels: tuple[Channel, ...] = self.get(layout.LISTCHANNELS, lnd.parse_listchannels)
        return channels


def _lightning_local(files: _Files) -> AssetReading:
    files.getinfo()
    channels = files.channels()
    balance = files.get(layout.CHANNELBALANCE, lnd.parse_channelbalance)
    local = sum(c.local for c in channels)
    # lnd sums millisatoshis before truncating, so its total may exceed the per-channel sum by
    # less than one sat per channel (the same rule `solvency.reserves.snapshot` applies).
    if not local <= balance.local <= local + max(len(channels) - 1, 0):
        raise SnapshotError(
            f"{layout.CHANNELBALANCE} / {layout.LISTCHANNELS}",
            "local_balance.sat",
            f"channelbalance reports {balance.local} sats but the open channels add up to {local} sats",
        )
    return AssetReading("lightning_local", local, (("channel_unsettled", sum(c.unsettled for c in channels)),))


def _channel_escrow(files: _Files) -> AssetReading:
    files.getinfo()
    total = 0
    for c in files.channels():
        # Every channel's escrow identity is checked; only channels we opened count (the escrow of
        # a channel the peer opened is the peer's money).
        total += our_escrow(c)
    return AssetReading("channel_escrow", total)


def _pending(files: _Files) -> AssetReading:
    files.getinfo()
    pending = files.get(layout.PENDINGCHANNELS, lnd.parse_pendingchannels)
    return AssetReading("pending", sum(ch.limbo for ch in pending.channels))


def _onchain_hot(files: _Files) -> AssetReading:
    files.getinfo()
    wallet = files.get(layout.WALLETBALANCE, lnd.parse_walletbalance)
    return AssetReading(
        "onchain_hot", wallet.confirmed, (("onchain_unconfirmed", wallet.unconfirmed), ("onchain_locked", wallet.locked))
    )


def _cold_scan(files: _Files) -> tuple[bitcoind.UtxoScan, int]:
    scan_raw = files.get(layout.SCANTXOUTSET, required=False)
    unspent_raw = files.get(layout.BTC_LISTUNSPENT, required=False)
    if (scan_raw is None) == (unspent_raw is None):
        raise SnapshotError(
            str(files.directory), None, f"exactly one of {layout.SCANTXOUTSET} and {layout.BTC_LISTUNSPENT} must describe the cold storage"
        )
    if scan_raw is not None:
        scan = bitcoind.parse_scantxoutset(scan_raw)
        return scan, scan.height  # type: ignore[return-value]
    header = files.get(layout.BLOCKHEADER, bitcoind.parse_getblockheader)
    return bitcoind.parse_listunspent(unspent_raw, header.height), header.height


def _cold_storage(files: _Files) -> AssetReading:
    scan, _ = _cold_scan(files)
    return AssetReading("cold_storage", sum(u.amount for u in scan.utxos))


def _bria(files: _Files) -> AssetReading:
    # The anchor height bounds bria's confirmation heights; it is read even without bria's files:
    # a snapshot without an anchor (an empty directory) attests nothing, not a bria wallet holding 0.
    height = Fields(files.get(layout.BLOCKHEADER), layout.BLOCKHEADER).uint32("height")
    utxos_raw, balance_raw, change_raw = (files.get(name, required=False) for name in bria.FILES)
    wallet = bria.optional_wallet(utxos_raw, balance_raw, change_raw, height, str(files.directory))
    utxos = () if wallet is None else wallet.utxos
    return AssetReading("bria", sum(u.value for u in utxos if u.height is not None),
                        (("bria_unconfirmed", sum(u.value for u in utxos if u.height is None)),))


_READERS: dict[str, Callable[[_Files], AssetReading]] = {
    "lightning_local": _lightning_local,
    "channel_escrow": _channel_escrow,
    "pending": _pending,
    "onchain_hot": _onchain_hot,
    "cold_storage": _cold_storage,
    "bria": _bria,
}
if tuple(_READERS) != ASSET_SOURCES:  # pragma: no cover - a programming error caught at import
    raise RuntimeError("asset source readers and catalog.ASSET_SOURCES differ")


def _facts(files: _Files) -> NodeFacts:
    lnd_height = synced = btc_height = None
    try:
        info = files.getinfo()
        lnd_height, synced = info.block_height, info.synced_to_chain
    except Exception:  # noqa: BLE001 - already reported through the lnd sources' up gauges
        pass
    try:
        btc_height = _cold_scan(files)[1]
    except Exception:  # noqa: BLE001 - already reported through cold_storage's up gauge
        pass
    return NodeFacts(lnd_height, synced, btc_height)


def _price(files: _Files) -> PriceReading | Failure | None:
    """The declared price, None when the snapshot declares none."""
    try:
        raw = files.get(layout.PRICE, required=False)
        if raw is None:
            return None
        price = Price.parse(raw, layout.PRICE)
        return PriceReading(price.usd_cents_per_btc, int(price.time.to_datetime().timestamp()))
    except Exception as exc:  # noqa: BLE001 - a bad price is an unknown price, never 0
        log.warning("declared price is unreadable: %s", exc)
        return Failure(PRICE_SOURCE, str(exc))


def read_node(directory: str | Path) -> NodeReading:
    """Read every asset source of `directory`; never raises for bad snapshot content."""
    files = _Files(Path(directory))
    readings: list[AssetReading | Failure] = []
    for source, reader in _READERS.items():
        try:
            readings.append(reader(files))
        except Exception as exc:  # noqa: BLE001 - any failure makes the source unknown, not zero
            log.warning("asset source %s is down: %s", source, exc)
            readings.append(Failure(source, str(exc)))
    return NodeReading(tuple(readings), _facts(files), _price(files))


def node_down(reason: str) -> NodeReading:
    """Every asset source failed for one reason (the snapshot command failed, say)."""
    return NodeReading(tuple(Failure(source, reason) for source in ASSET_SOURCES), NodeFacts())
