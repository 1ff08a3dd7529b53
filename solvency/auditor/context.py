"""The inputs of one epoch's audit (`Audit`), loaded lazily and once, and the two outcomes a
check can have besides passing: `Skip` (an input was not given) and `AuditMismatch` (the
publication disagrees with the ledger or with itself, with the auditor's own reason code; the
verifier's `VerificationError` carries the verifier's codes, this one the audit's).

Threat model: every file is the bank's and may be hostile. Public files are parsed strictly by
the verifier; the ledger is opened read-only in intent (``create=False``) and only through the
`Store` interface; nothing is trusted until a check has verified it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.definitions import BalanceDefinition, load_definitions
from ledger.open import open_store
from ledger.store import Store
from solvency.auditor.publication import EpochPaths, PublicFiles, locate_epoch, read_public
from verifier.full_tree import LeafLayer, load_leaf_layer
from verifier.signature import load_public_key


class AuditMismatch(Exception):
    """The publication disagrees with the ledger or with itself: a FAIL with the audit's `reason`."""

    default_reason = "AUDIT_MISMATCH"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason if reason is not None else self.default_reason


class Skip(Exception):
    """The check needs an input that was not given."""


class Audit:
    """The inputs of one epoch's audit, loaded once and shared by the checks."""

    def __init__(
        self,
        pubdir: str | os.PathLike[str],
        key: str | os.PathLike[str] | bytes | Ed25519PublicKey,
        epoch: str | None = None,
        *,
        ledger: str | None = None,
        definitions: str | None = None,
        leaves: str | os.PathLike[str] | None = None,
        proofs: str | os.PathLike[str] | None = None,
        trusted_heads: tuple[str | os.PathLike[str], ...] = (),
        sample: int = 20,
        seed: int = 0,
    ) -> None:
        self.pubdir = Path(pubdir)
        self.key = load_public_key(key)
        self.paths: EpochPaths = locate_epoch(self.pubdir, epoch)
        self.epoch = self.paths.name
        self.leaves_path = Path(leaves) if leaves is not None else self.paths.leaves
        self.proofs_path = Path(proofs) if proofs is not None else self.paths.proofs
        self.ledger_uri = None if ledger is None else str(ledger)
        self.definitions_file = None if definitions is None else str(definitions)
        self.trusted_heads = tuple(trusted_heads)
        if type(sample) is not int or sample < 0:
            raise ValueError("sample must be a non-negative integer")
        self.sample = sample
        self.seed = seed
        self.caveats: list[str] = []
        self._store: Store | None = None

    def __enter__(self) -> Audit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    @cached_property
    def public(self) -> PublicFiles:
        return read_public(self.paths)

    @cached_property
    def layer(self) -> LeafLayer:
        if self.leaves_path is None:
            raise Skip("no leaf export (private/leaves.bin or leaves.parquet) was given")
        return load_leaf_layer(self.leaves_path, self.public.commitment)

    @property
    def store(self) -> Store:
        if self.ledger_uri is None:
            raise Skip("no ledger was given")
        if self._store is None:
            self._store = open_store(self.ledger_uri, create=False)
        return self._store

    @cached_property
    def definition(self) -> BalanceDefinition:
        """The ledger's balance definition the commitment names (checked against its hash)."""
        named = self.public.commitment.balance_definition
        if named is None:
            raise AuditMismatch("the commitment names no balance definition: it cannot be tied to the ledger",
                                reason="NO_DEFINITION")
        # Bound to the ledger's bank roles and read policies, as the prover bound it.
        definitions = self.store.bind_definitions(load_definitions(self.definitions_file))
        if named.name not in definitions:
            raise AuditMismatch(f"the commitment's definition {named.name!r} is not in the definitions file "
                                f"({', '.join(sorted(definitions))})", reason="UNKNOWN_DEFINITION")
        chosen = definitions[named.name]
        if chosen.content_hash != named.content_hash.hex():
            raise AuditMismatch(f"definition {chosen.name!r}: the ledger's content hash {chosen.content_hash} differs from "
                                f"the committed {named.content_hash.hex()}: the bank used another definition",
                                reason="DEFINITION_MISMATCH")
        return chosen

    @cached_property
    def ledger_balances(self) -> list[tuple[str, str, int]]:
        store = self.store  # no ledger: skipped before anything else is looked at
        # The definition must be the committed one before its balances mean anything.
        return list(store.user_balances(self.definition, self.public.commitment.as_of))


def sums_text(assets: Iterable[str], values: Iterable[object]) -> str:
    return ", ".join(f"{a} {v}" for a, v in zip(assets, values))
