"""Build the asset attestation ``assets.json`` from a snapshot directory (SPEC 8.6-8.7).

Steps (the CLI in `solvency.cli.assets` and `solvency.publish` run them):

1. `load_snapshot` reads and cross-checks the raw outputs (one anchor block for all files).
2. `commitment_copy` checks this epoch's signed liabilities commitment and copies what the
   attestation binds; `challenge_for` gives the challenge text that the cold-storage keys and
   lnd's wallet sign; the operator puts the signatures in ``proofs.json``.
3. `build_attestation` assembles the typed `Attestation` without its two signatures, verifying
   every proof of control with the verifier's own code and computing totals and statement with
   the verifier's functions; its `node_message()` is what ``lncli signmessage`` must sign.
4. `read_node_signature` checks lnd's signature over that digest against ``identity_pubkey``;
   `sign` adds the bank's Ed25519 signature. `attest` runs 3-4; `to_bytes()` is the file.

Invariant: the prover never writes an attestation that the verifier would reject; it refuses
with `SnapshotError` naming the file and field instead. The published artifact is only ever the
verifier's typed `Attestation`, so its bytes are the ones the verifier parses back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from solvency.reserves import snapshot as snap
from solvency.reserves.fields import Fields, SnapshotError, read_json
from verifier.assets.address import descriptor_script, script_address
from verifier.assets.artifact import (
    PROOF_FORMATS,
    Anchor,
    Attestation,
    Channel,
    CommitmentCopy,
    NodeSignature,
    Onchain,
    PendingChannel,
    Price,
    ProofOfControl,
    Statement,
    Totals,
    Utxo,
)
from verifier.assets.attestation import verify_proof_of_control
from verifier.assets.challenge import challenge_message, node_message
from verifier.assets.rules import COMMITMENT_TYPES
from verifier.assets.signmessage import verify_lnd_node
from verifier.assets.statement import attestation_statement, attestation_totals
from verifier.commitment import commitment_hash, verify_commitment
from verifier.errors import CannotVerify, VerificationError
from verifier.signature import Signature, key_id

# Placeholders of a draft: the totals and statement are computed from the draft's own lists.
_EMPTY_TOTALS = Totals(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)


def commitment_copy(commitment: Any, epoch: str, public_key: Ed25519PublicKey) -> CommitmentCopy:
    """The attestation's copy of the liabilities commitment; it must be this epoch's, signed by us."""
    try:
        parsed = verify_commitment(commitment, public_key)
    except (VerificationError, CannotVerify) as exc:
        raise SnapshotError("commitment", None, f"not a valid commitment signed by this bank key ({exc})") from None
    if parsed.epoch != epoch:
        raise SnapshotError("commitment", "epoch", f"the commitment is for epoch {parsed.epoch!r}, not {epoch!r}")
    return CommitmentCopy(commitment_hash(parsed).hex(), parsed.epoch, tuple(parsed.assets), tuple(parsed.root_sums))


def commitment_summary(commitment: Any, epoch: str, public_key: Ed25519PublicKey) -> dict[str, Any]:
    """`commitment_copy` as the JSON object of the attestation's ``commitment`` member."""
    return commitment_copy(commitment, epoch, public_key).to_json()


def _copy(summary: CommitmentCopy | Mapping[str, Any]) -> CommitmentCopy:
    return summary if isinstance(summary, CommitmentCopy) else CommitmentCopy.parse(dict(summary))


def challenge_for(s: snap.Snapshot, epoch: str, summary: CommitmentCopy | Mapping[str, Any]) -> str:
    return challenge_message(epoch, s.anchor.height, s.anchor.hash, _copy(summary).hash)


def _utxo(txid: str, vout: int, amount: int, script: str, address: str | None, descriptor: str | None,
          height: int | None, network: str, file: str) -> Utxo:
    name = f"{txid}:{vout}"
    try:
        derived = script_address(bytes.fromhex(script), network)
        if address is not None and address != derived:
            raise SnapshotError(file, name, f"address {address} does not match its scriptPubKey (which is {derived})")
        if descriptor is not None and descriptor_script(descriptor, network) != bytes.fromhex(script):
            raise SnapshotError(file, name, f"descriptor {descriptor} does not derive the scriptPubKey {script}")
    except (VerificationError, CannotVerify) as exc:
        raise SnapshotError(file, name, exc.message) from None
    return Utxo(txid, vout, amount, script, derived, descriptor, height)


def load_proofs(directory: Path) -> tuple[ProofOfControl, ...]:
    f = Fields(read_json(directory, snap.PROOFS), snap.PROOFS)
    proofs = []
    for p in f.objects("proofs"):
        fmt = p.string("format")
        if fmt not in PROOF_FORMATS:
            raise p.error("format", f"{fmt!r} is not one of {', '.join(PROOF_FORMATS)}")
        proofs.append(ProofOfControl(p.string("address"), fmt, p.string("signature")))
        if set(p.data) != {"address", "format", "signature"}:
            raise p.error(None, "a proof has exactly the members address, format and signature")
    return tuple(proofs)


def load_price(directory: Path) -> Price | None:
    raw = read_json(directory, snap.PRICE, required=False)
    if raw is None:
        return None
    try:
        return Price.parse(raw, "price")
    except VerificationError as exc:
        detail = " (prices are integers, not decimals)" if isinstance(raw, dict) and isinstance(raw.get("usd_cents_per_btc"), Decimal) else ""
        raise SnapshotError(snap.PRICE, None, exc.message + detail) from None


def _cold_utxos(s: snap.Snapshot) -> tuple[Utxo, ...]:
    network = s.node.network
    return tuple(_utxo(u.txid, u.vout, u.amount, u.script_pubkey, None, u.descriptor, u.height, network, s.cold_source) for u in s.cold)


def _lnd_utxos(s: snap.Snapshot) -> tuple[Utxo, ...] | None:
    if s.lnd_utxos is None:
        return None
    utxos = []
    for u in s.lnd_utxos:
        if u.confirmations < 1:
            raise SnapshotError(snap.LND_LISTUNSPENT, f"{u.txid}:{u.vout}", "unconfirmed UTXO; run lncli listunspent --min_confs 1")
        height = s.anchor.height - u.confirmations + 1
        utxos.append(_utxo(u.txid, u.vout, u.amount, u.script_pubkey, u.address, None, height, s.node.network, snap.LND_LISTUNSPENT))
    listed = sum(u.amount for u in utxos)
    if listed != s.wallet.confirmed:
        raise SnapshotError(f"{snap.LND_LISTUNSPENT} / {snap.WALLETBALANCE}", "confirmed_balance",
                            f"the listed UTXOs add up to {listed} sats, confirmed_balance is {s.wallet.confirmed}")
    return tuple(utxos)


def _check_proofs(proofs: tuple[ProofOfControl, ...], utxos: tuple[Utxo, ...], challenge: str, network: str) -> None:
    proven: set[str] = set()
    for p in proofs:
        if p.address in proven:
            raise SnapshotError(snap.PROOFS, p.address, "two proofs for one address")
        try:
            verify_proof_of_control(p, challenge, network)
        except (VerificationError, CannotVerify) as exc:
            raise SnapshotError(snap.PROOFS, p.address, f"proof of control does not verify over this epoch's challenge: {exc}") from None
        proven.add(p.address)
    for u in utxos:
        if u.address not in proven:
            raise SnapshotError(snap.PROOFS, u.address, f"no proof of control for the UTXO {u.outpoint}")


def build_attestation(s: snap.Snapshot, epoch: str, summary: CommitmentCopy | Mapping[str, Any],
                      proofs: tuple[ProofOfControl, ...], price: Price | None) -> Attestation:
    """The attestation without ``node_signature`` and ``signature``; refuses anything invalid."""
    for ch in s.channels:
        if ch.commitment_type not in COMMITMENT_TYPES:
            raise SnapshotError(snap.LISTCHANNELS, ch.channel_point, f"unknown commitment_type {ch.commitment_type!r}")
    copy, cold, lnd = _copy(summary), _cold_utxos(s), _lnd_utxos(s)
    challenge = challenge_for(s, epoch, copy)
    _check_proofs(proofs, cold + (lnd or ()), challenge, s.node.network)
    draft = Attestation(
        epoch=epoch, network=s.node.network, anchor=Anchor(s.anchor.height, s.anchor.hash), commitment=copy,
        challenge=challenge, node_pubkey=s.node.identity_pubkey,
        channels=tuple(Channel(c.channel_point, c.scid, c.remote_pubkey, c.active, c.capacity, c.local, c.remote, c.unsettled,
                               c.commit_fee, c.commitment_type, c.initiator, c.pending_htlcs) for c in s.channels),
        pending_channels=tuple(PendingChannel(p.kind, p.channel_point, p.capacity, p.local, p.remote, p.initiator,
                                              p.commitment_type, p.limbo) for p in s.pending.channels),
        onchain=Onchain(s.wallet.confirmed, s.wallet.unconfirmed, s.wallet.locked, s.wallet.total),
        onchain_utxos=lnd, cold_utxos=cold, proofs=proofs, totals=_EMPTY_TOTALS,
        statement=Statement((), price, None),
    )
    try:
        totals = attestation_totals(draft)
    except (VerificationError, CannotVerify) as exc:
        raise SnapshotError(snap.LISTCHANNELS, None, exc.message) from None
    draft = dataclasses.replace(draft, totals=totals)
    return dataclasses.replace(draft, statement=attestation_statement(draft, totals))


def build_body(s: snap.Snapshot, epoch: str, summary: CommitmentCopy | Mapping[str, Any],
               proofs: tuple[ProofOfControl, ...], price: Price | None) -> dict[str, Any]:
    """`build_attestation` as a JSON object (the body the node signs), for callers holding dicts."""
    return build_attestation(s, epoch, summary, proofs, price).node_body()


def _node_signature(directory: Path, message: str, identity_pubkey: str) -> NodeSignature:
    f = Fields(read_json(directory, snap.NODE_SIGNATURE), snap.NODE_SIGNATURE)
    signature = f.string("signature")
    try:
        verify_lnd_node(identity_pubkey, message.encode(), signature)
    except (VerificationError, CannotVerify) as exc:
        raise SnapshotError(
            snap.NODE_SIGNATURE, "signature",
            f"does not sign this attestation's digest with node {identity_pubkey} ({exc.message}); "
            f"run: lncli signmessage --msg '{message}'",
        ) from None
    return NodeSignature(message, signature)


def read_node_signature(directory: Path, attestation: Attestation) -> NodeSignature:
    """Read ``lncli signmessage`` output and check it signs this attestation's digest with the node key."""
    return _node_signature(directory, attestation.node_message(), attestation.node_pubkey)


def load_node_signature(directory: Path, body: Mapping[str, Any], identity_pubkey: str) -> dict[str, Any]:
    """`read_node_signature` for a body held as a JSON object; returns the member's JSON."""
    return _node_signature(directory, node_message(dict(body)), identity_pubkey).to_json()


def sign(attestation: Attestation, private_key: Ed25519PrivateKey) -> Attestation:
    """The bank's Ed25519 signature over the attestation, node signature included (SPEC 2.3, 8.6)."""
    signature = Signature(key_id(private_key.public_key()), private_key.sign(attestation.signed_message()))
    return attestation.with_signature(signature)


def attest(s: snap.Snapshot, epoch: str, summary: CommitmentCopy | Mapping[str, Any], private_key: Ed25519PrivateKey,
           directory: Path | None = None) -> Attestation:
    """The signed attestation of snapshot `s`: proofs, price and node signature read from `directory`
    (default: the snapshot's own directory)."""
    directory = s.directory if directory is None else directory
    draft = build_attestation(s, epoch, summary, load_proofs(directory), load_price(directory))
    return sign(draft.with_node_signature(read_node_signature(directory, draft)), private_key)
