"""Signed balance receipts (docs/SPEC.md section 12).

A receipt is the bank's signed statement "at epoch E, whose liabilities commitment has hash H,
user U's balances were B". A user asks for one when they download their proof. If their
inclusion proof later fails, or a later epoch shows a balance the user never agreed to, the
receipt is third-party-verifiable evidence against the bank: only the bank's key can have
signed it, and it names the exact commitment it belongs to.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from typing import Any

from verifier.commitment import amount, commitment_hash, hex_bytes, members, parse_commitment
from verifier.encoding import EPOCH_RE, LEAF_VALUE_LIMIT, user_id_bytes
from verifier.errors import CannotVerify, VerificationError
from verifier.signature import SIGNATURE_FIELD, verify_signature

RECEIPT_FORMAT = "pos-receipt/1"
RECEIPT_MEMBERS = frozenset(
    {"format", "type", "epoch", "liabilities_commitment", "user_id", "assets", "balances", "issued_at",
     "signer_key_id", SIGNATURE_FIELD}
)
ISSUED_AT_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
HEX32 = re.compile(r"[0-9a-f]{32}")


class InvalidReceipt(VerificationError):
    default_reason = "RECEIPT_SCHEMA"


@dataclass(frozen=True, slots=True)
class Receipt:
    epoch: str
    liabilities_commitment: bytes
    user_id: str
    assets: tuple[str, ...]
    balances: tuple[int, ...]
    issued_at: str


def verify_receipt(doc: Any, pinned_public_key, *, commitment: Any = None, proof_facts: Any = None) -> Receipt:
    """Schema and signature; with `commitment`, that the receipt names it; with `proof_facts`
    (from `verifier.proof.verify_proof`), that the proof shows the receipted balances."""
    if not isinstance(doc, dict):
        raise InvalidReceipt("a receipt is a JSON object")
    if doc.get("format") != RECEIPT_FORMAT:
        raise CannotVerify(f"unsupported receipt format {doc.get('format')!r}; this verifier knows {RECEIPT_FORMAT!r}", reason="UNSUPPORTED_VERSION")
    if doc.get("type") != "receipt":
        raise InvalidReceipt(f"type is {doc.get('type')!r}, expected 'receipt'")
    members(doc, RECEIPT_MEMBERS, "receipt", InvalidReceipt)
    if not isinstance(doc["epoch"], str) or not EPOCH_RE.fullmatch(doc["epoch"]):
        raise InvalidReceipt(f"receipt.epoch must match {EPOCH_RE.pattern}")
    target = hex_bytes(doc["liabilities_commitment"], "receipt.liabilities_commitment", InvalidReceipt)
    user_id = doc["user_id"]
    try:
        user_id_bytes(user_id)
    except Exception as exc:  # noqa: BLE001 - the encoding module names the rule that failed
        raise InvalidReceipt(f"receipt.user_id: {exc}") from None
    assets = doc["assets"]
    if not isinstance(assets, list) or not assets or not all(isinstance(a, str) for a in assets):
        raise InvalidReceipt("receipt.assets must be a non-empty list of asset codes")
    balances = doc["balances"]
    if not isinstance(balances, list) or len(balances) != len(assets):
        raise InvalidReceipt("receipt.balances must hold one amount per asset")
    values = tuple(amount(b, f"receipt.balances[{i}]", InvalidReceipt) for i, b in enumerate(balances))
    if any(not 0 <= v < LEAF_VALUE_LIMIT for v in values):
        raise InvalidReceipt("receipt balances must be in [0, 2^64)", reason="RECEIPT_SCHEMA")
    if not isinstance(doc["issued_at"], str) or not ISSUED_AT_RE.fullmatch(doc["issued_at"]):
        raise InvalidReceipt("receipt.issued_at must be YYYY-MM-DDTHH:MM:SSZ")
    signer = doc["signer_key_id"]
    if not isinstance(signer, str) or not HEX32.fullmatch(signer) or not isinstance(doc[SIGNATURE_FIELD], dict) \
            or doc[SIGNATURE_FIELD].get("key_id") != signer:
        raise InvalidReceipt("receipt.signer_key_id must be 32 hex characters equal to signature.key_id")
    verify_signature(doc, pinned_public_key)
    receipt = Receipt(doc["epoch"], target, user_id, tuple(assets), values, doc["issued_at"])
    if commitment is not None:
        parsed = parse_commitment(commitment)
        if not hmac.compare_digest(commitment_hash(commitment), target) or parsed.epoch != receipt.epoch:
            raise InvalidReceipt("the receipt is for another commitment or epoch", reason="RECEIPT_COMMITMENT_MISMATCH")
        if parsed.assets != receipt.assets:
            raise InvalidReceipt("the receipt lists other assets than the commitment", reason="RECEIPT_COMMITMENT_MISMATCH")
    if proof_facts is not None:
        if (proof_facts.user_id, proof_facts.epoch, tuple(proof_facts.assets)) != (receipt.user_id, receipt.epoch, receipt.assets):
            raise InvalidReceipt("the proof is for another user, epoch or asset list", reason="RECEIPT_PROOF_MISMATCH")
        if tuple(proof_facts.balances) != receipt.balances:
            shown = dict(zip(receipt.assets, proof_facts.balances))
            signed = dict(zip(receipt.assets, receipt.balances))
            raise InvalidReceipt(
                f"the bank signed balances {signed} for this user but the proof shows {shown}",
                reason="RECEIPT_PROOF_MISMATCH",
            )
    return receipt
