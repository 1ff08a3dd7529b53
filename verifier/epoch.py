"""Epoch commitments and signed log heads (docs/SPEC.md section 11).

An epoch's signed `epoch.json` binds everything the bank publishes for one period: the hash of
the liabilities commitment (which binds the root hash and sums, the balance definition hash and
the ledger digest), the hash of the asset attestation, the solvency statement, and the hash of
the previous epoch's `epoch.json`. Its hash is the entry the bank appends to its transparency
log; `log-head.json` is the signed log head after that append, carrying the epoch's inclusion
proof and the consistency proof from the previous head.

Threat model: a bank that edits a published epoch breaks its signature or the hash link from
the next epoch; one that re-signs a rewritten history cannot make its new log heads consistent
with the heads users already saw; one that shows different epochs to different users (a fork)
is caught as soon as two heads of the same size with different roots meet.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from verifier import canonical
from verifier.commitment import hex_bytes, integer, members
from verifier.encoding import EPOCH_RE
from verifier.errors import CannotVerify, VerificationError
from verifier.signature import SIGNATURE_FIELD, verify_signature
from verifier.translog import LogConsistency, LogInclusion

EPOCH_FORMAT = "pos-epoch/1"
LOG_HEAD_FORMAT = "pos-log-head/1"
HEX32 = re.compile(r"[0-9a-f]{32}")

EPOCH_MEMBERS = frozenset(
    {"format", "type", "epoch", "sequence", "as_of", "liabilities_commitment", "asset_attestation",
     "solvency", "previous", "signer_key_id", SIGNATURE_FIELD}
)
LOG_HEAD_MEMBERS = frozenset(
    {"format", "type", "epoch", "epoch_hash", "log_size", "log_root", "inclusion", "consistency",
     "signer_key_id", SIGNATURE_FIELD}
)


class InvalidEpoch(VerificationError):
    """An epoch commitment or log head is malformed, unsigned, or does not bind what it should."""

    default_reason = "EPOCH_SCHEMA"


def artifact_hash(doc: dict[str, Any]) -> bytes:
    """SHA-256 of the canonical JSON of a whole (signed) artifact."""
    return hashlib.sha256(canonical.dumps(doc)).digest()


def _check_format(doc: Any, fmt: str, kind: str) -> None:
    if not isinstance(doc, dict):
        raise InvalidEpoch(f"{kind} must be a JSON object")
    if doc.get("format") != fmt:
        raise CannotVerify(f"unsupported {kind} format {doc.get('format')!r}; this verifier knows {fmt!r}", reason="UNSUPPORTED_VERSION")
    if doc.get("type") != kind:
        raise InvalidEpoch(f"type is {doc.get('type')!r}, expected {kind!r}")


@dataclass(frozen=True, slots=True)
class Epoch:
    """A schema-checked, signature-checked `epoch.json`."""

    epoch: str
    sequence: int
    as_of: str
    liabilities_commitment: bytes
    asset_attestation: bytes | None
    solvency: Any
    previous_epoch: str | None
    previous_hash: bytes | None
    epoch_hash: bytes
    document: dict[str, Any]


def verify_epoch(doc: Any, pinned_public_key) -> Epoch:
    """Schema (SPEC 11.2), then the signature under the pinned key."""
    _check_format(doc, EPOCH_FORMAT, "epoch")
    members(doc, EPOCH_MEMBERS, "epoch", InvalidEpoch)
    if not isinstance(doc["epoch"], str) or not EPOCH_RE.fullmatch(doc["epoch"]):
        raise InvalidEpoch(f"epoch.epoch must match {EPOCH_RE.pattern}")
    sequence = integer(doc["sequence"], "epoch.sequence", InvalidEpoch)
    if sequence < 0:
        raise InvalidEpoch("epoch.sequence must be >= 0")
    if not isinstance(doc["as_of"], str):
        raise InvalidEpoch("epoch.as_of must be a string")
    liabilities = hex_bytes(doc["liabilities_commitment"], "epoch.liabilities_commitment", InvalidEpoch)
    attestation = None
    if doc["asset_attestation"] is not None:
        attestation = hex_bytes(doc["asset_attestation"], "epoch.asset_attestation", InvalidEpoch)
    previous = doc["previous"]
    previous_epoch = previous_hash = None
    if sequence == 0:
        if previous is not None:
            raise InvalidEpoch("the first epoch (sequence 0) has previous = null", reason="EPOCH_CHAIN_BROKEN")
    else:
        members(previous, {"epoch", "epoch_hash"}, "epoch.previous", InvalidEpoch)
        previous_epoch = previous["epoch"]
        if not isinstance(previous_epoch, str) or not EPOCH_RE.fullmatch(previous_epoch):
            raise InvalidEpoch("epoch.previous.epoch must be an epoch id")
        previous_hash = hex_bytes(previous["epoch_hash"], "epoch.previous.epoch_hash", InvalidEpoch)
    signer = doc["signer_key_id"]
    if not isinstance(signer, str) or not HEX32.fullmatch(signer) or doc[SIGNATURE_FIELD].get("key_id") != signer:
        raise InvalidEpoch("epoch.signer_key_id must be 32 hex characters equal to signature.key_id")
    verify_signature(doc, pinned_public_key)
    return Epoch(doc["epoch"], sequence, doc["as_of"], liabilities, attestation, doc["solvency"],
                 previous_epoch, previous_hash, artifact_hash(doc), doc)


@dataclass(frozen=True, slots=True)
class LogHead:
    """A schema-checked, signature-checked `log-head.json` whose proofs verify."""

    epoch: str
    epoch_hash: bytes
    log_size: int
    log_root: bytes
    inclusion: LogInclusion
    consistency: LogConsistency | None
    document: dict[str, Any]


def verify_log_head(doc: Any, pinned_public_key) -> LogHead:
    """Schema, signature, and both proofs against the head's own size and root (SPEC 11.3)."""
    _check_format(doc, LOG_HEAD_FORMAT, "log-head")
    members(doc, LOG_HEAD_MEMBERS, "log-head", InvalidEpoch)
    if not isinstance(doc["epoch"], str) or not EPOCH_RE.fullmatch(doc["epoch"]):
        raise InvalidEpoch(f"log-head.epoch must match {EPOCH_RE.pattern}")
    epoch_hash = hex_bytes(doc["epoch_hash"], "log-head.epoch_hash", InvalidEpoch)
    size = integer(doc["log_size"], "log-head.log_size", InvalidEpoch)
    root = hex_bytes(doc["log_root"], "log-head.log_root", InvalidEpoch)
    signer = doc["signer_key_id"]
    if not isinstance(signer, str) or not HEX32.fullmatch(signer) or doc[SIGNATURE_FIELD].get("key_id") != signer:
        raise InvalidEpoch("log-head.signer_key_id must be 32 hex characters equal to signature.key_id")
    verify_signature(doc, pinned_public_key)
    inclusion = LogInclusion.from_json(doc["inclusion"])
    if (inclusion.log_size, inclusion.log_root, inclusion.entry) != (size, root, epoch_hash):
        raise InvalidEpoch("the inclusion proof is not for this head's size, root and epoch hash", reason="LOG_HEAD_MISMATCH")
    inclusion.verify()
    consistency = None
    if doc["consistency"] is not None:
        consistency = LogConsistency.from_json(doc["consistency"])
        if (consistency.second_size, consistency.second_root) != (size, root):
            raise InvalidEpoch("the consistency proof does not end at this head", reason="LOG_HEAD_MISMATCH")
        consistency.verify()
    elif size != 1:
        raise InvalidEpoch("only the head of a one-entry log may omit its consistency proof", reason="LOG_HEAD_MISMATCH")
    return LogHead(doc["epoch"], epoch_hash, size, root, inclusion, consistency, doc)
