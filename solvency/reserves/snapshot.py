"""A snapshot directory: the raw outputs of one moment, anchored to one block (SPEC section 8.1).

File names (all JSON, exactly as the tools print them):

=============================== ========= ===========================================================
file                            required  produced by
=============================== ========= ===========================================================
``lnd_getinfo.json``            yes       ``lncli getinfo``
``lnd_walletbalance.json``      yes       ``lncli walletbalance``
``lnd_channelbalance.json``     yes       ``lncli channelbalance``
``lnd_listchannels.json``       yes       ``lncli listchannels``
``lnd_pendingchannels.json``    yes       ``lncli pendingchannels``
``lnd_listunspent.json``        no        ``lncli listunspent`` (lists lnd's on-chain UTXOs)
``bitcoind_getblockheader.json`` yes      ``bitcoin-cli getblockheader <anchor hash>``
``bitcoind_scantxoutset.json``  one of    ``bitcoin-cli scantxoutset start '["wsh(sortedmulti(2,...))"]'``
``bitcoind_listunspent.json``   the two   ``bitcoin-cli -rpcwallet=cold listunspent 1`` (watch-only)
``proofs.json``                 attest    proofs of control over the challenge (SPEC 8.5)
``lnd_signmessage.json``        attest    ``lncli signmessage <digest message>`` (SPEC 8.6)
``price.json``                  no        the declared BTC/USD price (SPEC 8.7)
``bria_list_utxos.json``        both or   ``bria list-utxos --wallet NAME`` (bria's on-chain wallet)
``bria_wallet_balance.json``    neither   ``bria wallet-balance --wallet NAME``
``bria_change_addresses.json``  no        ``{"TXID:VOUT": "ADDRESS"}`` for bria's change outputs
=============================== ========= ===========================================================

Invariant: every file describes the same block, and that block's header (from
``getblockheader``) hashes to its hash and meets its proof-of-work target on lnd's network
(SPEC 8.8; the mainnet difficulty floor included). lnd's ``getinfo`` (``block_height``,
``block_hash``), the anchor ``getblockheader`` (``height``, ``hash``) and ``scantxoutset``
(``height``, ``bestblock``) must agree, else the snapshot is refused naming the files. bria's
output carries no tip, only each UTXO's confirmation height: one above the anchor is refused
(`solvency.reserves.bria`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from solvency.reserves import bitcoind, bria, lnd
from solvency.reserves.fields import SnapshotError, read_json
from verifier.assets.artifact import Anchor, Channel, Onchain

GETINFO = "lnd_getinfo.json"
WALLETBALANCE = "lnd_walletbalance.json"
CHANNELBALANCE = "lnd_channelbalance.json"
LISTCHANNELS = "lnd_listchannels.json"
PENDINGCHANNELS = "lnd_pendingchannels.json"
LND_LISTUNSPENT = "lnd_listunspent.json"
BLOCKHEADER = "bitcoind_getblockheader.json"
SCANTXOUTSET = "bitcoind_scantxoutset.json"
BTC_LISTUNSPENT = "bitcoind_listunspent.json"
PROOFS = "proofs.json"
NODE_SIGNATURE = "lnd_signmessage.json"
PRICE = "price.json"


@dataclass(frozen=True, slots=True)
class Snapshot:
    directory: Path
    anchor: Anchor
    node: lnd.NodeInfo
    wallet: Onchain
    channel_balance: lnd.ChannelBalance
    channels: tuple[Channel, ...]
    pending: lnd.PendingChannels
    lnd_utxos: tuple[lnd.LndUtxo, ...] | None
    cold_source: str  # the file the cold UTXOs came from
    cold: tuple[bitcoind.Utxo, ...]
    bria_wallet: bria.BriaWallet | None = None


def load_snapshot(directory: str | Path) -> Snapshot:
    """Read and cross-check a snapshot directory; raise `SnapshotError` on the first problem."""
    d = Path(directory)
    if not d.is_dir():
        raise SnapshotError(str(d), None, "snapshot directory does not exist")
    node = lnd.parse_getinfo(read_json(d, GETINFO))
    anchor = bitcoind.parse_getblockheader(read_json(d, BLOCKHEADER), network=node.network)
    if (node.block_height, node.block_hash) != (anchor.height, anchor.hash):
        raise SnapshotError(
            f"{GETINFO} / {BLOCKHEADER}",
            "block_height/block_hash",
            f"lnd is at block {node.block_height} {node.block_hash} but the anchor block is {anchor.height} {anchor.hash}",
        )
    if not node.synced_to_chain:
        raise SnapshotError(GETINFO, "synced_to_chain", "lnd was not synced to the chain when the snapshot was taken")

    scan_raw = read_json(d, SCANTXOUTSET, required=False)
    unspent_raw = read_json(d, BTC_LISTUNSPENT, required=False)
    if (scan_raw is None) == (unspent_raw is None):
        raise SnapshotError(
            str(d), None, f"exactly one of {SCANTXOUTSET} and {BTC_LISTUNSPENT} must describe the cold storage"
        )
    if scan_raw is not None:
        scan = bitcoind.parse_scantxoutset(scan_raw)
        cold_source = SCANTXOUTSET
        if (scan.height, scan.bestblock) != (anchor.height, anchor.hash):
            raise SnapshotError(
                f"{SCANTXOUTSET} / {BLOCKHEADER}",
                "height/bestblock",
                f"the scan ran at block {scan.height} {scan.bestblock} but the anchor block is {anchor.height} {anchor.hash}",
            )
    else:
        scan = bitcoind.parse_listunspent(unspent_raw, anchor.height)
        cold_source = BTC_LISTUNSPENT
    for u in scan.utxos:
        if u.height is not None and u.height > anchor.height:
            raise SnapshotError(cold_source, f"{u.txid}:{u.vout}", f"created at height {u.height}, after the anchor {anchor.height}")

    channels = lnd.parse_listchannels(read_json(d, LISTCHANNELS))
    balance = lnd.parse_channelbalance(read_json(d, CHANNELBALANCE))
    _check_channel_balance(channels, balance)
    lnd_utxos_raw = read_json(d, LND_LISTUNSPENT, required=False)
    utxos_raw, balance_raw, change_raw = (read_json(d, name, required=False) for name in bria.FILES)
    wallet = bria.optional_wallet(utxos_raw, balance_raw, change_raw, anchor.height, str(d))
    return Snapshot(
        directory=d,
        anchor=anchor,
        node=node,
        wallet=lnd.parse_walletbalance(read_json(d, WALLETBALANCE)),
        channel_balance=balance,
        channels=channels,
        pending=lnd.parse_pendingchannels(read_json(d, PENDINGCHANNELS)),
        lnd_utxos=None if lnd_utxos_raw is None else lnd.parse_listunspent(lnd_utxos_raw),
        cold_source=cold_source,
        cold=scan.utxos,
        bria_wallet=wallet,
    )


def _check_channel_balance(channels: tuple[Channel, ...], balance: lnd.ChannelBalance) -> None:
    # lnd sums millisatoshis before truncating to sats, so the totals may exceed the sum of the
    # per-channel (truncated) figures by less than one sat per channel.
    for name, per_channel, total in (
        ("local_balance.sat", sum(c.local for c in channels), balance.local),
        ("remote_balance.sat", sum(c.remote for c in channels), balance.remote),
    ):
        if not per_channel <= total <= per_channel + max(len(channels) - 1, 0):
            raise SnapshotError(
                f"{CHANNELBALANCE} / {LISTCHANNELS}",
                name,
                f"channelbalance reports {total} sats but the open channels add up to {per_channel} sats",
            )
