"""The asset attestation ``assets.json`` (``pos-assets/1``) and its verification (SPEC 8.6-8.9).

`compute_totals` and `compute_statement` are the single definition of the per-category totals
and the solvency statement: the prover calls them to fill the attestation, the verifier calls
them again and requires equality. `verify_attestation` runs the check list of SPEC 8.8 in order
and raises on the first failure (a `VerificationError` with a reason code, or `CannotVerify`).

What is proven and what is not: proofs of control show that someone holding the keys signed this
epoch's challenge for every listed UTXO address; with the auditor's own UTXO data (`utxo_audit`)
the UTXOs' existence and amounts at the anchor block are proven too. Channel balances, pending
channels and lnd's wallet balance are the operator's word (signed by the node key and the bank
key, and checked for internal consistency, but not provable from the chain alone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from verifier.assets import bip322, signmessage
from verifier.assets.address import address_script, descriptor_script, network_params, script_address
from verifier.assets.btc_json import SATS_PER_BTC, usd_cents_to_sats_up
from verifier.assets.challenge import FORMAT, challenge_message, node_message
from verifier.assets.rules import CATEGORY_NAMES, COUNTED, MAX_SAT, ChannelFigures, our_escrow
from verifier.commitment import commitment_hash, parse_commitment
from verifier.encoding import ASSET_RE, EPOCH_RE
from verifier.errors import CannotVerify, VerificationError
from verifier.signature import verify_signature

TYPE = "asset-attestation"
PROOF_FORMATS = ("bip322-simple", "bip137", "lnd-signmessagewithaddr")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX = re.compile(r"(?:[0-9a-f]{2})+")
_PUBKEY = re.compile(r"0[23][0-9a-f]{64}")
_OUTPOINT = re.compile(r"[0-9a-f]{64}:(0|[1-9][0-9]{0,9})")
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
PENDING_KINDS = ("pending_open", "waiting_close", "force_close")

MEMBERS = frozenset(
    {"format", "type", "epoch", "network", "anchor", "commitment", "challenge", "node", "channels",
     "pending_channels", "onchain", "onchain_utxos", "cold_utxos", "proofs", "totals", "statement",
     "node_signature", "signature"}
)
CHANNEL_MEMBERS = frozenset(
    {"channel_point", "scid", "remote_pubkey", "active", "capacity", "local", "remote", "unsettled",
     "commit_fee", "commitment_type", "initiator", "pending_htlcs"}
)
PENDING_MEMBERS = frozenset({"kind", "channel_point", "capacity", "local", "remote", "initiator", "commitment_type", "limbo"})
UTXO_MEMBERS = frozenset({"txid", "vout", "amount", "script_pubkey", "address", "descriptor", "height"})
PROOF_MEMBERS = frozenset({"address", "format", "signature"})


class InvalidAttestation(VerificationError):
    """The asset attestation is malformed or one of its checks failed (see `reason`)."""

    default_reason = "SCHEMA"


class UnsupportedAttestation(CannotVerify):
    default_reason = "UNSUPPORTED_VERSION"


# --- schema helpers -------------------------------------------------------------------------


def _members(obj: Any, expected: frozenset[str], where: str) -> dict:
    if not isinstance(obj, dict):
        raise InvalidAttestation(f"{where} must be an object")
    missing, extra = expected - set(obj), set(obj) - expected
    if missing or extra:
        raise InvalidAttestation(f"{where}: missing members {sorted(missing)}, unknown members {sorted(extra)}")
    return obj


def _int(value: Any, where: str, *, limit: int = MAX_SAT) -> int:
    if type(value) is not int or not 0 <= value <= limit:
        raise InvalidAttestation(f"{where} must be an integer in [0, {limit}], got {value!r}")
    return value


def _str(value: Any, where: str, pattern: re.Pattern[str] | None = None) -> str:
    if not isinstance(value, str) or (pattern is not None and not pattern.fullmatch(value)):
        raise InvalidAttestation(f"{where} is not a well-formed string ({value!r})"[:200])
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidAttestation(f"{where} must be true or false")
    return value


def _list(value: Any, where: str) -> list:
    if not isinstance(value, list):
        raise InvalidAttestation(f"{where} must be an array")
    return value


def decimal(value: Any, where: str) -> int:
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value) or value == "-0":
        raise InvalidAttestation(f"{where} must be a decimal integer string, got {value!r}")
    return int(value)


# --- the shared computations ------------------------------------------------------------------


def channel_figures(ch: dict) -> ChannelFigures:
    return ChannelFigures(
        channel_point=ch["channel_point"], capacity=ch["capacity"], local=ch["local"], remote=ch["remote"],
        unsettled=ch["unsettled"], commit_fee=ch["commit_fee"], commitment_type=ch["commitment_type"],
        initiator=ch["initiator"], pending_htlcs=ch["pending_htlcs"],
    )


def compute_totals(body: dict[str, Any]) -> dict[str, int]:
    """Per-category totals in sats from the attestation's lists (SPEC 8.3); checks escrow rules."""
    totals = dict.fromkeys(CATEGORY_NAMES, 0)
    for ch in body["channels"]:
        totals["channel_local"] += ch["local"]
        totals["channel_unsettled"] += ch["unsettled"]
        totals["channel_escrow"] += our_escrow(channel_figures(ch))
    for p in body["pending_channels"]:
        key = {"pending_open": "pending_open_local", "waiting_close": "waiting_close", "force_close": "force_close_limbo"}[p["kind"]]
        totals[key] += p["limbo"]
    totals["onchain_confirmed"] = body["onchain"]["confirmed"]
    totals["onchain_unconfirmed"] = body["onchain"]["unconfirmed"]
    totals["onchain_locked"] = body["onchain"]["locked"]
    totals["cold_storage"] = sum(u["amount"] for u in body["cold_utxos"])
    return totals


def counted_assets(totals: dict[str, int]) -> int:
    return sum(totals[name] for name in CATEGORY_NAMES if name in COUNTED)


def compute_statement(totals: dict[str, int], commitment: dict[str, Any], price: dict[str, Any] | None) -> dict[str, Any]:
    """The solvency statement (SPEC 8.7): per asset, and a labelled BTC view of USD liabilities.

    BTC liabilities are in sats, USD liabilities in cents. The only BTC-denominated assets are
    counted here; no other asset is held, so every other asset's margin is minus its liabilities.
    Conversions round against the bank: USD liabilities in sats are rounded up, margins in cents
    are rounded down (towards minus infinity).
    """
    btc_assets = counted_assets(totals)
    sums = dict(zip(commitment["assets"], (int(s) for s in commitment["root_sums"]), strict=True))
    rows = []
    for asset in commitment["assets"]:
        held = btc_assets if asset == "BTC" else 0
        unit = {"BTC": "sat", "USD": "cent"}.get(asset, "minor unit")
        rows.append(
            {"asset": asset, "unit": unit, "assets": str(held), "liabilities": str(sums[asset]), "margin": str(held - sums[asset])}
        )
    if "BTC" not in sums:
        rows.append({"asset": "BTC", "unit": "sat", "assets": str(btc_assets), "liabilities": "0", "margin": str(btc_assets)})
    combined = None
    others = [a for a in sums if a not in ("BTC", "USD") and sums[a] != 0]
    if price is not None and not others:
        cents_per_btc = price["usd_cents_per_btc"]
        usd_cents = sums.get("USD", 0)
        usd_in_sat = usd_cents_to_sats_up(usd_cents, cents_per_btc)
        margin_sat = btc_assets - sums.get("BTC", 0) - usd_in_sat
        combined = {
            "usd_liabilities_in_sat": str(usd_in_sat),
            "margin_sat": str(margin_sat),
            "margin_usd_cents": str((margin_sat * cents_per_btc) // SATS_PER_BTC),
        }
    return {"per_asset": rows, "price": price, "combined_at_declared_price": combined}


def check_price(price: Any, where: str = "statement.price") -> dict[str, Any] | None:
    if price is None:
        return None
    _members(price, frozenset({"usd_cents_per_btc", "source", "time"}), where)
    _int(price["usd_cents_per_btc"], f"{where}.usd_cents_per_btc", limit=2**53 - 1)
    if price["usd_cents_per_btc"] == 0:
        raise InvalidAttestation(f"{where}.usd_cents_per_btc must be positive")
    if not isinstance(price["source"], str) or not 1 <= len(price["source"]) <= 200:
        raise InvalidAttestation(f"{where}.source must be a non-empty string of at most 200 characters")
    _str(price["time"], f"{where}.time", _TIME)
    return price


# --- parsing ----------------------------------------------------------------------------------


def parse_attestation(doc: Any) -> dict[str, Any]:
    """Check the format marker and the exact schema (SPEC 8.6); return the document."""
    if not isinstance(doc, dict):
        raise InvalidAttestation("an asset attestation is a JSON object")
    if doc.get("format") != FORMAT:
        raise UnsupportedAttestation(f"unsupported format {doc.get('format')!r}; this verifier understands {FORMAT!r} only")
    if doc.get("type") != TYPE:
        raise InvalidAttestation(f"type is {doc.get('type')!r}, expected {TYPE!r}")
    _members(doc, MEMBERS, "attestation")
    _str(doc["epoch"], "epoch", EPOCH_RE)
    if not isinstance(doc["network"], str):
        raise InvalidAttestation("network must be a string")
    network_params(doc["network"])
    anchor = _members(doc["anchor"], frozenset({"height", "hash"}), "anchor")
    _int(anchor["height"], "anchor.height", limit=2**32 - 1)
    _str(anchor["hash"], "anchor.hash", _HEX64)
    com = _members(doc["commitment"], frozenset({"hash", "epoch", "assets", "root_sums"}), "commitment")
    _str(com["hash"], "commitment.hash", _HEX64)
    _str(com["epoch"], "commitment.epoch", EPOCH_RE)
    assets = _list(com["assets"], "commitment.assets")
    if not assets or not all(isinstance(a, str) and ASSET_RE.fullmatch(a) for a in assets) or len(set(assets)) != len(assets):
        raise InvalidAttestation("commitment.assets must be distinct asset codes")
    sums = _list(com["root_sums"], "commitment.root_sums")
    if len(sums) != len(assets) or any(decimal(s, "commitment.root_sums[]") < 0 for s in sums):
        raise InvalidAttestation("commitment.root_sums must hold one non-negative sum per asset")
    _str(doc["challenge"], "challenge")
    _members(doc["node"], frozenset({"identity_pubkey"}), "node")
    _str(doc["node"]["identity_pubkey"], "node.identity_pubkey", _PUBKEY)
    for i, ch in enumerate(_list(doc["channels"], "channels")):
        w = f"channels[{i}]"
        _members(ch, CHANNEL_MEMBERS, w)
        _str(ch["channel_point"], f"{w}.channel_point", _OUTPOINT)
        _str(ch["scid"], f"{w}.scid", re.compile(r"0|[1-9][0-9]{0,19}"))
        _str(ch["remote_pubkey"], f"{w}.remote_pubkey", _PUBKEY)
        _bool(ch["active"], f"{w}.active")
        _bool(ch["initiator"], f"{w}.initiator")
        _str(ch["commitment_type"], f"{w}.commitment_type")
        for k in ("capacity", "local", "remote", "unsettled", "commit_fee"):
            _int(ch[k], f"{w}.{k}")
        _int(ch["pending_htlcs"], f"{w}.pending_htlcs", limit=2 * 483)
    for i, p in enumerate(_list(doc["pending_channels"], "pending_channels")):
        w = f"pending_channels[{i}]"
        _members(p, PENDING_MEMBERS, w)
        if p["kind"] not in PENDING_KINDS:
            raise InvalidAttestation(f"{w}.kind must be one of {PENDING_KINDS}")
        _str(p["channel_point"], f"{w}.channel_point", _OUTPOINT)
        _str(p["initiator"], f"{w}.initiator")
        _str(p["commitment_type"], f"{w}.commitment_type")
        for k in ("capacity", "local", "remote", "limbo"):
            _int(p[k], f"{w}.{k}")
        if p["local"] > p["capacity"] or p["remote"] > p["capacity"] or p["limbo"] > p["capacity"]:
            raise InvalidAttestation(f"{w}: a balance exceeds the channel capacity", reason="ESCROW_MISMATCH")
        if p["kind"] == "pending_open" and p["limbo"] != p["local"]:
            raise InvalidAttestation(f"{w}: a pending-open channel's limbo figure is its local balance", reason="TOTAL_MISMATCH")
    points = [c["channel_point"] for c in doc["channels"]] + [p["channel_point"] for p in doc["pending_channels"]]
    if len(set(points)) != len(points):
        raise InvalidAttestation("a channel_point is listed twice")
    onchain = _members(doc["onchain"], frozenset({"confirmed", "unconfirmed", "locked", "total"}), "onchain")
    for k in onchain:
        _int(onchain[k], f"onchain.{k}")
    if doc["onchain_utxos"] is not None:
        _utxos(doc["onchain_utxos"], "onchain_utxos")
    _utxos(doc["cold_utxos"], "cold_utxos")
    outpoints = [(u["txid"], u["vout"]) for u in doc["cold_utxos"] + (doc["onchain_utxos"] or [])]
    if len(set(outpoints)) != len(outpoints):
        raise InvalidAttestation("a UTXO is listed twice")
    seen = set()
    for i, pr in enumerate(_list(doc["proofs"], "proofs")):
        _members(pr, PROOF_MEMBERS, f"proofs[{i}]")
        _str(pr["address"], f"proofs[{i}].address")
        _str(pr["signature"], f"proofs[{i}].signature")
        if pr["format"] not in PROOF_FORMATS:
            raise CannotVerify(f"proofs[{i}].format {pr['format']!r} is not one of {PROOF_FORMATS}", reason="UNSUPPORTED_PROOF")
        if pr["address"] in seen:
            raise InvalidAttestation(f"proofs[{i}]: address {pr['address']} has two proofs")
        seen.add(pr["address"])
    totals = _members(doc["totals"], frozenset(CATEGORY_NAMES), "totals")
    for k in totals:
        _int(totals[k], f"totals.{k}", limit=2**53 - 1)
    st = _members(doc["statement"], frozenset({"per_asset", "price", "combined_at_declared_price"}), "statement")
    check_price(st["price"])
    ns = _members(doc["node_signature"], frozenset({"message", "signature"}), "node_signature")
    _str(ns["message"], "node_signature.message")
    _str(ns["signature"], "node_signature.signature")
    return doc


def _utxos(items: Any, where: str) -> None:
    for i, u in enumerate(_list(items, where)):
        w = f"{where}[{i}]"
        _members(u, UTXO_MEMBERS, w)
        _str(u["txid"], f"{w}.txid", _HEX64)
        _int(u["vout"], f"{w}.vout", limit=2**32 - 1)
        _int(u["amount"], f"{w}.amount")
        _str(u["script_pubkey"], f"{w}.script_pubkey", _HEX)
        _str(u["address"], f"{w}.address")
        if u["descriptor"] is not None:
            _str(u["descriptor"], f"{w}.descriptor")
        if u["height"] is not None:
            _int(u["height"], f"{w}.height", limit=2**32 - 1)


# --- verification -----------------------------------------------------------------------------


def verify_proof_of_control(proof: dict[str, str], message: str, network: str) -> str:
    """Verify one proof of control over `message`; returns the script type that verified."""
    data = message.encode("utf-8")
    if proof["format"] == "bip322-simple":
        return bip322.verify_simple(proof["address"], data, proof["signature"], network)
    if proof["format"] == "bip137":
        return signmessage.verify_bip137(proof["address"], data, proof["signature"], network)
    return signmessage.verify_lnd_address(proof["address"], data, proof["signature"], network)


@dataclass(frozen=True, slots=True)
class AttestationFacts:
    checked: tuple[str, ...]
    facts: dict[str, Any]
    caveats: tuple[str, ...]


def verify_attestation(
    doc: Any,
    pinned_public_key,
    *,
    commitment: dict[str, Any] | None = None,
    expected_epoch: str | None = None,
    utxo_audit=None,
) -> AttestationFacts:
    """Run the check list of SPEC 8.8 in order; raise on the first failure."""
    checked: list[str] = []
    caveats: list[str] = []
    parse_attestation(doc)
    checked.append(f"format {FORMAT} and schema")
    verify_signature(doc, pinned_public_key)
    checked.append("bank Ed25519 signature over the attestation (pinned key)")
    if expected_epoch is not None and doc["epoch"] != expected_epoch:
        raise InvalidAttestation(f"the attestation is for epoch {doc['epoch']!r}, not {expected_epoch!r}", reason="WRONG_EPOCH")
    if expected_epoch is not None:
        checked.append(f"epoch is {expected_epoch}")
    com = doc["commitment"]
    if com["epoch"] != doc["epoch"]:
        raise InvalidAttestation("the liabilities commitment is for another epoch", reason="EPOCH_MISMATCH")
    anchor = doc["anchor"]
    expected_challenge = challenge_message(doc["epoch"], anchor["height"], anchor["hash"], com["hash"])
    if doc["challenge"] != expected_challenge:
        raise InvalidAttestation("the challenge does not bind this epoch, anchor block and commitment", reason="CHALLENGE_MISMATCH")
    checked.append("challenge binds the epoch, the anchor block and the liabilities commitment hash")
    if commitment is not None:
        parsed = parse_commitment(commitment)
        verify_signature(commitment, pinned_public_key)
        if commitment_hash(commitment).hex() != com["hash"]:
            raise InvalidAttestation("the given commitment is not the one the challenge binds", reason="COMMITMENT_MISMATCH")
        if (parsed.epoch, list(parsed.assets), [str(s) for s in parsed.root_sums]) != (com["epoch"], com["assets"], com["root_sums"]):
            raise InvalidAttestation("the liabilities copied into the attestation differ from the commitment", reason="COMMITMENT_MISMATCH")
        checked.append("liabilities commitment: signature, hash and root sums match")
    else:
        caveats.append("liabilities were not checked against commitment.json (give --commitment to check them)")

    if doc["node_signature"]["message"] != node_message(doc):
        raise InvalidAttestation("the node signed a different attestation digest", reason="NODE_DIGEST_MISMATCH")
    signmessage.verify_lnd_node(doc["node"]["identity_pubkey"], doc["node_signature"]["message"].encode(), doc["node_signature"]["signature"])
    checked.append(f"lnd node {doc['node']['identity_pubkey']} signed the attestation digest")

    network = doc["network"]
    proofs = {p["address"]: p for p in doc["proofs"]}
    utxos = [("cold_utxos", u) for u in doc["cold_utxos"]] + [("onchain_utxos", u) for u in doc["onchain_utxos"] or []]
    for where, u in utxos:
        name = f"{where} {u['txid']}:{u['vout']}"
        script = bytes.fromhex(u["script_pubkey"])
        if script_address(script, network) != u["address"] or address_script(u["address"], network) != script:
            raise InvalidAttestation(f"{name}: address {u['address']} does not match its scriptPubKey", reason="ADDRESS_MISMATCH")
        if u["descriptor"] is not None and descriptor_script(u["descriptor"], network) != script:
            raise InvalidAttestation(f"{name}: descriptor does not derive its scriptPubKey", reason="ADDRESS_MISMATCH")
        if u["height"] is not None and u["height"] > anchor["height"]:
            raise InvalidAttestation(f"{name}: created at height {u['height']}, after the anchor", reason="ANCHOR_MISMATCH")
        if u["address"] not in proofs:
            raise InvalidAttestation(f"{name}: no proof of control for address {u['address']}", reason="MISSING_PROOF")
    checked.append(f"{len(utxos)} UTXO addresses match their scripts and descriptors")
    kinds: dict[str, int] = {}
    for p in doc["proofs"]:
        kind = verify_proof_of_control(p, doc["challenge"], network)
        kinds[f"{p['format']}/{kind}"] = kinds.get(f"{p['format']}/{kind}", 0) + 1
    checked.append(f"{len(doc['proofs'])} proofs of control over the challenge verify ({', '.join(f'{k}: {v}' for k, v in sorted(kinds.items())) or 'none'})")

    totals = compute_totals(doc)
    checked.append(f"escrow identity of {len(doc['channels'])} channels (capacity - local - remote - unsettled = commit_fee + 330 x anchors)")
    if doc["onchain_utxos"] is not None and sum(u["amount"] for u in doc["onchain_utxos"]) != doc["onchain"]["confirmed"]:
        raise InvalidAttestation("lnd's listed UTXOs do not add up to its confirmed balance", reason="TOTAL_MISMATCH")
    if totals != doc["totals"]:
        bad = sorted(k for k in totals if totals[k] != doc["totals"][k])
        raise InvalidAttestation(f"category totals do not match their lists: {', '.join(bad)}", reason="TOTAL_MISMATCH")
    checked.append("every category total recomputed from its list")
    statement = compute_statement(totals, com, doc["statement"]["price"])
    if statement != doc["statement"]:
        raise InvalidAttestation("the solvency statement does not follow from the totals and the liabilities", reason="STATEMENT_MISMATCH")
    checked.append("solvency statement recomputed")

    if utxo_audit is not None:
        checked.append(utxo_audit.check(doc))
    else:
        caveats.append("UTXO existence and amounts were not checked against a node (give --utxos with your own node's data)")
    caveats.append(
        "channel balances, escrow, pending/limbo channels and lnd's wallet balance are the operator's word "
        "(signed by the lnd node key and the bank key, checked for consistency, not provable from the chain)"
    )
    if doc["onchain_utxos"] is None:
        caveats.append("lnd's on-chain balance is not itemised (no lnd_listunspent.json): it is the operator's word")
    caveats.append(
        "a proof of control shows the keys signed this epoch's challenge; it cannot show that no one else also holds them"
    )
    btc_row = next(r for r in doc["statement"]["per_asset"] if r["asset"] == "BTC")
    facts = {
        "epoch": doc["epoch"],
        "anchor_height": anchor["height"],
        "anchor_hash": anchor["hash"],
        "node": doc["node"]["identity_pubkey"],
        "totals_sat": totals,
        "btc_assets_sat": btc_row["assets"],
        "statement": doc["statement"],
        "proofs_verified": len(doc["proofs"]),
        "utxo_scan_objects": sorted({f"addr({u['address']})" for _, u in utxos}),
    }
    return AttestationFacts(tuple(checked), facts, tuple(caveats))
