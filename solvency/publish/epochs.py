"""Sealing an epoch: the signed `epoch.json`, the log append and the signed `log-head.json`
(docs/SPEC.md section 11).

The transparency log of the bank is the pymerkle database in the newest epoch's
`private/log.db`. Sealing copies it into the new epoch's staging directory and appends there, so
the log and the epochs can never disagree after a crash: the rename that publishes the epoch is
also the one that publishes the grown log.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from solvency.keys import public_key_of, sign
from solvency.translog import TransparencyLog
from verifier import canonical
from verifier.commitment import Commitment, commitment_hash
from verifier.definition import Definition, InvalidDefinition
from verifier.epoch import Epoch, LogHead, Previous, artifact_hash, verify_epoch
from verifier.history import DEFINITION_FILE, epoch_dirs, public_dir, read_artifact, verify_epoch_dir
from verifier.schema import Artifact, UtcTime
from verifier.signature import SignedArtifact, key_id

LOG_FILE = "log.db"


class PublishError(Exception):
    """The epoch cannot be published (conflicting id, broken previous epoch, ...)."""


@dataclass(frozen=True, slots=True)
class PreviousEpoch:
    epoch: str
    sequence: int
    epoch_hash: bytes
    log_size: int
    log_path: Path


def latest_epoch(pubdir: Path, private_key: Ed25519PrivateKey) -> PreviousEpoch | None:
    """The newest published epoch, re-verified with the bank's own key before building on it."""
    if not pubdir.is_dir() or not any(
        p.is_dir() and not p.name.startswith(".") and (public_dir(p) / "epoch.json").is_file() for p in pubdir.iterdir()
    ):
        return None
    pairs = [verify_epoch_dir(d, public_key_of(private_key)) for d in epoch_dirs(pubdir)]
    epoch, head = max(pairs, key=lambda pair: pair[0].sequence)
    log_path = pubdir / epoch.epoch / "private" / LOG_FILE
    if not log_path.is_file():
        raise PublishError(f"{log_path}: the transparency log of the latest epoch is missing")
    return PreviousEpoch(epoch.epoch, epoch.sequence, epoch.epoch_hash, head.log_size, log_path)


def published_definition(canonical_form: bytes, content_hash: str) -> Definition:
    """The verifier's `Definition` of a ledger definition's canonical bytes (SPEC 11.6), refused
    unless it hashes to the ledger's `content_hash`: the published bytes are the hashed bytes."""
    try:
        definition = Definition.from_bytes(canonical_form)
    except (InvalidDefinition, canonical.NonCanonical) as exc:
        raise PublishError(f"the balance definition has no canonical published form: {exc}") from None
    if definition.canonical() != canonical_form or definition.content_hash.hex() != content_hash:
        raise PublishError("the balance definition's published form does not hash to the ledger's content hash")
    return definition


def write_artifact(path: Path, artifact: Artifact | dict[str, Any]) -> None:
    """Write a typed artifact (or a JSON object read from elsewhere) as its canonical file bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(canonical.dump_file_bytes(artifact) if isinstance(artifact, dict) else artifact.to_bytes())


def seal_epoch(
    staging: Path,
    previous: PreviousEpoch | None,
    *,
    epoch: str,
    as_of: str,
    commitment: Commitment | dict[str, Any],
    attestation: SignedArtifact | dict[str, Any] | None,
    solvency: Any,
    private_key: Ed25519PrivateKey,
) -> tuple[Epoch, LogHead]:
    """Write `public/epoch.json`, `public/log-head.json` and `private/log.db` into `staging`."""
    if previous is not None and previous.epoch == epoch:
        raise PublishError(f"epoch {epoch!r} is already published")
    signer = key_id(public_key_of(private_key))
    sequence = 0 if previous is None else previous.sequence + 1
    epoch_doc = sign(Epoch(
        epoch=epoch, sequence=sequence, as_of=UtcTime(as_of), liabilities_commitment=commitment_hash(commitment),
        asset_attestation=None if attestation is None else artifact_hash(attestation), solvency=solvency,
        previous=None if previous is None else Previous(previous.epoch, previous.epoch_hash), signer_key_id=signer,
    ), private_key)
    verify_epoch(epoch_doc, public_key_of(private_key))
    epoch_hash = epoch_doc.epoch_hash

    log_path = staging / "private" / LOG_FILE
    log_path.parent.mkdir(parents=True, exist_ok=True)
    if previous is not None:
        shutil.copyfile(previous.log_path, log_path)
    with TransparencyLog(log_path) as log:
        if log.size != sequence:
            raise PublishError(f"the transparency log holds {log.size} entries but {sequence} epochs are published")
        index = log.append(epoch_hash)
        head = LogHead(
            epoch=epoch, epoch_hash=epoch_hash, log_size=log.size, log_root=log.root(), inclusion=log.prove_inclusion(index),
            consistency=log.prove_consistency(previous.log_size) if previous is not None else None, signer_key_id=signer,
        )
    head_doc = sign(head, private_key)
    write_artifact(staging / "public" / "epoch.json", epoch_doc)
    write_artifact(staging / "public" / "log-head.json", head_doc)
    return epoch_doc, head_doc


__all__ = ["DEFINITION_FILE", "PublishError", "PreviousEpoch", "latest_epoch", "published_definition", "seal_epoch",
           "write_artifact", "read_artifact"]
