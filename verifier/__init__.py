"""The standalone verifier: what users and auditors run.

It implements docs/SPEC.md and nothing else. It depends only on the standard library, cryptography,
click and secp256k1/bitcoin-script libraries (coincurve, embit); it never imports `ledger`,
`solvency`, pandas, pymongo, pymerkle or prometheus_client (an import-linter contract and a test
enforce this).

The public recipes, one per SPEC check list; each returns facts on success and raises the
artifact family's `VerificationError` subclass (whose ``reason`` is the SPEC's code and whose
``passed`` lists the checks before the failure) or `CannotVerify` (exit 3); none returns a bool:

* `verify_proof` -- a user's inclusion proof (SPEC 6);
* `verify_bundle` -- a proof bundle: the proof, its epoch and its log head (SPEC 13);
* `verify_commitment` -- a liabilities commitment and its signature (SPEC 4, 2.3);
* `verify_tree` -- the full tree recomputed from the leaf layer (SPEC 7);
* `verify_epoch` -- an epoch commitment ``epoch.json`` (SPEC 11.2);
* `verify_log_head` -- a signed log head and its log proofs (SPEC 11.3, 10);
* `verify_history` -- a whole publication directory (SPEC 11.4); `published_epoch` -- one epoch
  of a verified history, to compare a user's proof with (SPEC 11.6, 13);
* `verify_receipt` -- a signed balance receipt (SPEC 12);
* `verify_attestation` -- the asset attestation (SPEC 8.8).

The typed artifacts, each with a strict ``parse`` and an exact ``to_json``: `Commitment`,
`Proof`, `Epoch`, `LogHead`, `Bundle`, `Receipt`, `Definition` (the published balance
definition, SPEC 11.6) (and the log proofs `LogInclusion`, `LogConsistency`). Everything is imported on first use, so ``import verifier`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

from verifier.errors import (
    CannotVerify,
    InvalidBundle,
    InvalidCommitment,
    InvalidDefinition,
    InvalidEpoch,
    InvalidHistory,
    InvalidLog,
    InvalidLogHead,
    InvalidProof,
    InvalidReceipt,
    InvalidTree,
    Reason,
    VerificationError,
)

# name -> module that defines it.
_LAZY = {
    "verify_proof": "verifier.proof",
    "verify_bundle": "verifier.bundle",
    "verify_commitment": "verifier.commitment",
    "verify_tree": "verifier.full_tree",
    "verify_epoch": "verifier.epoch",
    "verify_log_head": "verifier.epoch",
    "verify_history": "verifier.history",
    "published_epoch": "verifier.history",
    "verify_receipt": "verifier.receipt",
    "verify_attestation": "verifier.assets.attestation",
    "Commitment": "verifier.commitment",
    "Proof": "verifier.proof",
    "Epoch": "verifier.epoch",
    "LogHead": "verifier.epoch",
    "Bundle": "verifier.bundle",
    "Receipt": "verifier.receipt",
    "Definition": "verifier.definition",
    "LogInclusion": "verifier.translog",
    "LogConsistency": "verifier.translog",
    "Signature": "verifier.signature",
    "UtcTime": "verifier.schema",
}

__all__ = [
    "CannotVerify",
    "InvalidBundle",
    "InvalidCommitment",
    "InvalidDefinition",
    "InvalidEpoch",
    "InvalidHistory",
    "InvalidLog",
    "InvalidLogHead",
    "InvalidProof",
    "InvalidReceipt",
    "InvalidTree",
    "Reason",
    "VerificationError",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    # Lazy library API: `verifier.verify_proof(...)` without importing every module eagerly.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'verifier' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
