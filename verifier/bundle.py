"""Proof bundles: a user's proof together with the epoch and log head it belongs to
(docs/SPEC.md section 13, format `pos-proof-bundle/1`).

A bundle is ``{"epoch": <epoch.json>, "format": "pos-proof-bundle/1", "log_head": <log-head.json>,
"proof": <proof.json>, "type": "proof-bundle"}``, canonical JSON. `Bundle` is the typed artifact;
`verify_bundle` runs `BUNDLE_CHECKS` (SPEC 13, in order): the bundle's own encoding and members,
the proof's whole check list (SPEC 6), then the binding to the bank's published history:

1. ``epoch`` is a valid signed epoch commitment (SPEC 11.2) under the pinned key, for the
   proof's epoch, whose ``liabilities_commitment`` is ``commitment_hash`` of the proof's
   commitment (`BUNDLE_MISMATCH` otherwise);
2. ``log_head`` is a valid signed log head (SPEC 11.3) for that epoch whose inclusion proof shows
   the epoch's hash at its leaf of the transparency log (SPEC 10), and whose leaf index is the
   epoch's sequence (`BUNDLE_MISMATCH`).
3. the epoch's cut-off is the commitment's (`AS_OF_MISMATCH`) and its statement carries the
   committed root sums as liabilities (`STATEMENT_MISMATCH`);
4. with the attestation (``assets.json``) given, it is the one the epoch binds and the statement
   is recomputed from it and the commitment (`verifier.binding`, SPEC 11.4 check 9).

Every failure is an `InvalidBundle` whose reason is the failed check's code (a proof that fails
SPEC 6 gives that check's code, e.g. ``ROOT_SUM_MISMATCH``).

Threat model: a bank that hands a user a proof against a commitment it never published in its
history (a per-user fork) must also produce a signed epoch and a log head including it; the log
head's root is what users compare (`--trusted-head`, or across users), so the fork is visible.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from verifier import canonical
from verifier.binding import check_as_of, check_statement, check_statement_liabilities, parse_attestation
from verifier.commitment import Commitment, commitment_hash, parse_commitment
from verifier.epoch import Epoch, LogHead, artifact_hash, verify_epoch, verify_log_head
from verifier.errors import InvalidBundle, InvalidEpoch, InvalidLogHead, InvalidProof, Reason, rebrand
from verifier.proof import Proof, ProofFacts, verify_proof
from verifier.schema import JSON, JSONObject, check_format, members
from verifier.signature import PublicKey
from verifier.steps import SKIPPED, Step, run_steps

__all__ = ["BUNDLE_CHECKS", "Bundle", "BundleFacts", "InvalidBundle", "is_bundle", "parse_bundle", "verify_bundle"]

BUNDLE_FORMAT = "pos-proof-bundle/1"
BUNDLE_MEMBERS = frozenset({"epoch", "format", "log_head", "proof", "type"})


@dataclass(frozen=True, slots=True)
class Bundle:
    """A proof bundle (SPEC 13): the user's proof, its signed epoch and the signed log head."""

    epoch: Epoch
    log_head: LogHead
    proof: Proof

    TYPE = "proof-bundle"

    def to_json(self) -> JSONObject:
        return {"epoch": self.epoch.to_json(), "format": BUNDLE_FORMAT, "log_head": self.log_head.to_json(),
                "proof": self.proof.to_json(), "type": self.TYPE}

    def to_bytes(self) -> bytes:
        return canonical.dump_file_bytes(self.to_json())

    @classmethod
    def parse(cls, doc: JSON) -> Bundle:
        """The bundle's members, then each part's own schema (errors keep the part's reason)."""
        members(check_format(doc, BUNDLE_FORMAT, cls.TYPE, InvalidBundle), BUNDLE_MEMBERS, "bundle", InvalidBundle)
        try:
            return cls(Epoch.parse(doc["epoch"]), LogHead.parse(doc["log_head"]), Proof.parse(doc["proof"]))
        except (InvalidEpoch, InvalidLogHead, InvalidProof) as exc:
            raise rebrand(exc, InvalidBundle) from None


@dataclass(frozen=True, slots=True)
class BundleFacts:
    proof: ProofFacts
    epoch: Epoch
    log_head: LogHead
    checked: tuple[str, ...] = field(default=(), compare=False)


def is_bundle(doc: JSON) -> bool:
    return isinstance(doc, dict) and doc.get("type") == "proof-bundle"


def parse_bundle(data: bytes | JSONObject) -> JSONObject:
    """Canonical encoding, version and members of a bundle (not its parts)."""
    doc = canonical.loads(bytes(data)) if isinstance(data, (bytes, bytearray)) else data
    return members(check_format(doc, BUNDLE_FORMAT, "proof-bundle", InvalidBundle), BUNDLE_MEMBERS, "bundle", InvalidBundle)


@dataclass
class BundleCheck:
    """Working state of SPEC 13's check list."""

    data: bytes | JSONObject | Bundle
    key: PublicKey
    commitment: bytes | JSONObject | Commitment | None = None
    expected_epoch: str | None = None
    expected_user: str | None = None
    attestation: JSON | None = None
    doc: JSONObject = field(default_factory=dict)
    facts: ProofFacts | None = None
    epoch: Epoch | None = None
    head: LogHead | None = None

    def parts(self) -> tuple[ProofFacts, Epoch, LogHead]:
        assert self.facts is not None and self.epoch is not None and self.head is not None, "every step ran"
        return self.facts, self.epoch, self.head


def check_bundle_members(state: BundleCheck) -> None:
    state.doc = state.data.to_json() if isinstance(state.data, Bundle) else parse_bundle(state.data)


def check_proof(state: BundleCheck) -> tuple[str, ...]:
    state.facts = verify_proof(state.doc["proof"], state.key, commitment=state.commitment,
                               expected_epoch=state.expected_epoch, expected_user=state.expected_user)
    return state.facts.checked


def check_epoch(state: BundleCheck) -> str:
    assert state.facts is not None
    epoch = state.epoch = verify_epoch(state.doc["epoch"], state.key)
    if epoch.epoch != state.facts.epoch:
        raise InvalidBundle(f"the bundle's epoch.json is for {epoch.epoch!r}, the proof for {state.facts.epoch!r}",
                            reason=Reason.BUNDLE_MISMATCH)
    if not hmac.compare_digest(epoch.liabilities_commitment, commitment_hash(state.doc["proof"]["commitment"])):
        raise InvalidBundle("epoch.json does not bind the commitment of this proof (liabilities_commitment differs)",
                            reason=Reason.BUNDLE_MISMATCH)
    return f"epoch {epoch.epoch} (sequence {epoch.sequence}) is signed by the bank and binds this proof's commitment"


def check_log_head(state: BundleCheck) -> str:
    epoch = state.epoch
    assert epoch is not None
    head = state.head = verify_log_head(state.doc["log_head"], state.key)
    if head.epoch != epoch.epoch or not hmac.compare_digest(head.epoch_hash, epoch.epoch_hash):
        raise InvalidBundle("the log head is not the head of this epoch", reason=Reason.BUNDLE_MISMATCH)
    if head.inclusion.leaf_index != epoch.sequence:
        raise InvalidBundle(f"the epoch with sequence {epoch.sequence} sits at log leaf {head.inclusion.leaf_index}",
                            reason=Reason.BUNDLE_MISMATCH)
    return (f"the epoch is entry {head.inclusion.leaf_index} of the bank's transparency log "
            f"(size {head.log_size}, root {head.log_root.hex()[:16]}...; RFC 9162 inclusion proof)")


def check_epoch_figures(state: BundleCheck) -> str:
    epoch = state.epoch
    assert epoch is not None
    commitment = parse_commitment(state.doc["proof"]["commitment"])
    check_as_of(epoch, commitment, InvalidBundle)
    check_statement_liabilities(epoch, commitment, InvalidBundle)
    return "the epoch's cut-off is the commitment's and its statement carries the committed liabilities"


def check_attestation(state: BundleCheck) -> str:
    epoch, doc = state.epoch, state.attestation
    assert epoch is not None
    if doc is None:
        return SKIPPED
    if epoch.asset_attestation is None or not hmac.compare_digest(artifact_hash(doc), epoch.asset_attestation):
        raise InvalidBundle("the given assets.json is not the attestation this epoch binds", reason=Reason.BUNDLE_MISMATCH)
    commitment = parse_commitment(state.doc["proof"]["commitment"])
    check_statement(epoch, commitment, parse_attestation(doc, "assets.json", InvalidBundle), InvalidBundle)
    return "the epoch's solvency statement is recomputed from the bound assets.json and the commitment"


# SPEC 13, in its order.
BUNDLE_CHECKS: tuple[Step[BundleCheck], ...] = (
    Step(f"proof bundle encoding and members ({BUNDLE_FORMAT})", check_bundle_members),
    Step("the proof passes every check of SPEC 6", check_proof),
    Step("epoch.json is signed by the bank and binds this proof's commitment", check_epoch),
    Step("the epoch is in the bank's transparency log", check_log_head),
    Step("the epoch's cut-off and statement agree with the commitment", check_epoch_figures),
    Step("the epoch's statement follows from the bound attestation", check_attestation),
)


def verify_bundle(
    data: bytes | JSONObject | Bundle,
    pinned_public_key: PublicKey,
    *,
    commitment: bytes | JSONObject | Commitment | None = None,
    expected_epoch: str | None = None,
    expected_user: str | None = None,
    attestation: JSON | None = None,
) -> BundleFacts:
    """SPEC 13: the proof's check list, then the epoch and log-head bindings, then the epoch's
    figures (with `attestation`, the decoded ``assets.json``, the statement recomputed from it).
    Raises `InvalidBundle`."""
    state = BundleCheck(data, pinned_public_key, commitment, expected_epoch, expected_user, attestation)
    checked = run_steps(BUNDLE_CHECKS, state, family=InvalidBundle)
    facts, epoch, head = state.parts()
    return BundleFacts(facts, epoch, head, checked)
