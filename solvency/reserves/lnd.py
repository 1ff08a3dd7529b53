"""Parsers for raw `lncli` JSON outputs (lnd's lnrpc messages as lncli prints them).

lncli prints int64/uint64 fields as decimal strings, uint32 fields as numbers, booleans as JSON
booleans and enums by name. Since lnd 0.19 `lncli listchannels` prints the short channel id as
`scid` (decimal string) and `scid_str` (``BLOCKxTXxOUT``) and puts the 32-byte BOLT-2 channel id
(hex) in `chan_id`; older versions print the short channel id as a decimal string in `chan_id`.
Both shapes are accepted and normalised to `scid` (decimal string).

Each parser takes the parsed JSON and the file name (for errors) and returns frozen values; any
missing field, wrong type, negative amount or float is a `SnapshotError` naming file and field.
What the attestation publishes is returned as the verifier's own types (`Channel`,
`PendingChannel`, `Onchain` from `verifier.assets.artifact`), so the prover and the verifier share
one definition of each; only what lncli reports and the attestation does not (node info, the
channel-balance summary, lnd's UTXO listing) has a type here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from solvency.reserves.fields import Fields, SnapshotError
from verifier.assets.artifact import Channel, Onchain, PendingChannel

_PUBKEY = re.compile(r"0[23][0-9a-f]{64}")
_OUTPOINT = re.compile(r"[0-9a-f]{64}:(0|[1-9][0-9]{0,9})")
_HEX = re.compile(r"(?:[0-9a-f]{2})+")
_SCID_STR = re.compile(r"[0-9]+x[0-9]+x[0-9]+")
_DIGITS = re.compile(r"0|[1-9][0-9]{0,19}")  # 2^64 has 20 digits: no longer string is converted


@dataclass(frozen=True, slots=True)
class NodeInfo:
    identity_pubkey: str
    block_height: int
    block_hash: str
    synced_to_chain: bool
    network: str


@dataclass(frozen=True, slots=True)
class ChannelBalance:
    local: int
    remote: int
    unsettled_local: int
    unsettled_remote: int
    pending_open_local: int


@dataclass(frozen=True, slots=True)
class PendingChannels:
    total_limbo: int
    channels: tuple[PendingChannel, ...]


@dataclass(frozen=True, slots=True)
class LndUtxo:
    txid: str
    vout: int
    amount: int
    script_pubkey: str
    address: str
    confirmations: int


def parse_getinfo(data: Any, file: str = "lnd_getinfo.json") -> NodeInfo:
    f = Fields(data, file)
    chains = f.objects("chains", default_empty=True)
    network = chains[0].string("network") if chains else ("testnet" if f.has("testnet") and f.boolean("testnet") else "mainnet")
    return NodeInfo(
        identity_pubkey=f.string("identity_pubkey", pattern=_PUBKEY, what="a compressed secp256k1 public key in hex"),
        block_height=f.uint32("block_height"),
        block_hash=f.hex32("block_hash"),
        synced_to_chain=f.boolean("synced_to_chain"),
        network=network,
    )


def parse_walletbalance(data: Any, file: str = "lnd_walletbalance.json") -> Onchain:
    f = Fields(data, file)
    return Onchain(
        confirmed=f.int64_string("confirmed_balance"),
        unconfirmed=f.int64_string("unconfirmed_balance"),
        locked=f.int64_string("locked_balance") if f.has("locked_balance") else 0,
        total=f.int64_string("total_balance"),
    )


def parse_channelbalance(data: Any, file: str = "lnd_channelbalance.json") -> ChannelBalance:
    f = Fields(data, file)

    def sat(key: str) -> int:
        return f.obj(key).int64_string("sat") if f.has(key) else 0

    return ChannelBalance(
        local=sat("local_balance"),
        remote=sat("remote_balance"),
        unsettled_local=sat("unsettled_local_balance"),
        unsettled_remote=sat("unsettled_remote_balance"),
        pending_open_local=sat("pending_open_local_balance"),
    )


def _scid(c: Fields) -> str:
    if c.has("scid"):  # lnd >= 0.19: chan_id is the 32-byte channel id
        scid = c.string("scid", pattern=_DIGITS, what="a decimal short channel id")
        if c.has("scid_str"):
            c.string("scid_str", pattern=_SCID_STR, what="a BLOCKxTXxOUTPUT short channel id")
        if c.has("chan_id"):
            c.hex32("chan_id")
    else:  # lnd < 0.19: chan_id is the short channel id
        scid = c.string("chan_id", pattern=_DIGITS, what="a decimal short channel id")
    if int(scid) >= 2**64:
        raise c.error("scid", f"{scid} does not fit 64 bits")
    return scid


def parse_listchannels(data: Any, file: str = "lnd_listchannels.json") -> tuple[Channel, ...]:
    out = []
    for c in Fields(data, file).objects("channels"):
        htlcs = c.objects("pending_htlcs", default_empty=True)
        for h in htlcs:
            h.boolean("incoming")
            h.int64_string("amount")
        out.append(
            Channel(
                channel_point=c.string("channel_point", pattern=_OUTPOINT, what="a TXID:INDEX outpoint"),
                scid=_scid(c),
                remote_pubkey=c.string("remote_pubkey", pattern=_PUBKEY, what="a compressed public key"),
                active=c.boolean("active"),
                capacity=c.int64_string("capacity"),
                local=c.int64_string("local_balance"),
                remote=c.int64_string("remote_balance"),
                unsettled=c.int64_string("unsettled_balance"),
                commit_fee=c.int64_string("commit_fee"),
                commitment_type=c.string("commitment_type"),
                initiator=c.boolean("initiator"),
                pending_htlcs=len(htlcs),
            )
        )
    points = [ch.channel_point for ch in out]
    if len(set(points)) != len(points):
        raise SnapshotError(file, "channels", "a channel_point is listed twice")
    return tuple(out)


def _pending_channel(p: Fields, kind: str) -> PendingChannel:
    # `kind` is one of `artifact.PENDING_KINDS`; `limbo` is limbo_balance for closing channels and
    # the local balance for pending-open ones.
    c = p.obj("channel")
    local = c.int64_string("local_balance")
    return PendingChannel(
        kind=kind,
        channel_point=c.string("channel_point", pattern=_OUTPOINT, what="a TXID:INDEX outpoint"),
        capacity=c.int64_string("capacity"),
        local=local,
        remote=c.int64_string("remote_balance"),
        initiator=c.string("initiator") if c.has("initiator") else "INITIATOR_UNKNOWN",
        commitment_type=c.string("commitment_type") if c.has("commitment_type") else "UNKNOWN_COMMITMENT_TYPE",
        limbo=local if kind == "pending_open" else p.int64_string("limbo_balance"),
    )


def parse_pendingchannels(data: Any, file: str = "lnd_pendingchannels.json") -> PendingChannels:
    f = Fields(data, file)
    channels = [_pending_channel(p, "pending_open") for p in f.objects("pending_open_channels", default_empty=True)]
    channels += [_pending_channel(p, "waiting_close") for p in f.objects("waiting_close_channels", default_empty=True)]
    channels += [_pending_channel(p, "force_close") for p in f.objects("pending_force_closing_channels", default_empty=True)]
    if f.objects("pending_closing_channels", default_empty=True):
        raise SnapshotError(file, "pending_closing_channels", "the deprecated cooperative-closing list is not supported; use lnd >= 0.10")
    total = f.int64_string("total_limbo_balance")
    closing = sum(ch.limbo for ch in channels if ch.kind != "pending_open")
    if total != closing:
        raise SnapshotError(
            file, "total_limbo_balance", f"{total} differs from the sum {closing} of the closing channels' limbo_balance"
        )
    for ch in channels:
        if ch.local > ch.capacity:
            raise SnapshotError(file, f"{ch.kind} {ch.channel_point}", f"local balance {ch.local} exceeds capacity {ch.capacity}")
    return PendingChannels(total_limbo=total, channels=tuple(channels))


def parse_listunspent(data: Any, file: str = "lnd_listunspent.json") -> tuple[LndUtxo, ...]:
    """`lncli listunspent` prints its own struct: ``outpoint`` as ``"TXID:INDEX"`` and
    ``amount_sat``/``confirmations``/``address_type`` as JSON numbers. The lnrpc JSON form (REST,
    ``outpoint`` an object with ``txid_str``/``output_index``, int64 fields as strings) is also
    accepted; each entry must be entirely one shape or the other."""
    out = []
    for u in Fields(data, file).objects("utxos"):
        if isinstance(u.raw("outpoint"), str):
            outpoint = u.string("outpoint", pattern=_OUTPOINT, what="a TXID:INDEX outpoint")
            txid, _, index = outpoint.partition(":")
            vout = int(index)
            if vout >= 2**32:
                raise u.error("outpoint", f"output index {vout} does not fit 32 bits")
            amount, confirmations = u.int_amount("amount_sat"), u.int_amount("confirmations", amount=False)
        else:
            o = u.obj("outpoint")
            txid, vout = o.hex32("txid_str"), o.uint32("output_index")
            amount, confirmations = u.int64_string("amount_sat"), u.int64_string("confirmations", amount=False)
        out.append(
            LndUtxo(
                txid=txid,
                vout=vout,
                amount=amount,
                script_pubkey=u.string("pk_script", pattern=_HEX, what="hex"),
                address=u.string("address"),
                confirmations=confirmations,
            )
        )
    seen = set()
    for utxo in out:
        if (utxo.txid, utxo.vout) in seen:
            raise SnapshotError(file, "utxos", f"outpoint {utxo.txid}:{utxo.vout} is listed twice")
        seen.add((utxo.txid, utxo.vout))
    return tuple(out)
