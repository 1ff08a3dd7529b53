"""Signed balance receipts ``pos-receipt/1`` (docs/SPEC.md section 12).

A receipt is the bank's signed statement "at epoch E, whose liabilities commitment has hash H,
user U's balances were B". A user asks for one when they download their proof. If their
inclusion proof later fails, or a later epoch shows a balance the user never agreed to, the
receipt is third-party-verifiable evidence against the bank: only the bank's key can have
signed it, and it names the exact commitment it belongs to.

`Receipt` is the typed artifact (strict `parse`, exact `to_json`); `verify_receipt` runs
`RECEIPT_CHECKS` in SPEC 12's order and raises `InvalidReceipt` with the failed check's reason.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from verifier.commitment import Commitment, parse_commitment
from verifier.encoding import ASSET_RE, LEAF_VALUE_LIMIT, MAX_ASSETS, user_id_bytes
from verifier.errors import InvalidReceipt, Reason
from verifier.proof import ProofFacts
from verifier.schema import (
    JSON,
    JSONObject,
    UtcTime,
    amounts,
    check_format,
    epoch_id,
    hex_bytes,
    members,
    text,
    utc_time,
    write_amounts,
)
from verifier.signature import SIGNATURE_FIELD, PublicKey, Signature, SignedArtifact, read_signer
from verifier.steps import SKIPPED, Step, run_steps

__all__ = ["RECEIPT_CHECKS", "InvalidReceipt", "Receipt", "verify_receipt"]

RECEIPT_FORMAT = "pos-receipt/1"
RECEIPT_MEMBERS = frozenset(
    {"format", "type", "epoch", "liabilities_commitment", "user_id", "assets", "balances", "issued_at",
     "signer_key_id", SIGNATURE_FIELD}
)


@dataclass(frozen=True, slots=True)
class Receipt(SignedArtifact):
    """A balance receipt (SPEC 12); `signature` is None only before the bank signs it."""

    epoch: str
    liabilities_commitment: bytes
    user_id: str
    assets: tuple[str, ...]
    balances: tuple[int, ...]
    issued_at: UtcTime
    signer_key_id: str
    signature: Signature | None = None

    FORMAT = RECEIPT_FORMAT
    TYPE = "receipt"

    def body_json(self) -> JSONObject:
        return {
            "format": RECEIPT_FORMAT,
            "type": self.TYPE,
            "epoch": self.epoch,
            "liabilities_commitment": self.liabilities_commitment.hex(),
            "user_id": self.user_id,
            "assets": list(self.assets),
            "balances": write_amounts(self.balances),
            "issued_at": str(self.issued_at),
            "signer_key_id": self.signer_key_id,
        }

    @classmethod
    def parse(cls, doc: JSON) -> Receipt:
        """The format marker, then the exact schema of SPEC 12 (``RECEIPT_SCHEMA``)."""
        err = InvalidReceipt
        check_format(doc, RECEIPT_FORMAT, cls.TYPE, err)
        members(doc, RECEIPT_MEMBERS, "receipt", err)
        epoch = epoch_id(doc["epoch"], "receipt.epoch", err)
        target = hex_bytes(doc["liabilities_commitment"], "receipt.liabilities_commitment", err)
        user_id = text(doc["user_id"], "receipt.user_id", err)
        try:
            user_id_bytes(user_id)
        except ValueError as exc:
            raise err(f"receipt.user_id: {exc}") from None
        assets = doc["assets"]
        if (not isinstance(assets, list) or not 1 <= len(assets) <= MAX_ASSETS
                or not all(isinstance(a, str) and ASSET_RE.fullmatch(a) for a in assets)):
            raise err(f"receipt.assets must be 1..{MAX_ASSETS} asset codes")
        balances = amounts(doc["balances"], len(assets), "receipt.balances", err)
        if any(not 0 <= v < LEAF_VALUE_LIMIT for v in balances):
            raise err("receipt balances must be in [0, 2^64)")
        issued_at = utc_time(doc["issued_at"], "receipt.issued_at", err)
        signer, signature = read_signer(doc, "receipt", err)
        return cls(epoch, target, user_id, tuple(assets), balances, issued_at, signer, signature)


@dataclass
class ReceiptCheck:
    """Working state of SPEC 12's check list."""

    doc: JSON
    key: PublicKey
    commitment: JSON | Commitment | None = None
    proof_facts: ProofFacts | None = None
    parsed: Receipt | None = None

    @property
    def receipt(self) -> Receipt:
        assert self.parsed is not None, "the schema step runs first"
        return self.parsed


def check_schema(state: ReceiptCheck) -> None:
    state.parsed = state.doc if isinstance(state.doc, Receipt) else Receipt.parse(state.doc)


def check_signature(state: ReceiptCheck) -> None:
    state.receipt.verify_signature(state.key)


def check_commitment(state: ReceiptCheck) -> str:
    if state.commitment is None:
        return SKIPPED
    receipt, commitment = state.receipt, parse_commitment(state.commitment)
    if not hmac.compare_digest(commitment.hash(), receipt.liabilities_commitment) or commitment.epoch != receipt.epoch:
        raise InvalidReceipt("the receipt is for another commitment or epoch", reason=Reason.RECEIPT_COMMITMENT_MISMATCH)
    if commitment.assets != receipt.assets:
        raise InvalidReceipt("the receipt lists other assets than the commitment", reason=Reason.RECEIPT_COMMITMENT_MISMATCH)
    return "the receipt names this commitment"


def check_proof(state: ReceiptCheck) -> str:
    facts, receipt = state.proof_facts, state.receipt
    if facts is None:
        return SKIPPED
    if (facts.user_id, facts.epoch, tuple(facts.assets)) != (receipt.user_id, receipt.epoch, receipt.assets):
        raise InvalidReceipt("the proof is for another user, epoch or asset list", reason=Reason.RECEIPT_PROOF_MISMATCH)
    if tuple(facts.balances) != receipt.balances:
        shown = dict(zip(receipt.assets, facts.balances))
        signed = dict(zip(receipt.assets, receipt.balances))
        raise InvalidReceipt(f"the bank signed balances {signed} for this user but the proof shows {shown}",
                             reason=Reason.RECEIPT_PROOF_MISMATCH)
    return "your proof verifies and shows exactly the receipted balances"


# SPEC 12, in its order.
RECEIPT_CHECKS: tuple[Step[ReceiptCheck], ...] = (
    Step(f"receipt schema ({RECEIPT_FORMAT})", check_schema),
    Step("receipt signed by the pinned bank key", check_signature),
    Step("the receipt names this commitment", check_commitment),
    Step("the proof shows exactly the receipted balances", check_proof),
)


def verify_receipt(doc: JSON, pinned_public_key: PublicKey, *, commitment: JSON | Commitment | None = None,
                   proof_facts: ProofFacts | None = None) -> Receipt:
    """Schema and signature; with `commitment`, that the receipt names it; with `proof_facts`
    (from `verifier.proof.verify_proof`), that the proof shows the receipted balances."""
    state = ReceiptCheck(doc, pinned_public_key, commitment, proof_facts)
    run_steps(RECEIPT_CHECKS, state, family=InvalidReceipt)
    return state.receipt
