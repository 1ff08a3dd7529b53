"""Checking attested UTXOs against the auditor's own node (docs/SPEC.md section 8.9).

The auditor gives one JSON file produced by *their* bitcoind, in one of two shapes:

* the raw result of ``bitcoin-cli scantxoutset start '[...]'`` (members ``success``, ``height``,
  ``bestblock``, ``unspents``, ``total_amount``); the scan must cover the attested scripts (the
  verifier lists them as ``addr(...)`` scan objects in its facts). A scan cannot say which
  scripts it covered, so an attested outpoint is taken as absent only when the scan shows some
  other output to the same script; otherwise the verdict is undecidable;
* ``{"getblockheader": <getblockheader of the node's tip>, "gettxout": {"TXID:VOUT": <gettxout
  result or null>, ...}}`` with one entry per attested UTXO.

Rules, for every UTXO the attestation lists (cold storage and itemised lnd UTXOs):

* the auditor's data at the anchor height: the UTXO must be present with the same amount and
  scriptPubKey, else invalid (``UTXO_NOT_FOUND``, ``UTXO_MISMATCH``);
* data from a later block: present with the same amount and script and created at or before the
  anchor height proves it was unspent at the anchor; absent is undecidable (it may have been
  spent after the anchor) -> `CannotVerify`;
* data from an earlier block, or a node on another chain at the anchor height: undecidable, or
  invalid when the anchor block is not on the auditor's chain (``ANCHOR_NOT_IN_CHAIN``).

Amounts are BTC decimals parsed with `Decimal` and converted to sats exactly; sub-satoshi values
are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from verifier.assets import btc_json
from verifier.assets.artifact import Attestation, Utxo
from verifier.assets.errors import CannotVerify, InvalidAttestation, Reason

_HEX64 = re.compile(r"[0-9a-f]{64}")
_OUTPOINT = re.compile(r"([0-9a-f]{64}):(0|[1-9][0-9]{0,9})")


def _bad_file(message: str) -> CannotVerify:
    return CannotVerify(message, reason=Reason.BAD_UTXO_FILE)


def btc_to_sats(value: Any, where: str) -> int:
    try:
        return btc_json.btc_to_sats(value)
    except btc_json.BtcAmountError as exc:
        raise _bad_file(f"{where}: {exc}") from None


def _height(value: Any, where: str) -> int:
    if type(value) is not int or not 0 <= value < 2**32:
        raise _bad_file(f"{where} must be a block height")
    return value


def _hash(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise _bad_file(f"{where} must be 64 lower-case hex digits")
    return value


@dataclass(frozen=True, slots=True)
class Seen:
    amount: int
    script: str
    created: int | None  # creation height, when the data gives it


@dataclass(frozen=True, slots=True)
class UtxoAudit:
    """The auditor's view of the UTXO set at block `height` (`tip_hash`)."""

    source: str
    height: int
    tip_hash: str
    outputs: dict[tuple[str, int], Seen | None]
    complete: bool  # True for a scan: an outpoint absent from it is absent from the UTXO set

    def scripts(self) -> frozenset[str]:
        return frozenset(seen.script for seen in self.outputs.values() if seen is not None)

    def check(self, attestation: Attestation) -> str:
        """SPEC 8.9 for every listed UTXO; returns the sentence of what was established."""
        anchor = attestation.anchor
        if self.height < anchor.height:
            raise CannotVerify(
                f"the auditor's {self.source} is at height {self.height}, before the anchor {anchor.height}",
                reason=Reason.UTXO_DATA_TOO_OLD,
            )
        if self.height == anchor.height and self.tip_hash != anchor.hash:
            raise InvalidAttestation(
                f"the auditor's node has block {self.tip_hash} at the anchor height, not {anchor.hash}",
                reason=Reason.ANCHOR_NOT_IN_CHAIN,
            )
        listed = [u for _, u in attestation.utxos()]
        for u in listed:
            self._check_utxo(u, anchor.height)
        return f"{len(listed)} UTXOs exist with the attested amounts at the anchor block (auditor's {self.source} at height {self.height})"

    def _check_utxo(self, u: Utxo, anchor_height: int) -> None:
        at_anchor = self.height == anchor_height
        key, name = (u.txid, u.vout), u.outpoint
        if key not in self.outputs and not self.complete:
            raise CannotVerify(f"the auditor's {self.source} has no entry for {name}", reason=Reason.UTXO_DATA_INCOMPLETE)
        seen = self.outputs.get(key)
        if seen is None and self.complete and u.script_pubkey not in self.scripts():
            raise CannotVerify(
                f"the auditor's scan has no output to the script of {name}; scan addr({u.address}) too",
                reason=Reason.UTXO_DATA_INCOMPLETE,
            )
        if seen is None:
            if at_anchor:
                raise InvalidAttestation(f"UTXO {name} does not exist at the anchor block per the auditor's node", reason=Reason.UTXO_NOT_FOUND)
            raise CannotVerify(
                f"UTXO {name} is not unspent at the auditor's height {self.height}; it may have been spent after the anchor",
                reason=Reason.UTXO_SPENT_SINCE,
            )
        if seen.amount != u.amount or seen.script != u.script_pubkey:
            raise InvalidAttestation(
                f"UTXO {name}: the auditor's node has {seen.amount} sats to {seen.script}, the attestation {u.amount} sats to {u.script_pubkey}",
                reason=Reason.UTXO_MISMATCH,
            )
        if seen.created is not None and seen.created > anchor_height:
            raise InvalidAttestation(f"UTXO {name} was created at height {seen.created}, after the anchor", reason=Reason.UTXO_AFTER_ANCHOR)
        if seen.created is None and not at_anchor:
            raise CannotVerify(f"the auditor's data does not say when {name} was created", reason=Reason.UTXO_DATA_INCOMPLETE)


def load_utxo_audit(data: bytes) -> UtxoAudit:
    """Read the auditor's file (either shape); a malformed one is undecidable (``BAD_UTXO_FILE``)."""
    try:
        doc = btc_json.loads(data)  # bounded: size, nesting, digits, exponents, lone surrogates
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # RecursionError: nesting deeper than the parser's limit, a malformed file like any other.
        raise _bad_file(f"the UTXO file is not JSON: {type(exc).__name__}: {exc}") from None
    if isinstance(doc, dict) and "unspents" in doc:
        return _from_scan(doc)
    if isinstance(doc, dict) and set(doc) == {"getblockheader", "gettxout"}:
        return _from_gettxout(doc)
    raise _bad_file("the UTXO file is neither a scantxoutset result nor {getblockheader, gettxout}")


def _from_scan(doc: dict[str, Any]) -> UtxoAudit:
    if doc.get("success") is not True:
        raise _bad_file("scantxoutset did not complete (success is not true)")
    outputs: dict[tuple[str, int], Seen | None] = {}
    if not isinstance(doc["unspents"], list):
        raise _bad_file("unspents must be an array")
    for i, u in enumerate(doc["unspents"]):
        where = f"unspents[{i}]"
        if not isinstance(u, dict):
            raise _bad_file(f"{where} must be an object")
        key = (_hash(u.get("txid"), f"{where}.txid"), _height(u.get("vout"), f"{where}.vout"))
        script = u.get("scriptPubKey")
        if not isinstance(script, str) or not re.fullmatch(r"(?:[0-9a-f]{2})+", script):
            raise _bad_file(f"{where}.scriptPubKey must be hex")
        created = _height(u["height"], f"{where}.height") if "height" in u else None
        outputs[key] = Seen(btc_to_sats(u.get("amount"), f"{where}.amount"), script, created)
    return UtxoAudit(
        "scantxoutset", _height(doc.get("height"), "height"), _hash(doc.get("bestblock"), "bestblock"), outputs, True
    )


def _from_gettxout(doc: dict[str, Any]) -> UtxoAudit:
    header = doc["getblockheader"]
    if not isinstance(header, dict):
        raise _bad_file("getblockheader must be an object")
    tip_hash, height = _hash(header.get("hash"), "getblockheader.hash"), _height(header.get("height"), "getblockheader.height")
    if not isinstance(doc["gettxout"], dict):
        raise _bad_file("gettxout must map TXID:VOUT to a gettxout result or null")
    outputs: dict[tuple[str, int], Seen | None] = {}
    for name, result in doc["gettxout"].items():
        match = _OUTPOINT.fullmatch(name)
        if not match:
            raise _bad_file(f"gettxout key {name!r} is not TXID:VOUT")
        key = (match.group(1), int(match.group(2)))
        if result is None:
            outputs[key] = None
            continue
        where = f"gettxout[{name}]"
        if not isinstance(result, dict) or not isinstance(result.get("scriptPubKey"), dict):
            raise _bad_file(f"{where} is not a gettxout result")
        if _hash(result.get("bestblock"), f"{where}.bestblock") != tip_hash:
            raise _bad_file(f"{where} was taken at another tip than getblockheader")
        confirmations = result.get("confirmations")
        if type(confirmations) is not int or not 0 <= confirmations <= height + 1:
            raise _bad_file(f"{where}.confirmations must be an integer in [0, tip height + 1]")
        script = result["scriptPubKey"].get("hex")
        if not isinstance(script, str):
            raise _bad_file(f"{where}.scriptPubKey.hex must be a string")
        outputs[key] = Seen(btc_to_sats(result.get("value"), f"{where}.value"), script, height - confirmations + 1)
    return UtxoAudit("gettxout", height, tip_hash, outputs, False)
