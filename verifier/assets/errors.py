"""The one exception family of the bitcoin wing (docs/SPEC.md 8.8, 8.9).

Every check of the asset attestation -- schema, signatures, proofs of control, escrow, totals,
statement, the auditor's UTXO data -- raises `InvalidAttestation` with a `Reason` naming the failed
rule, or the verifier's `CannotVerify` when no verdict can be given (unsupported proof, script,
descriptor, network or commitment type; unreadable or incomplete UTXO data). There are no
per-reason subclasses: callers branch on ``exc.reason``, never on the class, so a new rule is a
new reason code, not a new class.
"""

from __future__ import annotations

from verifier.errors import CannotVerify, Reason, VerificationError

__all__ = ["CannotVerify", "InvalidAttestation", "Reason"]


class InvalidAttestation(VerificationError):
    """The asset attestation, or a part of it (a proof, a channel, a UTXO), is invalid; see `reason`."""

    default_reason = Reason.SCHEMA


def bad_proof(message: str, reason: Reason = Reason.BAD_PROOF_OF_CONTROL) -> InvalidAttestation:
    """A proof of control or node signature that does not verify (or ``MALFORMED_PROOF`` text)."""
    return InvalidAttestation(message, reason=reason)
