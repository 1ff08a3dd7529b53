"""Epoch commitments ``epoch.json`` and signed log heads ``log-head.json`` (docs/SPEC.md 11.2-11.3).

An epoch's signed `epoch.json` binds everything the bank publishes for one period: the hash of
the liabilities commitment (which binds the root hash and sums, the balance definition hash and
the ledger digest), the hash of the asset attestation, the solvency statement, and the hash of
the previous epoch's `epoch.json`. Its hash is the entry the bank appends to its transparency
log; `log-head.json` is the signed log head after that append, carrying the epoch's inclusion
proof and the consistency proof from the previous head.

`Epoch` and `LogHead` are the typed artifacts (strict `parse`, exact `to_json`);
`verify_epoch` and `verify_log_head` run their check lists (`EPOCH_CHECKS`, `LOG_HEAD_CHECKS`).

Threat model: a bank that edits a published epoch breaks its signature or the hash link from
the next epoch; one that re-signs a rewritten history cannot make its new log heads consistent
with the heads users already saw; one that shows different epochs to different users (a fork)
is caught as soon as two heads of the same size with different roots meet.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from verifier import canonical
from verifier.assets.artifact import Statement
from verifier.assets.errors import InvalidAttestation
from verifier.errors import InvalidEpoch, InvalidLog, InvalidLogHead, Reason, rebrand
from verifier.schema import (
    JSON,
    JSONObject,
    UtcTime,
    check_format,
    epoch_id,
    hex_bytes,
    integer,
    members,
    optional,
    utc_time,
)
from verifier.signature import SIGNATURE_FIELD, PublicKey, Signature, SignedArtifact, read_signer
from verifier.steps import Step, run_steps
from verifier.translog import LogConsistency, LogInclusion

__all__ = ["EPOCH_CHECKS", "LOG_HEAD_CHECKS", "Epoch", "InvalidEpoch", "InvalidLogHead", "LogHead", "Previous",
           "artifact_hash", "verify_epoch", "verify_log_head"]

EPOCH_FORMAT = "pos-epoch/1"
LOG_HEAD_FORMAT = "pos-log-head/1"

EPOCH_MEMBERS = frozenset(
    {"format", "type", "epoch", "sequence", "as_of", "liabilities_commitment", "asset_attestation",
     "solvency", "previous", "signer_key_id", SIGNATURE_FIELD}
)
LOG_HEAD_MEMBERS = frozenset(
    {"format", "type", "epoch", "epoch_hash", "log_size", "log_root", "inclusion", "consistency",
     "signer_key_id", SIGNATURE_FIELD}
)


def artifact_hash(doc: dict[str, Any] | SignedArtifact) -> bytes:
    """SHA-256 of the canonical JSON of a whole (signed) artifact."""
    if isinstance(doc, SignedArtifact):
        return doc.hash()
    return hashlib.sha256(canonical.dumps(doc)).digest()


@dataclass(frozen=True, slots=True)
class Previous:
    """The link from an epoch to the one before it."""

    epoch: str
    epoch_hash: bytes

    @classmethod
    def parse(cls, doc: JSON) -> Previous:
        members(doc, {"epoch", "epoch_hash"}, "epoch.previous", InvalidEpoch)
        return cls(epoch_id(doc["epoch"], "epoch.previous.epoch", InvalidEpoch),
                   hex_bytes(doc["epoch_hash"], "epoch.previous.epoch_hash", InvalidEpoch))

    def to_json(self) -> JSONObject:
        return {"epoch": self.epoch, "epoch_hash": self.epoch_hash.hex()}


def _statement(value: JSON) -> JSONObject:
    """The solvency statement object of SPEC 8.7, in its exact schema (kept as JSON)."""
    try:
        Statement.parse(value, "epoch.solvency")
    except InvalidAttestation as exc:
        raise InvalidEpoch(f"epoch.solvency is not a solvency statement (SPEC 8.7): {exc.message}") from None
    assert isinstance(value, dict)
    return value


@dataclass(frozen=True, slots=True)
class Epoch(SignedArtifact):
    """An epoch commitment (SPEC 11.2). `solvency` is the attestation's statement (SPEC 8.7), as JSON."""

    epoch: str
    sequence: int
    as_of: UtcTime
    liabilities_commitment: bytes
    asset_attestation: bytes | None
    solvency: JSONObject | None
    previous: Previous | None
    signer_key_id: str
    signature: Signature | None = None

    FORMAT = EPOCH_FORMAT
    TYPE = "epoch"

    @property
    def epoch_hash(self) -> bytes:
        """The entry the bank appends to its transparency log."""
        return self.hash()

    @property
    def previous_epoch(self) -> str | None:
        return None if self.previous is None else self.previous.epoch

    @property
    def previous_hash(self) -> bytes | None:
        return None if self.previous is None else self.previous.epoch_hash

    @property
    def document(self) -> JSONObject:
        return self.to_json()

    def body_json(self) -> JSONObject:
        return {
            "format": EPOCH_FORMAT,
            "type": self.TYPE,
            "epoch": self.epoch,
            "sequence": self.sequence,
            "as_of": str(self.as_of),
            "liabilities_commitment": self.liabilities_commitment.hex(),
            "asset_attestation": None if self.asset_attestation is None else self.asset_attestation.hex(),
            "solvency": self.solvency,
            "previous": None if self.previous is None else self.previous.to_json(),
            "signer_key_id": self.signer_key_id,
        }

    @classmethod
    def parse(cls, doc: JSON) -> Epoch:
        """The format marker, then the exact schema of SPEC 11.2."""
        err = InvalidEpoch
        check_format(doc, EPOCH_FORMAT, cls.TYPE, err)
        members(doc, EPOCH_MEMBERS, "epoch", err)
        epoch = epoch_id(doc["epoch"], "epoch.epoch", err)
        sequence = integer(doc["sequence"], "epoch.sequence", err, minimum=0)
        as_of = utc_time(doc["as_of"], "epoch.as_of", err)
        liabilities = hex_bytes(doc["liabilities_commitment"], "epoch.liabilities_commitment", err)
        attestation = optional(doc["asset_attestation"], lambda v: hex_bytes(v, "epoch.asset_attestation", err))
        solvency = optional(doc["solvency"], _statement)
        if (attestation is None) != (solvency is None):
            raise err("epoch.solvency must be null exactly when epoch.asset_attestation is (a statement needs the "
                      "attestation it follows from)", reason=Reason.STATEMENT_MISMATCH)
        if (sequence == 0) != (doc["previous"] is None):
            raise err("epoch.previous is null exactly for the first epoch (sequence 0)", reason=Reason.EPOCH_CHAIN_BROKEN)
        previous = optional(doc["previous"], Previous.parse)
        signer, signature = read_signer(doc, "epoch", err)
        return cls(epoch, sequence, as_of, liabilities, attestation, solvency, previous, signer, signature)


@dataclass(frozen=True, slots=True)
class LogHead(SignedArtifact):
    """A signed log head (SPEC 11.3): the log after appending `epoch_hash`, with its proofs."""

    epoch: str
    epoch_hash: bytes
    log_size: int
    log_root: bytes
    inclusion: LogInclusion
    consistency: LogConsistency | None
    signer_key_id: str
    signature: Signature | None = None

    FORMAT = LOG_HEAD_FORMAT
    TYPE = "log-head"

    @property
    def document(self) -> JSONObject:
        return self.to_json()

    def body_json(self) -> JSONObject:
        return {
            "format": LOG_HEAD_FORMAT,
            "type": self.TYPE,
            "epoch": self.epoch,
            "epoch_hash": self.epoch_hash.hex(),
            "log_size": self.log_size,
            "log_root": self.log_root.hex(),
            "inclusion": self.inclusion.to_json(),
            "consistency": None if self.consistency is None else self.consistency.to_json(),
            "signer_key_id": self.signer_key_id,
        }

    @classmethod
    def parse(cls, doc: JSON) -> LogHead:
        """The format marker, then the exact schema of SPEC 11.3 (the proofs' own schema, SPEC 10.3)."""
        err = InvalidLogHead
        check_format(doc, LOG_HEAD_FORMAT, cls.TYPE, err)
        members(doc, LOG_HEAD_MEMBERS, "log-head", err)
        epoch = epoch_id(doc["epoch"], "log-head.epoch", err)
        epoch_hash = hex_bytes(doc["epoch_hash"], "log-head.epoch_hash", err)
        size = integer(doc["log_size"], "log-head.log_size", err, minimum=1)
        root = hex_bytes(doc["log_root"], "log-head.log_root", err)
        try:
            inclusion = LogInclusion.parse(doc["inclusion"])
            consistency = optional(doc["consistency"], LogConsistency.parse)
        except InvalidLog as exc:
            raise rebrand(exc, err, "log-head: ") from None
        signer, signature = read_signer(doc, "log-head", err)
        return cls(epoch, epoch_hash, size, root, inclusion, consistency, signer, signature)


@dataclass
class EpochCheck:
    """Working state of the epoch check list."""

    doc: JSON
    key: PublicKey
    parsed: Epoch | None = None

    @property
    def epoch(self) -> Epoch:
        assert self.parsed is not None, "the schema step runs first"
        return self.parsed


def _epoch_schema(state: EpochCheck) -> None:
    state.parsed = state.doc if isinstance(state.doc, Epoch) else Epoch.parse(state.doc)


def _epoch_signature(state: EpochCheck) -> None:
    state.epoch.verify_signature(state.key)


# SPEC 11.2 (the first check of 11.4 for one epoch.json).
EPOCH_CHECKS: tuple[Step[EpochCheck], ...] = (
    Step(f"epoch.json schema ({EPOCH_FORMAT})", _epoch_schema),
    Step("epoch.json signed by the pinned bank key", _epoch_signature),
)


def verify_epoch(doc: JSON, pinned_public_key: PublicKey) -> Epoch:
    """Schema (SPEC 11.2), then the signature under the pinned key."""
    state = EpochCheck(doc, pinned_public_key)
    run_steps(EPOCH_CHECKS, state, family=InvalidEpoch)
    return state.epoch


@dataclass
class LogHeadCheck:
    """Working state of the log-head check list."""

    doc: JSON
    key: PublicKey
    parsed: LogHead | None = None

    @property
    def head(self) -> LogHead:
        assert self.parsed is not None, "the schema step runs first"
        return self.parsed


def _head_schema(state: LogHeadCheck) -> None:
    state.parsed = state.doc if isinstance(state.doc, LogHead) else LogHead.parse(state.doc)


def _head_signature(state: LogHeadCheck) -> None:
    state.head.verify_signature(state.key)


def _head_inclusion(state: LogHeadCheck) -> None:
    head = state.head
    if (head.inclusion.log_size, head.inclusion.log_root, head.inclusion.entry) != (head.log_size, head.log_root, head.epoch_hash):
        raise InvalidLogHead("the inclusion proof is not for this head's size, root and epoch hash", reason=Reason.LOG_HEAD_MISMATCH)
    head.inclusion.verify()


def _head_consistency(state: LogHeadCheck) -> None:
    head = state.head
    if head.consistency is None:
        if head.log_size != 1:
            raise InvalidLogHead("only the head of a one-entry log may omit its consistency proof", reason=Reason.LOG_HEAD_MISMATCH)
        return
    if (head.consistency.second_size, head.consistency.second_root) != (head.log_size, head.log_root):
        raise InvalidLogHead("the consistency proof does not end at this head", reason=Reason.LOG_HEAD_MISMATCH)
    head.consistency.verify()


# SPEC 11.3: the head's schema and signature, then its two proofs against its own size and root.
LOG_HEAD_CHECKS: tuple[Step[LogHeadCheck], ...] = (
    Step(f"log-head.json schema ({LOG_HEAD_FORMAT})", _head_schema),
    Step("log-head.json signed by the pinned bank key", _head_signature),
    Step("the epoch's inclusion proof in the log verifies (RFC 9162)", _head_inclusion),
    Step("the consistency proof from the previous head verifies (RFC 9162)", _head_consistency),
)


def verify_log_head(doc: JSON, pinned_public_key: PublicKey) -> LogHead:
    """Schema, signature, and both proofs against the head's own size and root (SPEC 11.3)."""
    state = LogHeadCheck(doc, pinned_public_key)
    run_steps(LOG_HEAD_CHECKS, state, family=InvalidLogHead)
    return state.head
