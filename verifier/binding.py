"""What an epoch's signed figures must agree with (docs/SPEC.md 11.2, 11.4 checks 7-9, 13 checks 5-6).

An epoch (`epoch.json`) repeats figures that other artifacts establish: its cut-off ``as_of`` is
the commitment's, its solvency statement follows from the bound attestation's lists and the
commitment's root sums (SPEC 8.7), the attestation's copy of the liabilities is the commitment,
and the commitment's ``balance_definition`` names the published ``definition.json`` by hash.
These functions check each agreement and raise the caller's error family (`InvalidHistory`,
`InvalidBundle`) with the SPEC's reason, so `history`, the bundle check and the prover's
self-check apply one rule.

Threat model: a bank holding its own key can re-sign any single artifact; only a comparison
between artifacts catches an inflated statement, a statement dropped to ``null``, liabilities
copied wrong into the attestation, a cut-off that differs from the commitment's, or other
definition bytes than the hashed ones. The attestation's own evidence (proofs of control, node
signature, UTXOs) is SPEC 8.8's business (`solvency-verify assets`), not this module's.
"""

from __future__ import annotations

import hmac

from verifier import canonical
from verifier.assets.artifact import Attestation, Statement
from verifier.assets.errors import InvalidAttestation
from verifier.assets.statement import attestation_totals, solvency_statement
from verifier.commitment import Commitment, commitment_hash
from verifier.definition import Definition, InvalidDefinition
from verifier.epoch import Epoch
from verifier.errors import Reason, VerificationError, rebrand
from verifier.schema import JSON

__all__ = ["check_as_of", "check_definition", "check_statement", "check_statement_liabilities", "parse_attestation"]

Family = type[VerificationError]


def check_as_of(epoch: Epoch, commitment: Commitment, family: Family) -> None:
    """SPEC 11.4 check 7: the epoch's cut-off is its commitment's."""
    if epoch.as_of != commitment.as_of:
        raise family(f"epoch.json's as_of {epoch.as_of} differs from commitment.json's {commitment.as_of}",
                     reason=Reason.AS_OF_MISMATCH)


def check_definition(commitment: Commitment, data: bytes | None, where: str, family: Family) -> Definition | None:
    """SPEC 11.4 check 8: `data` (the bytes of ``definition.json``, None when absent) is the
    definition the commitment names. Returns it (None when the commitment names none)."""
    named = commitment.balance_definition
    if named is None:
        if data is not None:
            raise family(f"{where}: published, but the commitment names no balance definition", reason=Reason.DEFINITION_MISMATCH)
        return None
    if data is None:
        raise family(f"{where}: missing; the commitment names balance definition {named.name!r}", reason=Reason.MISSING_FILE)
    try:
        definition = Definition.from_bytes(data)
    except (InvalidDefinition, canonical.NonCanonical) as exc:
        raise rebrand(exc, family, f"{where}: ") from None
    if not hmac.compare_digest(definition.content_hash, named.content_hash) or definition.name != named.name:
        raise family(f"{where}: {definition.name!r} with content hash {definition.content_hash.hex()} is not the definition "
                     f"the commitment names ({named.name!r}, {named.content_hash.hex()})", reason=Reason.DEFINITION_MISMATCH)
    return definition


def parse_attestation(doc: JSON, where: str, family: Family) -> Attestation:
    """``assets.json``'s schema (SPEC 8.6; `doc` as `canonical.loads` returned it), its errors in
    the caller's family."""
    try:
        return Attestation.parse(doc)
    except (InvalidAttestation, canonical.NonCanonical) as exc:
        raise rebrand(exc, family, f"{where}: ") from None


def _rows_follow(statement: Statement, commitment: Commitment) -> bool:
    owed = dict(zip(commitment.assets, commitment.root_sums, strict=True))
    expected = [*commitment.assets, *(() if "BTC" in owed else ("BTC",))]
    return [r.currency for r in statement.rows] == expected and all(
        r.liabilities == owed.get(r.currency, 0) and r.margin == r.held - r.liabilities for r in statement.rows)


def check_statement_liabilities(epoch: Epoch, commitment: Commitment, family: Family) -> None:
    """SPEC 13 check 5: without the attestation, the statement's liabilities are the root sums."""
    if epoch.solvency is None:
        return
    statement = Statement.parse(epoch.solvency)
    if not _rows_follow(statement, commitment):
        raise family("epoch.json's solvency statement does not carry the commitment's root sums as liabilities "
                     "(or a margin is not assets - liabilities)", reason=Reason.STATEMENT_MISMATCH)


def check_statement(epoch: Epoch, commitment: Commitment, attestation: Attestation, family: Family) -> Statement:
    """SPEC 11.4 check 9: the attestation answers this commitment, and the statement recomputed
    from its lists and the root sums is the one both the attestation and the epoch carry."""
    copy = attestation.commitment
    if attestation.epoch != epoch.epoch:
        raise family(f"assets.json is for epoch {attestation.epoch!r}", reason=Reason.EPOCH_MISMATCH)
    if (copy.hash, copy.epoch, copy.currencies, copy.root_sums) != (
            commitment_hash(commitment).hex(), commitment.epoch, commitment.assets, commitment.root_sums):
        raise family("assets.json's copy of the liabilities (commitment hash, epoch, assets, root sums) differs from "
                     "commitment.json", reason=Reason.COMMITMENT_MISMATCH)
    try:
        totals = attestation_totals(attestation)
    except InvalidAttestation as exc:
        raise rebrand(exc, family, "assets.json: ") from None
    expected = solvency_statement(totals, commitment.assets, commitment.root_sums, attestation.statement.price)
    if attestation.statement != expected:
        raise family("assets.json's statement does not follow from its lists and the commitment's root sums",
                     reason=Reason.STATEMENT_MISMATCH)
    if epoch.solvency != expected.to_json():
        raise family("epoch.json's solvency statement is not the one recomputed from assets.json and commitment.json",
                     reason=Reason.STATEMENT_MISMATCH)
    return expected
