"""Reason codes and the two exception families of the verifier.

Every reason code of docs/SPEC.md is one member of `Reason`; an exception can only carry a code
listed here, so a misspelt code fails where it is raised, not in a user's script. The families map
to the CLI exit codes of SPEC 9:

* `VerificationError` (exit 1): the artifact was read and is *invalid*. Each artifact family
  (proof, commitment, epoch, log head, log proof, bundle, receipt, tree, history; the attestation
  in `verifier.assets`) subclasses it exactly once and is never subclassed further: the failed
  check is told by `reason`, not by the class. The instance carries the names of the checks that
  passed before it (`passed`, filled in by `verifier.steps.run_steps`).
* `CannotVerify` (exit 3): no verdict can be given: the file is unreadable, its format version is
  unknown, or it uses a feature this verifier does not support. Never treated as valid.
"""

from __future__ import annotations

import enum


class Reason(enum.StrEnum):
    """Every machine-readable reason code the verifier reports (SPEC 6, 7, 8.8, 9-13)."""

    @staticmethod
    def _generate_next_value_(name: str, start: int, count: int, last_values: list[str]) -> str:
        # A member's value is its own name: `Reason.ROOT_SUM_MISMATCH == "ROOT_SUM_MISMATCH"`.
        return name

    # Generic.
    UNSPECIFIED = enum.auto()
    INVALID = enum.auto()
    CANNOT_VERIFY = enum.auto()
    INTERNAL_ERROR = enum.auto()
    UNREADABLE = enum.auto()
    MISSING_FILE = enum.auto()
    BAD_KEY_FILE = enum.auto()
    SCHEMA = enum.auto()
    NON_CANONICAL_ENCODING = enum.auto()
    UNKNOWN_VERSION = enum.auto()
    UNSUPPORTED_VERSION = enum.auto()
    UNSUPPORTED_FEATURE = enum.auto()
    UNSUPPORTED_COMMITMENT_TYPE = enum.auto()
    UNSUPPORTED_PROOF = enum.auto()
    UNSUPPORTED_NETWORK = enum.auto()
    UNSUPPORTED_DESCRIPTOR = enum.auto()
    # Signatures (SPEC 2.3).
    BAD_SIGNATURE = enum.auto()
    WRONG_KEY = enum.auto()
    # Inclusion proofs (SPEC 6) and the full tree (SPEC 7).
    BAD_TREE_SHAPE = enum.auto()
    EPOCH_MISMATCH = enum.auto()
    COMMITMENT_MISMATCH = enum.auto()
    PATH_LENGTH = enum.auto()
    INDEX_RANGE = enum.auto()
    INDEX_ORDER = enum.auto()
    DUPLICATE_LEAF_INDEX = enum.auto()
    DUPLICATE_LEAF = enum.auto()
    SPLIT_MISMATCH = enum.auto()
    LEAF_VALUE_RANGE = enum.auto()
    BALANCE_MISMATCH = enum.auto()
    WRONG_USER = enum.auto()
    NEGATIVE_SUM = enum.auto()
    SUM_OUT_OF_RANGE = enum.auto()
    SUM_OVERFLOW = enum.auto()
    ROOT_HASH_MISMATCH = enum.auto()
    ROOT_SUM_MISMATCH = enum.auto()
    WRONG_EPOCH = enum.auto()
    LEAF_COUNT = enum.auto()
    NODE_DIGEST_MISMATCH = enum.auto()
    # Assets (SPEC 8.8, 8.9).
    ANCHOR_MISMATCH = enum.auto()
    ANCHOR_NOT_IN_CHAIN = enum.auto()
    ADDRESS_MISMATCH = enum.auto()
    BAD_PROOF_OF_CONTROL = enum.auto()
    BINDING_MISMATCH = enum.auto()
    CHALLENGE_MISMATCH = enum.auto()
    ESCROW_MISMATCH = enum.auto()
    MISSING_PROOF = enum.auto()
    STATEMENT_MISMATCH = enum.auto()
    TOTAL_MISMATCH = enum.auto()
    WRONG_NODE_KEY = enum.auto()
    BAD_UTXO_FILE = enum.auto()
    UTXO_AFTER_ANCHOR = enum.auto()
    UTXO_DATA_INCOMPLETE = enum.auto()
    UTXO_DATA_TOO_OLD = enum.auto()
    UTXO_MISMATCH = enum.auto()
    UTXO_NOT_FOUND = enum.auto()
    UTXO_SPENT_SINCE = enum.auto()
    # The anchor block and double counting (SPEC 8.8, issue 13).
    WRONG_NETWORK = enum.auto()
    ANCHOR_HEADER_MISMATCH = enum.auto()
    ANCHOR_POW_INVALID = enum.auto()
    ANCHOR_DIFFICULTY_TOO_LOW = enum.auto()
    ANCHOR_TOO_OLD = enum.auto()
    ANCHOR_AFTER_CUTOFF = enum.auto()
    DOUBLE_COUNTED = enum.auto()
    # Transparency log (SPEC 10).
    LOG_CONSISTENCY_INVALID = enum.auto()
    LOG_INCLUSION_INVALID = enum.auto()
    LOG_INDEX_RANGE = enum.auto()
    LOG_PROOF_MALFORMED = enum.auto()
    # Publication history (SPEC 11).
    EPOCH_SCHEMA = enum.auto()
    EPOCH_CHAIN_BROKEN = enum.auto()
    EPOCH_FORKED = enum.auto()
    EPOCH_GAP = enum.auto()
    LOG_FORKED = enum.auto()
    LOG_HEAD_MISMATCH = enum.auto()
    LOG_SIZE_DECREASED = enum.auto()
    NO_EPOCHS = enum.auto()
    ANCHOR_NOT_ADVANCING = enum.auto()
    AS_OF_MISMATCH = enum.auto()
    AS_OF_NOT_ADVANCING = enum.auto()
    DEFINITION_SCHEMA = enum.auto()
    DEFINITION_MISMATCH = enum.auto()
    DEFINITION_CHANGED = enum.auto()
    # Receipts (SPEC 12) and bundles (SPEC 13).
    MALFORMED_PROOF = enum.auto()
    RECEIPT_SCHEMA = enum.auto()
    RECEIPT_COMMITMENT_MISMATCH = enum.auto()
    RECEIPT_PROOF_MISMATCH = enum.auto()
    BUNDLE_SCHEMA = enum.auto()
    BUNDLE_MISMATCH = enum.auto()


class _Reasoned(Exception):
    """An exception with a `Reason`, a plain-words message and the checks passed before it."""

    default_reason: Reason = Reason.UNSPECIFIED

    def __init__(self, message: str, *, reason: Reason | str | None = None, passed: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        # Reason(...) refuses a code that is not in the enum: every code is declared once, above.
        self.reason: Reason = Reason(reason if reason is not None else self.default_reason)
        self.message = message
        self.passed = passed

    @property
    def checked(self) -> tuple[str, ...]:
        """The checks passed before this failure (an older name of `passed`)."""
        return self.passed

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


class VerificationError(_Reasoned):
    """The artifact is invalid. One subclass per artifact family; `reason` names the failed check."""

    default_reason = Reason.INVALID


class CannotVerify(_Reasoned):
    """No verdict: unreadable input, unknown format version, or an unsupported feature."""

    default_reason = Reason.CANNOT_VERIFY


class InvalidCommitment(VerificationError):
    """A liabilities commitment is malformed or its root sums are out of range (SPEC 4)."""

    default_reason = Reason.SCHEMA


class InvalidProof(VerificationError):
    """An inclusion proof fails a check of SPEC 6; `reason` names which."""

    default_reason = Reason.SCHEMA


class InvalidTree(VerificationError):
    """The full-tree recomputation from the leaf layer fails (SPEC 7)."""

    default_reason = Reason.SCHEMA


class InvalidLog(VerificationError):
    """A transparency-log inclusion or consistency proof is malformed or does not hold (SPEC 10)."""

    default_reason = Reason.LOG_PROOF_MALFORMED


class InvalidEpoch(VerificationError):
    """An epoch commitment ``epoch.json`` is malformed or unsigned (SPEC 11.2)."""

    default_reason = Reason.EPOCH_SCHEMA


class InvalidLogHead(VerificationError):
    """A signed log head ``log-head.json`` is malformed, unsigned or its proofs fail (SPEC 11.3)."""

    default_reason = Reason.EPOCH_SCHEMA


class InvalidHistory(VerificationError):
    """A publication history fails a check of SPEC 11.4."""

    default_reason = Reason.EPOCH_SCHEMA


class InvalidDefinition(VerificationError):
    """A published balance definition ``definition.json`` is malformed (SPEC 11.6)."""

    default_reason = Reason.DEFINITION_SCHEMA


class InvalidReceipt(VerificationError):
    """A balance receipt fails a check of SPEC 12."""

    default_reason = Reason.RECEIPT_SCHEMA


class InvalidBundle(VerificationError):
    """A proof bundle fails a check of SPEC 13 (its proof's own failures are `InvalidProof`)."""

    default_reason = Reason.BUNDLE_SCHEMA


def rebrand(exc: VerificationError, family: type[VerificationError], prefix: str = "") -> VerificationError:
    """`exc` as an error of `family` with the same reason and passed checks (`exc` itself if it is one).

    A check list reports every failure in its own family: a bad signature inside a proof is an
    `InvalidProof` with reason ``BAD_SIGNATURE``, not a `SignatureInvalid`.
    """
    if type(exc) is family and not prefix:
        return exc
    return family(prefix + exc.message, reason=exc.reason, passed=exc.passed)
