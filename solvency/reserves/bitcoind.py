"""Parsers for raw bitcoind RPC results: `scantxoutset`, wallet `listunspent`, `getblockheader`.

bitcoind prints amounts as BTC decimals (JSON numbers with up to 8 fractional digits). The files
are parsed with ``parse_float=Decimal`` and every amount is converted to integer sats exactly; a
value with sub-satoshi precision, a negative value or a string amount is refused.

A `scantxoutset` result carries the block it scanned at (`height`, `bestblock`); a `listunspent`
result does not, so its UTXOs are tied to the anchor through `confirmations` (the block the UTXO
was created in is ``anchor_height - confirmations + 1``) and the anchor comes from
`getblockheader`, whose header fields (version, previousblockhash, merkleroot, time, bits,
nonce) must rebuild an 80-byte header that hashes to the stated `hash` and meets the target its
`bits` encode (the verifier's `verifier.assets.anchor`, SPEC 8.8), so the prover never attests an
anchor the verifier would refuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from solvency.reserves.fields import Fields, SnapshotError
from verifier.assets import anchor as anchor_rules
from verifier.assets.artifact import Anchor
from verifier.errors import CannotVerify, VerificationError

_HEX = re.compile(r"(?:[0-9a-f]{2})+")
_BITS = re.compile(r"[0-9a-f]{8}")


@dataclass(frozen=True, slots=True)
class Utxo:
    txid: str
    vout: int
    amount: int
    script_pubkey: str
    descriptor: str | None
    height: int | None  # block the output was created in, when known


@dataclass(frozen=True, slots=True)
class UtxoScan:
    height: int | None
    bestblock: str | None
    utxos: tuple[Utxo, ...]


def parse_getblockheader(data: Any, file: str = "bitcoind_getblockheader.json", network: str | None = None) -> Anchor:
    """The anchor block; its header must hash to `hash` and meet its target (on `network`, when given)."""
    f = Fields(data, file)
    version = f.raw("version")
    if type(version) is not int or not -(2**31) <= version < 2**31:
        raise f.error("version", f"must be a signed 32-bit integer, got {version!r}")
    header = anchor_rules.BlockHeader(version, f.hex32("previousblockhash"), f.hex32("merkleroot"), f.uint32("time"),
                                      f.string("bits", pattern=_BITS, what="8 hex digits"), f.uint32("nonce"))
    block, height = f.hex32("hash"), f.uint32("height")
    try:
        # Without a network, regtest's limit is the loosest: the hash and its own target are still checked.
        anchor_rules.check_header(height, block, header, network or "regtest")
    except (VerificationError, CannotVerify) as exc:
        raise f.error("hash", exc.message) from None
    return Anchor(height=height, hash=block, header=header)


def _check_unique(utxos: list[Utxo], file: str) -> None:
    seen = set()
    for u in utxos:
        if (u.txid, u.vout) in seen:
            raise SnapshotError(file, "unspents", f"outpoint {u.txid}:{u.vout} is listed twice")
        seen.add((u.txid, u.vout))


def _utxo(u: Fields, height: int | None) -> Utxo:
    """The fields scantxoutset and listunspent share, with the height each of them gives."""
    return Utxo(
        txid=u.hex32("txid"),
        vout=u.uint32("vout"),
        amount=u.btc_amount("amount"),
        script_pubkey=u.string("scriptPubKey", pattern=_HEX, what="hex"),
        descriptor=u.string("desc") if u.has("desc") else None,
        height=height,
    )


def parse_scantxoutset(data: Any, file: str = "bitcoind_scantxoutset.json") -> UtxoScan:
    f = Fields(data, file)
    if not f.boolean("success"):
        raise f.error("success", "the scan did not complete (success is false)")
    utxos = []
    for u in f.objects("unspents"):
        utxos.append(_utxo(u, u.uint32("height") if u.has("height") else None))
    _check_unique(utxos, file)
    total = f.btc_amount("total_amount")
    if total != sum(u.amount for u in utxos):
        raise f.error("total_amount", f"{total} sats differs from the sum of the unspents {sum(u.amount for u in utxos)} sats")
    return UtxoScan(height=f.uint32("height"), bestblock=f.hex32("bestblock"), utxos=tuple(utxos))


def parse_listunspent(data: Any, anchor_height: int, file: str = "bitcoind_listunspent.json") -> UtxoScan:
    if not isinstance(data, list):
        raise SnapshotError(file, None, f"expected the JSON array listunspent returns, got {type(data).__name__}")
    utxos = []
    for i, item in enumerate(data):
        u = Fields(item, file, f"[{i}]")
        confirmations = u.uint32("confirmations")
        if confirmations < 1:
            raise u.error("confirmations", "unconfirmed outputs are not cold-storage assets; run listunspent with minconf >= 1")
        if confirmations > anchor_height + 1:
            raise u.error("confirmations", f"{confirmations} confirmations is impossible at anchor height {anchor_height}")
        utxos.append(_utxo(u, anchor_height - confirmations + 1))
    _check_unique(utxos, file)
    return UtxoScan(height=None, bestblock=None, utxos=tuple(utxos))
