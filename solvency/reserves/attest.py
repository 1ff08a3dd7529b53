"""Build the asset attestation ``assets.json`` from a snapshot directory (SPEC 8.6-8.7).

Steps (`solvency.publish` runs them; for `solvency assets`, `read_inputs` runs 1-2 from the
command's files and its `AttestationInputs` runs the rest):

1. `load_snapshot` reads and cross-checks the raw outputs (one anchor block for all files).
2. `commitment_copy` checks this epoch's signed liabilities commitment and copies what the
   attestation binds; `challenge_for` gives the challenge text that the cold-storage keys and
   lnd's wallet sign; the operator puts the signatures in ``proofs.json``.
3. `build_attestation` assembles the typed `Attestation` without its two signatures, verifying
   every proof of control with the verifier's own code and computing totals and statement with
   the verifier's functions; its `node_message()` is what ``lncli signmessage`` must sign.
4. `read_node_signature` checks lnd's signature over that digest against ``identity_pubkey``;
   `solvency.keys.sign` adds the bank's Ed25519 signature. `attest` runs 3-4; `to_bytes()` is the file.

Invariant: the prover never writes an attestation that the verifier would reject; it refuses
with `SnapshotError` naming the file and field instead. The published artifact is only ever the
verifier's typed `Attestation`, so its bytes are the ones the verifier parses back.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from solvency import keys
from solvency.keys import load_private_key
from solvency.reserves import bria as bria_out
from solvency.reserves import snapshot as snap
from solvency.reserves.fields import Fields, SnapshotError, read_json
from verifier import canonical
from verifier.assets.address import address_script, descriptor_script, script_address
from verifier.assets.anchor import check_anchor_time
from verifier.assets.artifact import (
    PROOF_FORMATS,
    Attestation,
    Bria,
    CommitmentCopy,
    NodeSignature,
    Price,
    ProofOfControl,
    Statement,
    Totals,
    Utxo,
)
from verifier.assets.attestation import verify_proof_of_control
from verifier.assets.challenge import challenge_message
from verifier.assets.rules import COMMITMENT_TYPES
from verifier.assets.signmessage import verify_lnd_node
from verifier.assets.statement import attestation_statement, attestation_totals
from verifier.commitment import commitment_hash, verify_commitment
from verifier.errors import CannotVerify, VerificationError
from verifier.schema import UtcTime

# Placeholders of a draft: the totals and statement are computed from the draft's own lists.
_EMPTY_TOTALS = Totals(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)


def commitment_copy(commitment: Any, epoch: str, public_key: Ed25519PublicKey) -> CommitmentCopy:
    """The attestation's copy of the liabilities commitment; it must be this epoch's, signed by us."""
    try:
        parsed = verify_commitment(commitment, public_key)
    except (VerificationError, CannotVerify) as exc:
        raise SnapshotError("commitment", None, f"not a valid commitment signed by this bank key ({exc})") from None
    if parsed.epoch != epoch:
        raise SnapshotError("commitment", "epoch", f"the commitment is for epoch {parsed.epoch!r}, not {epoch!r}")
    return CommitmentCopy(commitment_hash(parsed).hex(), parsed.epoch, tuple(parsed.assets), tuple(parsed.root_sums),
                          parsed.as_of)


def challenge_for(s: snap.Snapshot, epoch: str, commitment: CommitmentCopy) -> str:
    return challenge_message(epoch, s.anchor.height, s.anchor.hash, commitment.hash)


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


def _bria(s: snap.Snapshot) -> Bria | None:
    """bria's wallet as the attestation lists it: every UTXO with the script of its address."""
    wallet = s.bria_wallet
    if wallet is None:
        return None
    utxos = []
    for u in wallet.utxos:
        assert u.address is not None  # bria.load_wallet fills in every change address
        try:
            script = address_script(u.address, s.node.network).hex()
        except (VerificationError, CannotVerify) as exc:
            raise SnapshotError(bria_out.LIST_UTXOS, u.outpoint, f"address {u.address}: {exc.message}") from None
        utxos.append(_utxo(u.txid, u.vout, u.value, script, u.address, None, u.height, s.node.network, bria_out.LIST_UTXOS))
    return Bria(wallet.wallet_id, wallet.balance["utxoSettled"], wallet.balance["utxoPendingIncoming"], tuple(utxos))


def check_anchor_window(s: snap.Snapshot, as_of: str) -> str:
    """The anchor block's time must lie in SPEC 8.8's window around the cut-off; returns its age in words."""
    try:
        return check_anchor_time(s.anchor.header.time, int(UtcTime(as_of).to_datetime().timestamp()))
    except VerificationError as exc:
        raise SnapshotError(snap.BLOCKHEADER, "time", f"anchor block {s.anchor.height}: {exc.message} ({as_of})") from None


def _check_double_counting(s: snap.Snapshot, cold: tuple[Utxo, ...], lnd: tuple[Utxo, ...], bria: tuple[Utxo, ...]) -> None:
    funding = {c.channel_point for c in s.channels} | {p.channel_point for p in s.pending.channels}
    for file, utxos in ((s.cold_source, cold), (snap.LND_LISTUNSPENT, lnd), (bria_out.LIST_UTXOS, bria)):
        for u in utxos:
            if u.outpoint in funding:
                raise SnapshotError(file, u.outpoint, "is a channel's funding outpoint: its coins are already counted "
                                    "in the channel (SPEC 8.8, DOUBLE_COUNTED)")
    others = {u.outpoint: s.cold_source for u in cold} | {u.outpoint: snap.LND_LISTUNSPENT for u in lnd}
    for u in bria:
        if u.outpoint in others:
            raise SnapshotError(f"{bria_out.LIST_UTXOS} / {others[u.outpoint]}", u.outpoint,
                                "listed by bria and by another wallet: its coins would be counted twice (SPEC 8.8, DOUBLE_COUNTED)")


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


def build_attestation(s: snap.Snapshot, epoch: str, commitment: CommitmentCopy,
                      proofs: tuple[ProofOfControl, ...], price: Price | None) -> Attestation:
    """The attestation without ``node_signature`` and ``signature``; refuses anything invalid."""
    for ch in s.channels:
        if ch.commitment_type not in COMMITMENT_TYPES:
            raise SnapshotError(snap.LISTCHANNELS, ch.channel_point, f"unknown commitment_type {ch.commitment_type!r}")
    check_anchor_window(s, commitment.as_of)
    cold, lnd, bria = _cold_utxos(s), _lnd_utxos(s), _bria(s)
    bria_utxos = () if bria is None else bria.utxos
    _check_double_counting(s, cold, lnd or (), bria_utxos)
    challenge = challenge_for(s, epoch, commitment)
    _check_proofs(proofs, cold + (lnd or ()) + bria_utxos, challenge, s.node.network)
    draft = Attestation(
        epoch=epoch, network=s.node.network, anchor=s.anchor, commitment=commitment,
        challenge=challenge, node_pubkey=s.node.identity_pubkey,
        channels=s.channels, pending_channels=s.pending.channels, onchain=s.wallet,
        onchain_utxos=lnd, cold_utxos=cold, proofs=proofs, totals=_EMPTY_TOTALS,
        statement=Statement((), price, None), bria=bria,
    )
    try:
        totals = attestation_totals(draft)
    except (VerificationError, CannotVerify) as exc:
        raise SnapshotError(snap.LISTCHANNELS, None, exc.message) from None
    draft = dataclasses.replace(draft, totals=totals)
    return dataclasses.replace(draft, statement=attestation_statement(draft, totals))


def read_node_signature(directory: Path, attestation: Attestation) -> NodeSignature:
    """Read ``lncli signmessage`` output and check it signs this attestation's digest with the node key."""
    message, node = attestation.node_message(), attestation.node_pubkey
    signature = Fields(read_json(directory, snap.NODE_SIGNATURE), snap.NODE_SIGNATURE).string("signature")
    try:
        verify_lnd_node(node, message.encode(), signature)
    except (VerificationError, CannotVerify) as exc:
        raise SnapshotError(
            snap.NODE_SIGNATURE, "signature",
            f"does not sign this attestation's digest with node {node} ({exc.message}); "
            f"run: lncli signmessage --msg '{message}'",
        ) from None
    return NodeSignature(message, signature)


def attest(s: snap.Snapshot, epoch: str, commitment: CommitmentCopy, private_key: Ed25519PrivateKey,
           directory: Path | None = None) -> Attestation:
    """The signed attestation of snapshot `s`: proofs, price and node signature read from `directory`
    (default: the snapshot's own directory)."""
    directory = s.directory if directory is None else directory
    draft = build_attestation(s, epoch, commitment, load_proofs(directory), load_price(directory))
    return keys.sign(draft.with_node_signature(read_node_signature(directory, draft)), private_key)


# --- one epoch's inputs, from files -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttestationInputs:
    """A loaded snapshot, this epoch's checked commitment copy and the bank key. Each step reads
    ``proofs.json``, ``price.json`` and ``lnd_signmessage.json`` when it runs, because the wallets
    sign between the steps."""

    snapshot: snap.Snapshot
    epoch: str
    commitment: CommitmentCopy
    private_key: Ed25519PrivateKey = field(repr=False)

    def challenge(self) -> str:
        """The text the proofs of control sign (step 2)."""
        return challenge_for(self.snapshot, self.epoch, self.commitment)

    def draft(self) -> Attestation:
        """The attestation before its node and bank signatures (step 3)."""
        d = self.snapshot.directory
        return build_attestation(self.snapshot, self.epoch, self.commitment, load_proofs(d), load_price(d))

    def signed(self) -> Attestation:
        """The signed attestation (steps 3-4)."""
        return attest(self.snapshot, self.epoch, self.commitment, self.private_key)


def read_inputs(snapshots: str | Path, epoch: str, commitment_file: str | Path, key_file: str | Path) -> AttestationInputs:
    """Load the bank key, this epoch's commitment (signed by that key) and the snapshot directory.

    Raises `KeyFileError` for the key file and `SnapshotError` for the commitment or the snapshot.
    """
    private_key = load_private_key(key_file)
    path = Path(commitment_file)
    try:
        commitment = canonical.loads(path.read_bytes(), require_canonical=False)
    except OSError as exc:
        raise SnapshotError(str(path), None, f"cannot read ({exc.strerror or exc})") from None
    except Exception as exc:  # noqa: BLE001 - any parse failure is a rejected input
        raise SnapshotError(str(path), None, f"not a commitment ({exc})") from None
    copy = commitment_copy(commitment, epoch, private_key.public_key())
    return AttestationInputs(snap.load_snapshot(snapshots), epoch, copy, private_key)
