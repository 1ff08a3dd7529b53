"""One epoch's publication, in two phases (docs/SPEC.md section 11.5).

The proof-of-control challenge (SPEC 8.5) binds the hash of the liabilities commitment, which
exists only after the tree is built, so the wallets sign between building and sealing:

1. `prepare`: read the ledger at the cut-off (balances and the chain digest at that cut-off),
   build the tree, copy the snapshot's raw node files, and write all of it into the private
   working directory ``PUBDIR/.pending-<epoch>/`` (created atomically). Returns the challenge.
2. The wallets sign: ``proofs.json`` over the challenge, then ``lnd_signmessage.json`` over the
   attestation digest (`node_message`), both into ``.pending-<epoch>/snapshot/`` -- by hand, or
   through the `--control-signer` hook (`solvency.publish.control`).
3. `seal`: write the signed asset attestation, the epoch commitment, the grown transparency log
   and its signed head into a staging directory next to the epoch, with the tree (hard links,
   never a second copy), the auditor leaf export and the bulk proof-bundle export in `private/`;
   verify every public file with the verifier and scan them for the epoch secret; fsync; rename to
   ``PUBDIR/<epoch>/``; remove the working directory.

Crash safety: the working directory and the staging directory are both renamed into place only
when complete, and `.staging-*` leftovers are removed by the next run, so a crash at any point
leaves either the whole epoch or no epoch (and at most a complete working directory, which the
next `prepare` replaces). One publication runs at a time per PUBDIR (an exclusive `flock`).

Fault injection for tests only: when ``SOLVENCY_CRASH_AT`` names a step (`CRASH_POINTS`), the
process kills itself with SIGKILL there.
"""

from __future__ import annotations

import fcntl
import hmac
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from solvency.atomic import STAGING_PREFIX, atomic_directory, clear_stale_staging
from solvency.keys import public_key_of, sign
from solvency.publish.bundle import BundleWriter, make_bundle
from solvency.publish.control import run_signer
from solvency.publish.epochs import (
    DEFINITION_FILE,
    LOG_FILE,
    PreviousEpoch,
    PublishError,
    latest_epoch,
    published_definition,
    seal_epoch,
    write_artifact,
)
from solvency.publish.page import install_page
from solvency.reserves.attest import (
    build_attestation,
    challenge_for,
    check_anchor_window,
    commitment_copy,
    load_price,
    load_proofs,
    read_node_signature,
)
from solvency.reserves.fields import SnapshotError
from solvency.reserves.snapshot import load_snapshot
from solvency.tree.build import DEFAULT_MIN_LEAVES, DEFAULT_SPLIT, build_tree, padded_leaf_count
from solvency.tree.epoch import ProgressFactory, progress_bar
from solvency.tree.export import write_leaves_bin
from solvency.tree.ledger_cut import LedgerCutError, read_liabilities
from solvency.tree.store import TreeStore
from verifier import canonical
from verifier.assets.artifact import Attestation
from verifier.assets.attestation import verify_attestation
from verifier.bundle import verify_bundle
from verifier.commitment import Commitment, commitment_hash
from verifier.encoding import EPOCH_RE
from verifier.epoch import Epoch, LogHead, verify_log_head
from verifier.errors import CannotVerify, VerificationError
from verifier.history import read_artifact, verify_epoch_public

PENDING_PREFIX = ".pending-"
PENDING_FORMAT = "pos-pending/1"
LOCK_FILE = ".publish.lock"
SIGNATURE_FILES = ("proofs.json", "lnd_signmessage.json")
CRASH_POINTS = ("prepared-staging", "prepared", "sealed-staging", "before-rename", "after-rename")


def _crash_point(name: str) -> None:
    if os.environ.get("SOLVENCY_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass(frozen=True, slots=True)
class Prepared:
    directory: Path
    epoch: str
    as_of: str
    commitment: Commitment
    challenge: str
    users: int
    notes: tuple[str, ...] = ()  # how the ledger was read: bank roles, waived journals, floored balances


@dataclass(frozen=True, slots=True)
class Sealed:
    directory: Path
    epoch: Epoch
    log_head: LogHead
    attestation: Attestation
    commitment: Commitment
    users: int


def pending_dir(pubdir: Path, epoch: str) -> Path:
    return Path(pubdir) / f"{PENDING_PREFIX}{epoch}"


@contextmanager
def publication_lock(pubdir: Path) -> Iterator[None]:
    """Exclusive lock on PUBDIR for the whole of one phase (a second publisher fails at once)."""
    pubdir.mkdir(parents=True, exist_ok=True)
    fd = os.open(pubdir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PublishError(f"{pubdir}: another publication is running (lock {LOCK_FILE})") from None
        yield
    finally:
        os.close(fd)


def _check_epoch_id(epoch: str) -> None:
    if not isinstance(epoch, str) or not EPOCH_RE.fullmatch(epoch):
        raise PublishError(f"epoch id {epoch!r} must match {EPOCH_RE.pattern}")


def _copy_snapshot(source: Path, target: Path) -> None:
    """The snapshot's regular files, without signatures over an earlier challenge."""
    if not source.is_dir():
        raise PublishError(f"{source}: the snapshot directory does not exist")
    target.mkdir()
    for entry in sorted(source.iterdir()):
        if entry.is_file() and entry.name not in SIGNATURE_FILES:
            shutil.copyfile(entry, target / entry.name)


class _Clock:
    def __init__(self, timings: dict[str, float] | None) -> None:
        self._timings, self._now = timings, time.perf_counter
        self._last = self._now()

    def lap(self, name: str) -> None:
        now = self._now()
        if self._timings is not None:
            self._timings[name] = self._timings.get(name, 0.0) + now - self._last
        self._last = now


def prepare(
    pubdir: str | os.PathLike[str],
    *,
    db: str,
    definition: str,
    as_of: str,
    epoch: str,
    snapshots: str | os.PathLike[str],
    private_key: Ed25519PrivateKey,
    definitions_file: str | None = None,
    currencies: tuple[str, ...] = ("BTC", "USD"),
    split: int = DEFAULT_SPLIT,
    min_leaves: int = DEFAULT_MIN_LEAVES,
    exclude_negative: bool = False,
    read_options: Mapping[str, str | None] | None = None,
    progress: ProgressFactory | None = None,
    timings: dict[str, float] | None = None,
) -> Prepared:
    """Phase 1: build the tree and the working directory; return the challenge to sign.
    `split` and `min_leaves` are the privacy options the commitment states (SPEC 1, 3.6); with
    `exclude_negative` a negative balance is committed as 0 and listed in the tree's
    ``private/negatives.csv`` (SPEC 3.1). `read_options` are the ledger's read policies given as
    flags (``fractional``, ``journal_check``, ``roles``; docs/MONGO.md 11.2), recorded in the
    definition's hash as `solvency tree build` records them. `timings`, when given, receives the
    seconds spent in each step (for benchmarks)."""
    clock = _Clock(timings)
    pubdir = Path(pubdir)
    _check_epoch_id(epoch)
    with publication_lock(pubdir):
        clear_stale_staging(pubdir)
        if (pubdir / epoch).exists():
            raise PublishError(f"epoch {epoch!r} is already published in {pubdir}")
        previous = latest_epoch(pubdir, private_key)
        if previous is not None:
            prev_as_of = canonical.loads((pubdir / previous.epoch / "public" / "epoch.json").read_bytes())["as_of"]
            if as_of <= prev_as_of:
                raise PublishError(f"the cut-off {as_of} is not after the previous epoch's ({previous.epoch}: {prev_as_of})")
        try:
            snap = load_snapshot(Path(snapshots))
        except SnapshotError as exc:
            raise PublishError(f"snapshot {snapshots}: {exc}") from None
        clock.lap("checks and snapshot")
        try:
            liabilities = read_liabilities(db, definition, as_of, currencies, definitions_file=definitions_file,
                                           exclude_negative=exclude_negative, lap=clock.lap, read_options=read_options)
        except LedgerCutError as exc:
            raise PublishError(str(exc)) from None
        try:
            check_anchor_window(snap, as_of)  # after the ledger refused a cut-off in the future
        except SnapshotError as exc:
            raise PublishError(f"snapshot {snapshots}: {exc}") from None
        _check_anchor_advances(pubdir, previous, snap.anchor.height, snapshots)
        balances = liabilities.balances
        if not balances.user_ids:
            raise PublishError(f"{definition} as of {as_of} has no user with a balance: nothing to commit")
        target = pending_dir(pubdir, epoch)
        if target.exists():
            shutil.rmtree(target)  # An earlier, unsealed preparation: its challenge dies with its tree.
        leaves = padded_leaf_count(len(balances.user_ids) * split, min_leaves)
        with atomic_directory(target) as staging, progress_bar(progress, leaves, "hashing leaves") as update:
            try:
                commitment = build_tree(
                    balances, epoch=epoch, as_of=as_of, private_key=private_key, out_dir=staging / "tree",
                    balance_definition=liabilities.balance_definition, ledger_digest=liabilities.ledger_digest,
                    split=split, min_leaves=min_leaves, progress=update,
                )
            except ValueError as exc:
                raise PublishError(str(exc)) from None
            clock.lap("tree build")
            _copy_snapshot(Path(snapshots), staging / "snapshot")
            used = liabilities.definition
            write_artifact(staging / DEFINITION_FILE, published_definition(used.canonical(), used.content_hash))
            copy = commitment_copy(commitment, epoch, public_key_of(private_key))
            challenge = challenge_for(snap, epoch, copy)
            write_artifact(staging / "pending.json", {
                "format": PENDING_FORMAT, "epoch": epoch, "as_of": as_of, "challenge": challenge,
                "commitment_hash": copy.hash, "users": len(balances.user_ids),
                "previous": None if previous is None else previous.epoch,
            })
            _crash_point("prepared-staging")
        clock.lap("working directory fsync and rename")
        _crash_point("prepared")
    return Prepared(target, epoch, as_of, commitment, challenge, len(balances.user_ids), liabilities.notes)


def _check_anchor_advances(pubdir: Path, previous: PreviousEpoch | None, height: int, snapshots: object) -> None:
    """SPEC 11.4/11.5: anchor heights strictly increase, so one snapshot never serves two epochs."""
    if previous is None or not (pubdir / previous.epoch / "public" / "assets.json").is_file():
        return
    try:
        before = Attestation.parse(canonical.loads((pubdir / previous.epoch / "public" / "assets.json").read_bytes())).anchor
    except (VerificationError, CannotVerify) as exc:
        raise PublishError(f"{pubdir / previous.epoch}/public/assets.json: cannot read the previous anchor ({exc})") from None
    if height <= before.height:
        raise PublishError(f"snapshot {snapshots}: its anchor block {height} is not after the previous epoch's "
                           f"({previous.epoch}: block {before.height}); take a new snapshot (ANCHOR_NOT_ADVANCING)")


def load_prepared(pubdir: str | os.PathLike[str], epoch: str) -> Prepared:
    directory = pending_dir(Path(pubdir), epoch)
    try:
        meta = canonical.loads((directory / "pending.json").read_bytes())
        commitment = Commitment.parse(canonical.loads((directory / "tree" / "commitment.json").read_bytes()))
    except FileNotFoundError:
        raise PublishError(f"no prepared epoch {epoch!r} in {pubdir} (run `solvency publish prepare` first)") from None
    if meta.get("format") != PENDING_FORMAT or meta.get("epoch") != epoch:
        raise PublishError(f"{directory}/pending.json is not a preparation of epoch {epoch!r}")
    if commitment_hash(commitment).hex() != meta["commitment_hash"]:
        raise PublishError(f"{directory}: the tree's commitment is not the one the challenge was made for")
    return Prepared(directory, epoch, meta["as_of"], commitment, meta["challenge"], meta["users"])


def _draft_attestation(prepared: Prepared, private_key: Ed25519PrivateKey) -> Attestation:
    """The attestation of the working snapshot, without its node and bank signatures."""
    directory = prepared.directory / "snapshot"
    try:
        snap = load_snapshot(directory)
        copy = commitment_copy(prepared.commitment, prepared.epoch, public_key_of(private_key))
        return build_attestation(snap, prepared.epoch, copy, load_proofs(directory), load_price(directory))
    except SnapshotError as exc:
        raise PublishError(f"{directory}: {exc}") from None


def node_message(prepared: Prepared, private_key: Ed25519PrivateKey) -> str:
    """The text the lnd node signs (SPEC 8.6); needs ``proofs.json`` in the working snapshot."""
    return _draft_attestation(prepared, private_key).node_message()


def sign_with(prepared: Prepared, command: str, private_key: Ed25519PrivateKey, timeout: float = 600.0) -> None:
    """Run the `--control-signer` hook for both steps (SPEC 11.5)."""
    directory = prepared.directory / "snapshot"
    run_signer(command, "proofs", prepared.challenge, directory, prepared.epoch, timeout)
    run_signer(command, "node", node_message(prepared, private_key), directory, prepared.epoch, timeout)


def _link_tree(source: Path, target: Path) -> None:
    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=link)


def public_secret_scan(public: Path, secrets: list[bytes]) -> None:
    """Refuse to publish if any public file contains a secret, raw or in hex (either case)."""
    for path in sorted(public.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        lowered = data.lower()
        for secret in secrets:
            if secret in data or secret.hex().encode() in lowered:
                raise PublishError(f"{path} contains secret material; refusing to publish")


def self_check(staging: Path, epoch: str, previous: PreviousEpoch | None, pubdir: Path, public_key: Ed25519PublicKey, sample_user: str) -> None:
    """Every public file of the staged epoch passes the verifier, as a user and an auditor would run it."""
    public = staging / "public"
    epoch_info, head = verify_epoch_public(public, epoch, public_key)
    commitment = read_artifact(public / "commitment.json")
    attestation = read_artifact(public / "assets.json")
    verify_attestation(attestation, public_key, commitment=commitment, expected_epoch=epoch,
                       expected_network=attestation["network"])
    if epoch_info.solvency != attestation["statement"]:
        raise PublishError("epoch.json's solvency statement differs from the attestation's")
    if previous is not None:
        prev_head = verify_log_head(read_artifact(pubdir / previous.epoch / "public" / "log-head.json"), public_key)
        linked = epoch_info.previous_hash is not None and hmac.compare_digest(epoch_info.previous_hash, previous.epoch_hash)
        if epoch_info.previous_epoch != previous.epoch or not linked:
            raise PublishError("the new epoch does not link to the latest published one")
        c = head.consistency
        if c is None or c.first_size != prev_head.log_size or not hmac.compare_digest(c.first_root, prev_head.log_root):
            raise PublishError("the new log head is not consistent with the previous one")
    with TreeStore(staging / "private" / "tree") as store:
        proof = store.proof(sample_user)
        secrets = [store.epoch_key]
    verify_bundle(make_bundle(proof, epoch_info, head), public_key, expected_epoch=epoch, expected_user=sample_user)
    public_secret_scan(public, secrets)


def seal(
    pubdir: str | os.PathLike[str],
    epoch: str,
    private_key: Ed25519PrivateKey,
    *,
    export_proofs: bool = True,
    progress: ProgressFactory | None = None,
) -> Sealed:
    """Phase 3: attest, seal, self-check and publish ``PUBDIR/<epoch>/`` atomically."""
    pubdir = Path(pubdir)
    _check_epoch_id(epoch)
    public_key = public_key_of(private_key)
    with publication_lock(pubdir):
        clear_stale_staging(pubdir)
        prepared = load_prepared(pubdir, epoch)
        if (pubdir / epoch).exists():
            raise PublishError(f"epoch {epoch!r} is already published in {pubdir}")
        previous = latest_epoch(pubdir, private_key)
        meta = canonical.loads((prepared.directory / "pending.json").read_bytes())
        if meta["previous"] != (None if previous is None else previous.epoch):
            raise PublishError(f"{prepared.directory} was prepared after epoch {meta['previous']!r} but the latest "
                               f"published epoch is {None if previous is None else previous.epoch!r}: prepare again")
        draft = _draft_attestation(prepared, private_key)
        try:
            node_signature = read_node_signature(prepared.directory / "snapshot", draft)
        except SnapshotError as exc:
            raise PublishError(f"{prepared.directory / 'snapshot'}: {exc}") from None
        attestation = sign(draft.with_node_signature(node_signature), private_key)
        with atomic_directory(pubdir / epoch) as staging:
            os.chmod(staging, 0o755)  # The epoch and its public/ are served; private/ stays 0700.
            private = staging / "private"
            private.mkdir(mode=0o700)
            _link_tree(prepared.directory / "tree", private / "tree")
            shutil.copytree(prepared.directory / "snapshot", private / "snapshot")
            write_artifact(staging / "public" / "commitment.json", prepared.commitment)
            write_artifact(staging / "public" / "assets.json", attestation)
            if (prepared.directory / DEFINITION_FILE).is_file():
                shutil.copyfile(prepared.directory / DEFINITION_FILE, staging / "public" / DEFINITION_FILE)
            epoch_doc, head_doc = seal_epoch(
                staging, previous, epoch=epoch, as_of=prepared.as_of, commitment=prepared.commitment,
                attestation=attestation, solvency=attestation.statement.to_json(), private_key=private_key,
            )
            with TreeStore(private / "tree") as store:
                with open(private / "leaves.bin", "wb") as handle:
                    write_leaves_bin(store, handle)
                if export_proofs:
                    with open(private / "proofs.jsonl", "wb") as handle, progress_bar(progress, prepared.users, "proof bundles") as update:
                        writer = BundleWriter(handle, epoch_doc, head_doc)
                        store.export_proofs(writer, update)
                        writer.close()
                sample_user = next(store.user_ids())
            self_check(staging, epoch, previous, pubdir, public_key, sample_user)
            _crash_point("sealed-staging")
            _crash_point("before-rename")
        _crash_point("after-rename")
        shutil.rmtree(prepared.directory)
        install_page(pubdir)
    return Sealed(pubdir / epoch, epoch_doc, head_doc, attestation, prepared.commitment, prepared.users)


def finish_interrupted(pubdir: str | os.PathLike[str], epoch: str) -> bool:
    """After a crash between the epoch's rename and the working directory's removal: True (and the
    leftover removed) if the published epoch is exactly the prepared one."""
    pubdir = Path(pubdir)
    directory = pending_dir(pubdir, epoch)
    published = pubdir / epoch / "public" / "commitment.json"
    if not directory.is_dir() or not published.is_file():
        return False
    try:
        prepared = load_prepared(pubdir, epoch)
    except (PublishError, ValueError):
        return False
    if canonical.loads(published.read_bytes()) != prepared.commitment.to_json():
        return False
    shutil.rmtree(directory)
    return True


def seal_once(
    pubdir: str | os.PathLike[str],
    epoch: str,
    private_key: Ed25519PrivateKey,
    *,
    export_proofs: bool = True,
    progress: ProgressFactory | None = None,
) -> Sealed | None:
    """`seal`, unless an interrupted run already published exactly this preparation: then None
    (and its leftover working directory removed, `finish_interrupted`)."""
    if finish_interrupted(pubdir, epoch):
        return None
    return seal(pubdir, epoch, private_key, export_proofs=export_proofs, progress=progress)


def publish_epoch(
    pubdir: str | os.PathLike[str],
    *,
    db: str,
    definition: str,
    as_of: str,
    epoch: str,
    snapshots: str | os.PathLike[str],
    private_key: Ed25519PrivateKey,
    signer: str,
    signer_timeout: float = 600.0,
    definitions_file: str | None = None,
    export_proofs: bool = True,
    split: int = DEFAULT_SPLIT,
    min_leaves: int = DEFAULT_MIN_LEAVES,
    exclude_negative: bool = False,
    read_options: Mapping[str, str | None] | None = None,
    progress: ProgressFactory | None = None,
    on_prepared: Callable[[Prepared], None] | None = None,
) -> Sealed | None:
    """All three phases in one run, the `signer` program signing in between (SPEC 11.5).
    `on_prepared` is told the preparation (its challenge) before the signer runs. None when an
    interrupted run had already published this epoch (its working directory is then removed)."""
    if finish_interrupted(pubdir, epoch):
        return None
    prepared = prepare(pubdir, db=db, definition=definition, definitions_file=definitions_file, as_of=as_of, epoch=epoch,
                       snapshots=snapshots, private_key=private_key, split=split, min_leaves=min_leaves,
                       exclude_negative=exclude_negative, read_options=read_options, progress=progress)
    if on_prepared is not None:
        on_prepared(prepared)
    sign_with(prepared, signer, private_key, timeout=signer_timeout)
    return seal(pubdir, epoch, private_key, export_proofs=export_proofs, progress=progress)


__all__ = [
    "CRASH_POINTS", "LOG_FILE", "PENDING_PREFIX", "Prepared", "PublishError", "Sealed", "STAGING_PREFIX",
    "finish_interrupted", "load_prepared", "node_message", "pending_dir", "prepare", "publish_epoch", "seal",
    "seal_once", "self_check", "sign_with",
]
