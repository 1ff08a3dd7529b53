"""Checking a bank's whole publication history (docs/SPEC.md section 11.4).

`verify_history(pubdir, key)` reads every epoch under `pubdir` and checks, in order: each
`epoch.json` and `log-head.json` signature under the pinned key; that each epoch's liabilities
commitment (and asset attestation, when bound) is the file published beside it; the
previous-hash chain; that sequence numbers run 0, 1, 2, ... without gaps or duplicates; that
epoch *i* sits at leaf *i* of a log of size *i + 1*; and every consistency proof from one head to
the next. It never reads an epoch's `private/` directory.
"""

from __future__ import annotations

import hmac
import os
from pathlib import Path
from typing import Any

from verifier import canonical
from verifier.commitment import commitment_hash, verify_commitment
from verifier.epoch import Epoch, InvalidEpoch, LogHead, artifact_hash, verify_epoch, verify_log_head
from verifier.errors import CannotVerify

PUBLIC_FILES = ("epoch.json", "log-head.json", "commitment.json")


def public_dir(epoch_dir: Path) -> Path:
    """An epoch's public files live in `<epoch>/public/`, or directly in `<epoch>/` on a mirror."""
    candidate = epoch_dir / "public"
    return candidate if candidate.is_dir() else epoch_dir


def read_artifact(path: Path) -> Any:
    """Read one canonical-JSON artifact; a missing file is an incomplete publication (invalid)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvalidEpoch(f"{path}: missing from the publication", reason="MISSING_FILE") from None
    except OSError as exc:
        raise CannotVerify(f"{path}: cannot read: {exc.strerror or exc}", reason="UNREADABLE") from None
    try:
        return canonical.loads(data)
    except canonical.NonCanonical as exc:
        raise canonical.NonCanonical(f"{path}: {exc.message}") from None


def epoch_dirs(pubdir: Path) -> list[Path]:
    if not pubdir.is_dir():
        raise CannotVerify(f"{pubdir}: not a directory", reason="UNREADABLE")
    # Names starting with "." are the prover's working and staging directories, never epochs.
    found = [p for p in sorted(pubdir.iterdir())
             if p.is_dir() and not p.name.startswith(".") and (public_dir(p) / "epoch.json").is_file()]
    if not found:
        raise CannotVerify(f"{pubdir}: no epoch directories (expected <epoch>/public/epoch.json)", reason="NO_EPOCHS")
    return found


def verify_epoch_dir(epoch_dir: Path, pinned_public_key) -> tuple[Epoch, LogHead]:
    """One epoch's own checks: signatures, bound files, and its log head."""
    return verify_epoch_public(public_dir(epoch_dir), epoch_dir.name, pinned_public_key)


def verify_epoch_public(public: Path, name: str, pinned_public_key) -> tuple[Epoch, LogHead]:
    """The checks of `verify_epoch_dir` on a directory of public files for the epoch `name`
    (the prover runs them on its staging directory before publishing)."""
    epoch_dir = public
    epoch = verify_epoch(read_artifact(public / "epoch.json"), pinned_public_key)
    if epoch.epoch != name:
        raise InvalidEpoch(f"{epoch_dir}: directory name differs from epoch id {epoch.epoch!r}", reason="EPOCH_MISMATCH")
    commitment_doc = read_artifact(public / "commitment.json")
    commitment = verify_commitment(commitment_doc, pinned_public_key)
    if commitment.epoch != epoch.epoch:
        raise InvalidEpoch(f"{public}/commitment.json is for epoch {commitment.epoch!r}", reason="EPOCH_MISMATCH")
    if not hmac.compare_digest(commitment_hash(commitment_doc), epoch.liabilities_commitment):
        raise InvalidEpoch(f"{public}/commitment.json is not the commitment epoch.json binds", reason="BINDING_MISMATCH")
    if epoch.asset_attestation is not None:
        attestation = read_artifact(public / "assets.json")
        if not hmac.compare_digest(artifact_hash(attestation), epoch.asset_attestation):
            raise InvalidEpoch(f"{public}/assets.json is not the attestation epoch.json binds", reason="BINDING_MISMATCH")
    head = verify_log_head(read_artifact(public / "log-head.json"), pinned_public_key)
    if head.epoch != epoch.epoch or not hmac.compare_digest(head.epoch_hash, epoch.epoch_hash):
        raise InvalidEpoch(f"{public}/log-head.json is not the log head of this epoch", reason="LOG_HEAD_MISMATCH")
    if head.log_size != epoch.sequence + 1 or head.inclusion.leaf_index != epoch.sequence:
        raise InvalidEpoch(
            f"{public}/log-head.json: epoch {epoch.sequence} must be leaf {epoch.sequence} of a log of "
            f"{epoch.sequence + 1}, got leaf {head.inclusion.leaf_index} of {head.log_size}",
            reason="LOG_HEAD_MISMATCH",
        )
    return epoch, head


def verify_history(pubdir: str | os.PathLike[str], pinned_public_key, trusted_heads: tuple[Any, ...] = ()) -> dict[str, Any]:
    """Check every epoch and the links between them; return the facts established.

    `trusted_heads` are log-head documents the caller saw earlier (kept from a previous check, or
    obtained from another user). Each must be the head of the same-sized log in this history,
    which catches a bank that rewrote its whole history consistently after the fact.
    """
    pubdir = Path(pubdir)
    epochs = sorted((verify_epoch_dir(d, pinned_public_key) for d in epoch_dirs(pubdir)), key=lambda pair: pair[0].sequence)
    previous: tuple[Epoch, LogHead] | None = None
    for position, (epoch, head) in enumerate(epochs):
        if epoch.sequence != position:
            if previous is not None and epoch.sequence == previous[0].sequence:
                raise InvalidEpoch(
                    f"epochs {previous[0].epoch!r} and {epoch.epoch!r} both claim sequence {epoch.sequence}",
                    reason="EPOCH_FORKED",
                )
            raise InvalidEpoch(f"epoch sequence {position} is missing (next is {epoch.sequence})", reason="EPOCH_GAP")
        if previous is not None:
            prev_epoch, prev_head = previous
            if epoch.previous_epoch != prev_epoch.epoch or not hmac.compare_digest(epoch.previous_hash, prev_epoch.epoch_hash):
                raise InvalidEpoch(
                    f"epoch {epoch.epoch!r} does not link to the published epoch {prev_epoch.epoch!r} "
                    "(it was rewritten, or this epoch belongs to another history)",
                    reason="EPOCH_CHAIN_BROKEN",
                )
            proof = head.consistency
            if proof is None or proof.first_size != prev_head.log_size or not hmac.compare_digest(proof.first_root, prev_head.log_root):
                raise InvalidEpoch(
                    f"the log head of {epoch.epoch!r} does not prove consistency with the head of {prev_epoch.epoch!r}",
                    reason="LOG_CONSISTENCY_INVALID",
                )
        previous = (epoch, head)
    for doc in trusted_heads:
        seen = verify_log_head(doc, pinned_public_key)
        if seen.log_size > len(epochs):
            raise InvalidEpoch(
                f"a log head of size {seen.log_size} was seen before but only {len(epochs)} epochs are published",
                reason="LOG_FORKED",
            )
        _, current = epochs[seen.log_size - 1]
        if not hmac.compare_digest(current.log_root, seen.log_root):
            raise InvalidEpoch(
                f"the log of size {seen.log_size} had root {seen.log_root.hex()} when it was seen before, "
                f"now {current.log_root.hex()}: the published history was rewritten",
                reason="LOG_FORKED",
            )
    last_epoch, last_head = epochs[-1]
    return {
        "epochs": [e.epoch for e, _ in epochs],
        "latest_epoch": last_epoch.epoch,
        "log_size": last_head.log_size,
        "log_root": last_head.log_root.hex(),
    }
