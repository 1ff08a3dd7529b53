"""Exceptions of the verifier.

Two families, mapped to the CLI exit codes of docs/SPEC.md:

* `VerificationError` (exit 1): the artifact was read and is *invalid*. Each subclass or instance
  carries a stable reason code (e.g. ``ROOT_SUM_MISMATCH``) listed in the spec.
* `CannotVerify` (exit 3): no verdict can be given: the file is unreadable, its format version is
  unknown, or it uses a feature this verifier does not support. Never treated as valid.
"""

from __future__ import annotations


class _Reasoned(Exception):
    """An exception with a stable, machine-readable reason code and a plain-words message."""

    default_reason = "UNSPECIFIED"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or self.default_reason
        self.message = message

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


class VerificationError(_Reasoned):
    """The artifact is invalid. Subclasses name the artifact kind; `reason` names the failed check."""

    default_reason = "INVALID"


class CannotVerify(_Reasoned):
    """No verdict: unreadable input, unknown format version, or an unsupported feature."""

    default_reason = "CANNOT_VERIFY"
