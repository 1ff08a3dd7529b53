"""Proof bundles: a user's proof together with the epoch and log head it belongs to
(docs/SPEC.md section 13, format `pos-proof-bundle/1`).

A bundle is ``{"epoch": <epoch.json>, "format": "pos-proof-bundle/1", "log_head": <log-head.json>,
"proof": <proof.json>, "type": "proof-bundle"}``, canonical JSON. `verify_bundle` runs the proof's
own check list (SPEC 6) and then binds it to the bank's published history:

1. ``epoch`` is a valid signed epoch commitment (SPEC 11.2) under the pinned key, for the
   proof's epoch, whose ``liabilities_commitment`` is ``commitment_hash`` of the proof's
   commitment (`BUNDLE_MISMATCH` otherwise);
2. ``log_head`` is a valid signed log head (SPEC 11.3) for that epoch whose inclusion proof shows
   the epoch's hash at its leaf of the transparency log (SPEC 10), and whose leaf index is the
   epoch's sequence (`BUNDLE_MISMATCH`).

Threat model: a bank that hands a user a proof against a commitment it never published in its
history (a per-user fork) must also produce a signed epoch and a log head including it; the log
head's root is what users compare (`--trusted-head`, or across users), so the fork is visible.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from verifier import canonical
from verifier.commitment import commitment_hash, members
from verifier.epoch import Epoch, LogHead, verify_epoch, verify_log_head
from verifier.errors import CannotVerify, VerificationError
from verifier.proof import ProofFacts, verify_proof

BUNDLE_FORMAT = "pos-proof-bundle/1"
BUNDLE_MEMBERS = frozenset({"epoch", "format", "log_head", "proof", "type"})


class InvalidBundle(VerificationError):
    """The bundle is malformed or its parts do not belong together."""

    default_reason = "BUNDLE_SCHEMA"


@dataclass(frozen=True, slots=True)
class BundleFacts:
    proof: ProofFacts
    epoch: Epoch
    log_head: LogHead


def is_bundle(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("type") == "proof-bundle"


def parse_bundle(data: bytes | dict[str, Any]) -> dict[str, Any]:
    """Canonical encoding, version and members of a bundle (not its parts)."""
    doc = canonical.loads(data) if isinstance(data, (bytes, bytearray)) else data
    if not isinstance(doc, dict):
        raise InvalidBundle("a proof bundle must be a JSON object")
    if doc.get("format") != BUNDLE_FORMAT:
        raise CannotVerify(f"unsupported proof bundle format {doc.get('format')!r}; this verifier knows {BUNDLE_FORMAT!r}",
                           reason="UNSUPPORTED_VERSION")
    if doc.get("type") != "proof-bundle":
        raise InvalidBundle(f"type is {doc.get('type')!r}, expected 'proof-bundle'")
    members(doc, BUNDLE_MEMBERS, "bundle", InvalidBundle)
    return doc


def verify_bundle(
    data: bytes | dict[str, Any],
    pinned_public_key,
    *,
    commitment: bytes | dict[str, Any] | None = None,
    expected_epoch: str | None = None,
    expected_user: str | None = None,
    checked: list[str] | None = None,
) -> BundleFacts:
    """SPEC 13: the proof's check list, then the epoch and log-head bindings. Raises on failure."""
    done = checked if checked is not None else []
    doc = parse_bundle(data)
    facts = verify_proof(doc["proof"], pinned_public_key, commitment=commitment, expected_epoch=expected_epoch,
                         expected_user=expected_user, checked=done)
    epoch = verify_epoch(doc["epoch"], pinned_public_key)
    if epoch.epoch != facts.epoch:
        raise InvalidBundle(f"the bundle's epoch.json is for {epoch.epoch!r}, the proof for {facts.epoch!r}", reason="BUNDLE_MISMATCH")
    if not hmac.compare_digest(epoch.liabilities_commitment, commitment_hash(doc["proof"]["commitment"])):
        raise InvalidBundle("epoch.json does not bind the commitment of this proof (liabilities_commitment differs)",
                            reason="BUNDLE_MISMATCH")
    done.append(f"epoch {epoch.epoch} (sequence {epoch.sequence}) is signed by the bank and binds this proof's commitment")
    head = verify_log_head(doc["log_head"], pinned_public_key)
    if head.epoch != epoch.epoch or not hmac.compare_digest(head.epoch_hash, epoch.epoch_hash):
        raise InvalidBundle("the log head is not the head of this epoch", reason="BUNDLE_MISMATCH")
    if head.inclusion.leaf_index != epoch.sequence:
        raise InvalidBundle(f"the epoch with sequence {epoch.sequence} sits at log leaf {head.inclusion.leaf_index}",
                            reason="BUNDLE_MISMATCH")
    done.append(f"the epoch is entry {head.inclusion.leaf_index} of the bank's transparency log "
                f"(size {head.log_size}, root {head.log_root.hex()[:16]}...; RFC 9162 inclusion proof)")
    return BundleFacts(facts, epoch, head)
