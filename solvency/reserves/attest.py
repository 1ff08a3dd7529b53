"""Build the asset attestation ``assets.json`` from a snapshot directory (SPEC 8.6-8.7).

Steps (the CLI in `solvency.cli.assets` runs them):

1. `load_snapshot` reads and cross-checks the raw outputs (one anchor block for all files).
2. `challenge_for` gives the challenge text that the cold-storage keys and lnd's wallet sign;
   the operator puts the signatures in ``proofs.json``.
3. `build_body` assembles the attestation without its two signatures, verifies every proof of
   control with the verifier's own code, recomputes totals and the statement with the verifier's
   functions; `node_message` of the body is what ``lncli signmessage`` must sign.
4. `finish` checks lnd's signature over that digest against ``identity_pubkey`` and signs the
   whole with the bank's Ed25519 key.

Invariant: the prover never writes an attestation that the verifier would reject; it refuses
with `SnapshotError` naming the file and field instead.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from solvency.reserves import snapshot as snap
from solvency.reserves.fields import Fields, SnapshotError, read_json
from verifier.assets.address import descriptor_script, script_address
from verifier.assets.attestation import (
    PROOF_FORMATS,
    TYPE,
    InvalidAttestation,
    check_price,
    compute_statement,
    compute_totals,
    verify_proof_of_control,
)
from verifier.assets.challenge import FORMAT, challenge_message, node_message
from verifier.assets.rules import COMMITMENT_TYPES
from verifier.assets.signmessage import verify_lnd_node
from verifier.commitment import commitment_hash, parse_commitment
from verifier.errors import CannotVerify, VerificationError
from verifier.signature import verify_signature


def commitment_summary(commitment: dict[str, Any], epoch: str, public_key) -> dict[str, Any]:
    """The attestation's copy of the liabilities commitment; it must be this epoch's, signed by us."""
    try:
        parsed = parse_commitment(commitment)
        verify_signature(commitment, public_key)
    except (VerificationError, CannotVerify) as exc:
        raise SnapshotError("commitment", None, f"not a valid commitment signed by this bank key ({exc})") from None
    if parsed.epoch != epoch:
        raise SnapshotError("commitment", "epoch", f"the commitment is for epoch {parsed.epoch!r}, not {epoch!r}")
    return {
        "hash": commitment_hash(commitment).hex(),
        "epoch": parsed.epoch,
        "assets": list(parsed.assets),
        "root_sums": [str(s) for s in parsed.root_sums],
    }


def challenge_for(s: snap.Snapshot, epoch: str, summary: dict[str, Any]) -> str:
    return challenge_message(epoch, s.anchor.height, s.anchor.hash, summary["hash"])


def _utxo(txid: str, vout: int, amount: int, script: str, address: str | None, descriptor: str | None, height: int | None, network: str, file: str) -> dict:
    name = f"{txid}:{vout}"
    try:
        derived = script_address(bytes.fromhex(script), network)
        if address is not None and address != derived:
            raise SnapshotError(file, name, f"address {address} does not match its scriptPubKey (which is {derived})")
        if descriptor is not None and descriptor_script(descriptor, network) != bytes.fromhex(script):
            raise SnapshotError(file, name, f"descriptor {descriptor} does not derive the scriptPubKey {script}")
    except (VerificationError, CannotVerify) as exc:
        raise SnapshotError(file, name, exc.message) from None
    return {"txid": txid, "vout": vout, "amount": amount, "script_pubkey": script, "address": derived,
            "descriptor": descriptor, "height": height}


def load_proofs(directory) -> list[dict[str, str]]:
    f = Fields(read_json(directory, snap.PROOFS), snap.PROOFS)
    proofs = []
    for p in f.objects("proofs"):
        fmt = p.string("format")
        if fmt not in PROOF_FORMATS:
            raise p.error("format", f"{fmt!r} is not one of {', '.join(PROOF_FORMATS)}")
        proofs.append({"address": p.string("address"), "format": fmt, "signature": p.string("signature")})
        if set(p.data) != {"address", "format", "signature"}:
            raise p.error(None, "a proof has exactly the members address, format and signature")
    return proofs


def load_price(directory) -> dict[str, Any] | None:
    raw = read_json(directory, snap.PRICE, required=False)
    if raw is None:
        return None
    try:
        return check_price(raw, "price")
    except InvalidAttestation as exc:
        detail = " (prices are integers, not decimals)" if isinstance(raw, dict) and isinstance(raw.get("usd_cents_per_btc"), Decimal) else ""
        raise SnapshotError(snap.PRICE, None, exc.message + detail) from None


def build_body(s: snap.Snapshot, epoch: str, summary: dict[str, Any], proofs: list[dict[str, str]], price: dict[str, Any] | None) -> dict[str, Any]:
    """The attestation without ``node_signature`` and ``signature``; refuses anything invalid."""
    network = s.node.network
    for ch in s.channels:
        if ch.commitment_type not in COMMITMENT_TYPES:
            raise SnapshotError(snap.LISTCHANNELS, ch.channel_point, f"unknown commitment_type {ch.commitment_type!r}")
    cold = [_utxo(u.txid, u.vout, u.amount, u.script_pubkey, None, u.descriptor, u.height, network, s.cold_source) for u in s.cold]
    onchain_utxos = None
    if s.lnd_utxos is not None:
        onchain_utxos = []
        for u in s.lnd_utxos:
            if u.confirmations < 1:
                raise SnapshotError(snap.LND_LISTUNSPENT, f"{u.txid}:{u.vout}", "unconfirmed UTXO; run lncli listunspent --min_confs 1")
            onchain_utxos.append(
                _utxo(u.txid, u.vout, u.amount, u.script_pubkey, u.address, None, s.anchor.height - u.confirmations + 1, network, snap.LND_LISTUNSPENT)
            )
        if sum(u["amount"] for u in onchain_utxos) != s.wallet.confirmed:
            raise SnapshotError(
                f"{snap.LND_LISTUNSPENT} / {snap.WALLETBALANCE}", "confirmed_balance",
                f"the listed UTXOs add up to {sum(u['amount'] for u in onchain_utxos)} sats, confirmed_balance is {s.wallet.confirmed}",
            )
    challenge = challenge_for(s, epoch, summary)
    by_address = {}
    for p in proofs:
        if p["address"] in by_address:
            raise SnapshotError(snap.PROOFS, p["address"], "two proofs for one address")
        try:
            verify_proof_of_control(p, challenge, network)
        except (VerificationError, CannotVerify) as exc:
            raise SnapshotError(snap.PROOFS, p["address"], f"proof of control does not verify over this epoch's challenge: {exc}") from None
        by_address[p["address"]] = p
    for u in cold + (onchain_utxos or []):
        if u["address"] not in by_address:
            raise SnapshotError(snap.PROOFS, u["address"], f"no proof of control for the UTXO {u['txid']}:{u['vout']}")
    body: dict[str, Any] = {
        "format": FORMAT,
        "type": TYPE,
        "epoch": epoch,
        "network": network,
        "anchor": {"height": s.anchor.height, "hash": s.anchor.hash},
        "commitment": summary,
        "challenge": challenge,
        "node": {"identity_pubkey": s.node.identity_pubkey},
        "channels": [
            {"channel_point": c.channel_point, "scid": c.scid, "remote_pubkey": c.remote_pubkey, "active": c.active,
             "capacity": c.capacity, "local": c.local, "remote": c.remote, "unsettled": c.unsettled,
             "commit_fee": c.commit_fee, "commitment_type": c.commitment_type, "initiator": c.initiator,
             "pending_htlcs": c.pending_htlcs}
            for c in s.channels
        ],
        "pending_channels": [
            {"kind": p.kind, "channel_point": p.channel_point, "capacity": p.capacity, "local": p.local,
             "remote": p.remote, "initiator": p.initiator, "commitment_type": p.commitment_type, "limbo": p.limbo}
            for p in s.pending.channels
        ],
        "onchain": {"confirmed": s.wallet.confirmed, "unconfirmed": s.wallet.unconfirmed, "locked": s.wallet.locked, "total": s.wallet.total},
        "onchain_utxos": onchain_utxos,
        "cold_utxos": cold,
        "proofs": proofs,
    }
    try:
        totals = compute_totals(body)
    except (VerificationError, CannotVerify) as exc:
        raise SnapshotError(snap.LISTCHANNELS, None, exc.message) from None
    body["totals"] = totals
    body["statement"] = compute_statement(totals, summary, price)
    return body


def load_node_signature(directory, body: dict[str, Any], identity_pubkey: str) -> dict[str, str]:
    """Read ``lncli signmessage`` output and check it signs this body's digest with the node key."""
    f = Fields(read_json(directory, snap.NODE_SIGNATURE), snap.NODE_SIGNATURE)
    signature = f.string("signature")
    message = node_message(body)
    try:
        verify_lnd_node(identity_pubkey, message.encode(), signature)
    except (VerificationError, CannotVerify) as exc:
        raise SnapshotError(
            snap.NODE_SIGNATURE, "signature",
            f"does not sign this attestation's digest with node {identity_pubkey} ({exc.message}); "
            f"run: lncli signmessage --msg '{message}'",
        ) from None
    return {"message": message, "signature": signature}
