"""Checking a bank's whole publication history (docs/SPEC.md section 11.4).

`verify_history(pubdir, key)` runs `HISTORY_CHECKS` in SPEC 11.4's order: every epoch's own
checks (`EPOCH_DIR_CHECKS`: `epoch.json`, `commitment.json` and `log-head.json` parse and are
signed by the pinned key, they name the directory's epoch, the epoch's cut-off is its
commitment's, `definition.json` is the balance definition the commitment names by hash, the
epoch binds the commitment and attestation published beside it and its solvency statement is the
one recomputed from them (`verifier.binding`), and its head puts it at leaf *i* of a log of size
*i + 1*); then that sequence numbers run 0, 1, 2, ... without gaps or duplicates; the
previous-hash chain and every consistency proof from one head to the next; that cut-offs advance;
every change of balance definition between epochs (a finding, or a failure with
`strict_definitions`); and every trusted head the caller kept. Every failure is an
`InvalidHistory` carrying the failed check's reason. It never reads an epoch's `private/`
directory. `published_epoch` returns one epoch of a verified history for a user's proof.

Threat model: the bank may edit, drop, reorder or re-sign any published file. An edit breaks a
signature or a binding hash; a dropped or duplicated epoch breaks the sequence; a rewritten
epoch breaks the hash chain or the log's consistency; a history rewritten and re-signed whole is
caught only against a log head the user kept from before (`trusted_heads`). A bank holding its
key can re-sign an inflated or dropped statement, a cut-off that goes backwards or differs from
the commitment's, or a narrowed definition under the same name: the comparisons between the
artifacts refuse the first ones and name the last.
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from verifier import canonical
from verifier.assets.artifact import Attestation
from verifier.binding import check_as_of, check_definition, check_statement, parse_attestation
from verifier.commitment import Commitment, verify_commitment
from verifier.definition import Definition, changes
from verifier.epoch import Epoch, LogHead, artifact_hash, verify_epoch, verify_log_head
from verifier.errors import CannotVerify, InvalidHistory, Reason, rebrand
from verifier.schema import JSON, JSONObject
from verifier.signature import PublicKey
from verifier.steps import SKIPPED, Step, run_steps

__all__ = ["DEFINITION_FILE", "EPOCH_DIR_CHECKS", "HISTORY_CHECKS", "InvalidHistory", "PublishedEpoch", "epoch_dirs",
           "public_dir", "published_epoch", "read_artifact", "verify_epoch_dir", "verify_epoch_public", "verify_history"]

PUBLIC_FILES = ("epoch.json", "log-head.json", "commitment.json")
DEFINITION_FILE = "definition.json"


def public_dir(epoch_dir: Path) -> Path:
    """An epoch's public files live in `<epoch>/public/`, or directly in `<epoch>/` on a mirror."""
    candidate = epoch_dir / "public"
    return candidate if candidate.is_dir() else epoch_dir


def read_artifact(path: Path) -> JSON:
    """Read one canonical-JSON artifact; a missing file is an incomplete publication (invalid)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvalidHistory(f"{path}: missing from the publication", reason=Reason.MISSING_FILE) from None
    except OSError as exc:
        raise CannotVerify(f"{path}: cannot read: {exc.strerror or exc}", reason=Reason.UNREADABLE) from None
    try:
        return canonical.loads(data)
    except canonical.NonCanonical as exc:
        raise rebrand(exc, canonical.NonCanonical, f"{path}: ") from None


def epoch_dirs(pubdir: Path) -> list[Path]:
    if not pubdir.is_dir():
        raise CannotVerify(f"{pubdir}: not a directory", reason=Reason.UNREADABLE)
    # Names starting with "." are the prover's working and staging directories, never epochs.
    found = [p for p in sorted(pubdir.iterdir())
             if p.is_dir() and not p.name.startswith(".") and (public_dir(p) / "epoch.json").is_file()]
    if not found:
        raise CannotVerify(f"{pubdir}: no epoch directories (expected <epoch>/public/epoch.json)", reason=Reason.NO_EPOCHS)
    return found


@dataclass
class EpochDirCheck:
    """Working state of one epoch's checks: its public directory, then its parsed files."""

    public: Path
    name: str
    key: PublicKey
    found_epoch: Epoch | None = None
    found_commitment: Commitment | None = None
    found_head: LogHead | None = None
    definition: Definition | None = None

    @property
    def epoch(self) -> Epoch:
        assert self.found_epoch is not None, "the epoch.json step runs first"
        return self.found_epoch

    @property
    def commitment(self) -> Commitment:
        assert self.found_commitment is not None, "the commitment.json step runs first"
        return self.found_commitment

    def result(self) -> tuple[Epoch, LogHead]:
        assert self.found_head is not None, "every step ran"
        return self.epoch, self.found_head


def check_epoch_file(state: EpochDirCheck) -> None:
    state.found_epoch = verify_epoch(read_artifact(state.public / "epoch.json"), state.key)
    if state.epoch.epoch != state.name:
        raise InvalidHistory(f"{state.public}: directory name differs from epoch id {state.epoch.epoch!r}",
                             reason=Reason.EPOCH_MISMATCH)


def check_commitment_file(state: EpochDirCheck) -> None:
    commitment = state.found_commitment = verify_commitment(read_artifact(state.public / "commitment.json"), state.key)
    if commitment.epoch != state.epoch.epoch:
        raise InvalidHistory(f"{state.public}/commitment.json is for epoch {commitment.epoch!r}", reason=Reason.EPOCH_MISMATCH)
    if not hmac.compare_digest(commitment.hash(), state.epoch.liabilities_commitment):
        raise InvalidHistory(f"{state.public}/commitment.json is not the commitment epoch.json binds", reason=Reason.BINDING_MISMATCH)


def check_as_of_file(state: EpochDirCheck) -> None:
    check_as_of(state.epoch, state.commitment, InvalidHistory)


def check_definition_file(state: EpochDirCheck) -> str:
    path = state.public / DEFINITION_FILE
    try:
        data = path.read_bytes() if path.is_file() else None
    except OSError as exc:
        raise CannotVerify(f"{path}: cannot read: {exc.strerror or exc}", reason=Reason.UNREADABLE) from None
    state.definition = check_definition(state.commitment, data, str(path), InvalidHistory)
    if state.definition is None:
        return SKIPPED
    return f"definition.json is the balance definition {state.definition.name!r} the commitment names by hash"


def check_attestation_file(state: EpochDirCheck) -> str:
    bound = state.epoch.asset_attestation
    if bound is None:
        return SKIPPED
    doc = read_artifact(state.public / "assets.json")
    if not hmac.compare_digest(artifact_hash(doc), bound):
        raise InvalidHistory(f"{state.public}/assets.json is not the attestation epoch.json binds", reason=Reason.BINDING_MISMATCH)
    attestation = parse_attestation(doc, f"{state.public}/assets.json", InvalidHistory)
    check_statement(state.epoch, state.commitment, attestation, InvalidHistory)
    return "epoch.json binds the assets.json beside it, and its solvency statement is recomputed from it and the commitment"


def check_log_head_file(state: EpochDirCheck) -> None:
    epoch = state.epoch
    head = state.found_head = verify_log_head(read_artifact(state.public / "log-head.json"), state.key)
    if head.epoch != epoch.epoch or not hmac.compare_digest(head.epoch_hash, epoch.epoch_hash):
        raise InvalidHistory(f"{state.public}/log-head.json is not the log head of this epoch", reason=Reason.LOG_HEAD_MISMATCH)
    if head.log_size != epoch.sequence + 1 or head.inclusion.leaf_index != epoch.sequence:
        raise InvalidHistory(
            f"{state.public}/log-head.json: epoch {epoch.sequence} must be leaf {epoch.sequence} of a log of "
            f"{epoch.sequence + 1}, got leaf {head.inclusion.leaf_index} of {head.log_size}",
            reason=Reason.LOG_HEAD_MISMATCH,
        )


# SPEC 11.4 checks 1-3 and 7-10 for one epoch directory (the prover runs them on its staging directory).
EPOCH_DIR_CHECKS: tuple[Step[EpochDirCheck], ...] = (
    Step("epoch.json is signed by the pinned key and names its directory", check_epoch_file),
    Step("commitment.json is signed by the pinned key and is the one epoch.json binds", check_commitment_file),
    Step("epoch.json's as_of is the commitment's", check_as_of_file),
    Step("definition.json is the balance definition the commitment names", check_definition_file),
    Step("epoch.json binds the assets.json beside it and its statement follows from it", check_attestation_file),
    Step("log-head.json is signed, its proofs verify and it puts epoch i at leaf i of a log of i + 1", check_log_head_file),
)


def verify_epoch_dir(epoch_dir: Path, pinned_public_key: PublicKey) -> tuple[Epoch, LogHead]:
    """One epoch's own checks: signatures, bound files, and its log head."""
    return verify_epoch_public(public_dir(epoch_dir), epoch_dir.name, pinned_public_key)


def verify_epoch_public(public: Path, name: str, pinned_public_key: PublicKey) -> tuple[Epoch, LogHead]:
    """The checks of `verify_epoch_dir` on a directory of public files for the epoch `name`
    (the prover runs them on its staging directory before publishing)."""
    return _check_public(public, name, pinned_public_key).result()


def _check_public(public: Path, name: str, pinned_public_key: PublicKey) -> EpochDirCheck:
    state = EpochDirCheck(public, name, pinned_public_key)
    run_steps(EPOCH_DIR_CHECKS, state, family=InvalidHistory)
    return state


@dataclass
class HistoryCheck:
    """Working state of SPEC 11.4's check list: the inputs, then every epoch in sequence order."""

    pubdir: Path
    key: PublicKey
    trusted_heads: tuple[JSON, ...] = ()
    strict_definitions: bool = False
    epochs: list[tuple[Epoch, LogHead]] = field(default_factory=list)
    definitions: dict[str, Definition | None] = field(default_factory=dict)
    definition_changes: list[JSONObject] = field(default_factory=list)
    anchors: list[dict[str, Any]] = field(default_factory=list)


def check_every_epoch(state: HistoryCheck) -> str:
    found = [_check_public(public_dir(d), d.name, state.key) for d in epoch_dirs(state.pubdir)]
    state.epochs = sorted((one.result() for one in found), key=lambda pair: pair[0].sequence)
    state.definitions = {one.epoch.epoch: one.definition for one in found}
    return f"{len(found)} epoch(s): files signed by the pinned key, bound to each other and to their log heads"


def check_sequences(state: HistoryCheck) -> None:
    for position, (epoch, _) in enumerate(state.epochs):
        if epoch.sequence == position:
            continue
        if position and epoch.sequence == state.epochs[position - 1][0].sequence:
            raise InvalidHistory(f"epochs {state.epochs[position - 1][0].epoch!r} and {epoch.epoch!r} both claim "
                                 f"sequence {epoch.sequence}", reason=Reason.EPOCH_FORKED)
        raise InvalidHistory(f"epoch sequence {position} is missing (next is {epoch.sequence})", reason=Reason.EPOCH_GAP)


def check_anchors_advance(state: HistoryCheck) -> str:
    """SPEC 11.4: anchor heights strictly increase, so one snapshot never serves two epochs."""
    last: tuple[str, int] | None = None
    for epoch, _ in state.epochs:
        if epoch.asset_attestation is None:
            continue
        doc = read_artifact(public_dir(state.pubdir / epoch.epoch) / "assets.json")
        height = Attestation.parse(doc).anchor.height
        if last is not None and height <= last[1]:
            raise InvalidHistory(f"epoch {epoch.epoch!r} is anchored at block {height}, not after {last[0]!r}'s block "
                                 f"{last[1]}: the same reserves would serve two epochs", reason=Reason.ANCHOR_NOT_ADVANCING)
        last = (epoch.epoch, height)
        state.anchors.append({"epoch": epoch.epoch, "height": height})
    return SKIPPED if last is None else "each epoch's reserves are anchored at a later block than the previous epoch's"


def check_links(state: HistoryCheck) -> None:
    for (prev_epoch, prev_head), (epoch, head) in zip(state.epochs, state.epochs[1:]):
        if epoch.previous_epoch != prev_epoch.epoch or not hmac.compare_digest(epoch.previous_hash or b"", prev_epoch.epoch_hash):
            raise InvalidHistory(
                f"epoch {epoch.epoch!r} does not link to the published epoch {prev_epoch.epoch!r} "
                "(it was rewritten, or this epoch belongs to another history)",
                reason=Reason.EPOCH_CHAIN_BROKEN,
            )
        proof = head.consistency
        if proof is None or proof.first_size != prev_head.log_size or not hmac.compare_digest(proof.first_root, prev_head.log_root):
            raise InvalidHistory(
                f"the log head of {epoch.epoch!r} does not prove consistency with the head of {prev_epoch.epoch!r}",
                reason=Reason.LOG_CONSISTENCY_INVALID,
            )


def check_as_of_advancing(state: HistoryCheck) -> None:
    for (prev, _), (epoch, _) in zip(state.epochs, state.epochs[1:]):
        if epoch.as_of <= prev.as_of:
            raise InvalidHistory(f"epoch {epoch.epoch!r} has cut-off {epoch.as_of}, not after {prev.epoch!r}'s {prev.as_of}",
                                 reason=Reason.AS_OF_NOT_ADVANCING)


def _named(definition: Definition | None) -> JSONObject | None:
    return None if definition is None else {"name": definition.name, "content_hash": definition.content_hash.hex()}


def check_definition_changes(state: HistoryCheck) -> str:
    for (prev, _), (epoch, _) in zip(state.epochs, state.epochs[1:]):
        before, after = state.definitions[prev.epoch], state.definitions[epoch.epoch]
        if before == after:
            continue
        what = changes(before, after)
        state.definition_changes.append({"code": str(Reason.DEFINITION_CHANGED), "from_epoch": prev.epoch,
                                         "to_epoch": epoch.epoch, "from": _named(before), "to": _named(after),
                                         "changes": list(what)})
        if state.strict_definitions:
            raise InvalidHistory(f"the balance definition changed from epoch {prev.epoch!r} to {epoch.epoch!r}: "
                                 f"{'; '.join(what)}", reason=Reason.DEFINITION_CHANGED)
    if not state.definition_changes:
        return "the balance definition is the same in every epoch"
    return f"{len(state.definition_changes)} change(s) of balance definition between epochs (reported as findings)"


def check_trusted_heads(state: HistoryCheck) -> str:
    if not state.trusted_heads:
        return SKIPPED
    for doc in state.trusted_heads:
        seen = verify_log_head(doc, state.key)
        if seen.log_size > len(state.epochs):
            raise InvalidHistory(f"a log head of size {seen.log_size} was seen before but only {len(state.epochs)} "
                                 "epochs are published", reason=Reason.LOG_FORKED)
        current = state.epochs[seen.log_size - 1][1]
        if not hmac.compare_digest(current.log_root, seen.log_root):
            raise InvalidHistory(
                f"the log of size {seen.log_size} had root {seen.log_root.hex()} when it was seen before, "
                f"now {current.log_root.hex()}: the published history was rewritten",
                reason=Reason.LOG_FORKED,
            )
    return f"{len(state.trusted_heads)} previously seen log head(s) are still part of this history"


# SPEC 11.4, in its order (checks 1-3 run per epoch inside the first step).
HISTORY_CHECKS: tuple[Step[HistoryCheck], ...] = (
    Step("every epoch's public files", check_every_epoch),
    Step("sequences run 0, 1, ..., n-1", check_sequences),
    Step("each epoch links to the one before it and its log head is consistent with the previous head", check_links),
    Step("each epoch's cut-off is after the previous epoch's", check_as_of_advancing),
    Step("changes of balance definition between epochs", check_definition_changes),
    Step("anchor blocks advance from epoch to epoch", check_anchors_advance),
    Step("previously seen log heads are part of this history", check_trusted_heads),
)


def verify_history(pubdir: str | os.PathLike[str], pinned_public_key: PublicKey,
                   trusted_heads: tuple[JSON, ...] = (), *, strict_definitions: bool = False) -> dict[str, Any]:
    """Check every epoch and the links between them; return the facts established.

    `trusted_heads` are log-head documents the caller saw earlier (kept from a previous check, or
    obtained from another user). Each must be the head of the same-sized log in this history,
    which catches a bank that rewrote its whole history consistently after the fact. A change of
    balance definition between epochs is a finding (`definition_changes`), or a failure
    (`DEFINITION_CHANGED`) with `strict_definitions`.
    """
    state = _run_history(pubdir, pinned_public_key, trusted_heads, strict_definitions)
    last_epoch, last_head = state.epochs[-1]
    return {
        "epochs": [e.epoch for e, _ in state.epochs],
        "latest_epoch": last_epoch.epoch,
        "log_size": last_head.log_size,
        "log_root": last_head.log_root.hex(),
        "anchors": state.anchors,
        "definitions": {name: _named(d) for name, d in state.definitions.items()},
        "definition_changes": state.definition_changes,
    }


def _run_history(pubdir: str | os.PathLike[str], key: PublicKey, trusted_heads: tuple[JSON, ...],
                 strict_definitions: bool) -> HistoryCheck:
    state = HistoryCheck(Path(pubdir), key, tuple(trusted_heads), strict_definitions)
    run_steps(HISTORY_CHECKS, state, family=InvalidHistory)
    return state


@dataclass(frozen=True, slots=True)
class PublishedEpoch:
    """One epoch of a verified history, with what a user's proof is compared against (SPEC 11.6, 13)."""

    epoch: Epoch
    attestation: JSON | None
    definition: Definition | None
    previous_epoch: str | None
    previous_definition: Definition | None

    @property
    def definition_changes(self) -> tuple[str, ...]:
        """What changed in the balance definition since the previous epoch (empty: unchanged or first)."""
        return () if self.previous_epoch is None else changes(self.previous_definition, self.definition)


def published_epoch(pubdir: str | os.PathLike[str], pinned_public_key: PublicKey, epoch_id: str,
                    trusted_heads: tuple[JSON, ...] = ()) -> PublishedEpoch:
    """Verify the whole history (as `verify_history`), then return epoch `epoch_id` of it; an
    epoch that is not published there is `InvalidHistory` (`EPOCH_MISMATCH`)."""
    state = _run_history(pubdir, pinned_public_key, trusted_heads, False)
    found = [e for e, _ in state.epochs if e.epoch == epoch_id]
    if not found:
        raise InvalidHistory(f"epoch {epoch_id!r} is not in the published history {pubdir}", reason=Reason.EPOCH_MISMATCH)
    epoch = found[0]
    public = public_dir(Path(pubdir) / epoch.epoch)
    attestation = None if epoch.asset_attestation is None else read_artifact(public / "assets.json")
    previous = epoch.previous_epoch
    return PublishedEpoch(epoch, attestation, state.definitions[epoch.epoch], previous,
                          None if previous is None else state.definitions[previous])
