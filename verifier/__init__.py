"""The standalone verifier: what users and auditors run.

It implements docs/SPEC.md and nothing else. It depends only on the standard library, cryptography,
click and secp256k1/bitcoin-script libraries (coincurve, embit); it never imports `ledger`,
`solvency`, pandas, pymongo, pymerkle or prometheus_client (an import-linter contract and a test
enforce this). Every `verify_*` function returns facts on success and raises a specific
`VerificationError` subclass (a named reason code) on failure; none returns a bare bool.
"""

from verifier.errors import CannotVerify, VerificationError

__all__ = ["CannotVerify", "VerificationError"]


def __getattr__(name: str):
    # Lazy library API: `verifier.verify_proof(...)` without importing the proof module eagerly.
    if name in ("verify_proof", "InvalidProof"):
        from verifier import proof

        return getattr(proof, name)
    raise AttributeError(f"module 'verifier' has no attribute {name!r}")
