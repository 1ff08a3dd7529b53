"""The service's read-only view of a publication directory (docs/SPEC.md 11.1, 13).

Invariants:

* Published epoch directories are immutable (SPEC 11.1: created by one rename, never modified),
  so an epoch that loaded once stays loaded: its signed ``epoch.json`` and ``log-head.json``, the
  pre-encoded bundle prefix and the open `TreeStore` (memory-mapped node store) are kept for the
  life of the process. An epoch that fails to load is *not* cached: every request retries, so a
  repaired epoch comes back without a restart, and a broken one answers `EpochUnavailable`
  without affecting the others.
* A proof is looked up in O(log n) (the store's binary search in the user index, the found leaf's
  hash recomputed from the user id and compared with the stored leaf, one node record per level)
  and framed into the SPEC 13 bundle bytes around the epoch's pre-encoded ``epoch.json`` and log
  head. When an epoch loads, the store checks its root against the commitment and one full
  `verify_bundle` (the proof's whole check list, the epoch signature and binding, the log head and
  its inclusion proof) runs on a real user's bundle, and the fast framing must equal
  ``Bundle.to_bytes()`` for it; else the epoch is unavailable. The per-epoch parts of every later
  bundle are those verified bytes. With ``verify_each`` every proof also passes the verifier's
  whole proof check list (`verify_proof`, SPEC 6) before it leaves, at about three times the CPU
  per request (benchmarks/bench_serve.py measures both); the user's verifier checks it anyway.
* The bytes served are exactly ``Bundle.to_bytes()`` (canonical JSON and one newline), equal to
  what ``solvency publish proof`` prints (tests/serve checks it).
* Names starting with ``.`` (staging, pending, the lock) are never epochs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from solvency.receipt import tree_dir_of
from solvency.tree.store import TreeStore, TreeStoreError, UnknownUser
from verifier import canonical
from verifier.bundle import BUNDLE_FORMAT, Bundle, verify_bundle
from verifier.encoding import EPOCH_RE, user_id_bytes
from verifier.epoch import Epoch, LogHead
from verifier.errors import VerificationError
from verifier.history import public_dir, read_artifact
from verifier.proof import verify_proof

#: The public files of an epoch the service hands out (SPEC 11.1), verbatim.
PUBLIC_FILES = ("assets.json", "commitment.json", "definition.json", "epoch.json", "log-head.json")
VERIFY_PAGE = "verify.html"


class BadRequest(ValueError):
    """A malformed epoch id or user id (HTTP 400)."""


class UnknownEpoch(LookupError):
    """No published epoch by that id (HTTP 404)."""


class EpochUnavailable(Exception):
    """The epoch is published but its files cannot be read or do not check (HTTP 503)."""


class NoSuchUser(LookupError):
    """The user has no leaf in this epoch (HTTP 404; says nothing about other epochs)."""


def check_epoch_id(epoch: str) -> str:
    if not EPOCH_RE.fullmatch(epoch) or epoch.startswith("."):
        raise BadRequest("the epoch id must be 1..64 of A-Z a-z 0-9 . _ : - and not start with '.'")
    return epoch


def check_user_id(user_id: str) -> str:
    try:
        user_id_bytes(user_id)
    except ValueError:
        raise BadRequest("the user id must be 1..256 bytes of UTF-8 without control characters") from None
    return user_id


@dataclass(frozen=True, slots=True)
class EpochSummary:
    epoch: str
    sequence: int
    as_of: str
    files: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"as_of": self.as_of, "epoch": self.epoch, "files": list(self.files), "sequence": self.sequence}


class LoadedEpoch:
    """One epoch whose files loaded and checked; serves proofs until the process ends."""

    def __init__(self, directory: Path, verify_each: bool = False) -> None:
        self.directory = directory
        self.verify_each = verify_each
        public = public_dir(directory)
        self.epoch = Epoch.parse(read_artifact(public / "epoch.json"))
        self.head = LogHead.parse(read_artifact(public / "log-head.json"))
        self.store = TreeStore(tree_dir_of(directory))
        self.public_key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(self.store.meta["public_key"]))
        if self.epoch.epoch != directory.name:
            raise EpochUnavailable(f"epoch {directory.name}: epoch.json names epoch {self.epoch.epoch!r}")
        # The bundle's canonical encoding is its members in key order (SPEC 13): epoch, format,
        # log_head, proof, type; only the proof differs between users.
        self._prefix = (b'{"epoch":' + canonical.dumps(self.epoch.to_json()) + b',"format":' + canonical.dumps(BUNDLE_FORMAT)
                        + b',"log_head":' + canonical.dumps(self.head.to_json()) + b',"proof":')
        self._suffix = b',"type":"' + Bundle.TYPE.encode() + b'"}\n'
        sample = next(self.store.user_ids(), None)
        if sample is None:
            raise EpochUnavailable(f"epoch {directory.name}: the tree has no user")
        bundle = Bundle(self.epoch, self.head, self.store.proof(sample))
        verify_bundle(bundle, self.public_key, expected_epoch=directory.name, expected_user=sample)
        if self._fast_bytes(sample) != bundle.to_bytes() or self.checked_bundle_bytes(sample) != bundle.to_bytes():
            raise EpochUnavailable(f"epoch {directory.name}: the served bytes differ from Bundle.to_bytes")

    def _frame(self, proof_json: object) -> bytes:
        return self._prefix + canonical.dumps(proof_json) + self._suffix

    def bundle_bytes(self, user_id: str) -> bytes:
        if self.verify_each:
            return self.checked_bundle_bytes(user_id)
        try:
            # The store's own lookup: binary search, then the leaf hash recomputed and compared.
            index = self.store._find(user_id)
        except UnknownUser:
            raise NoSuchUser(user_id) from None
        return self._fast_bytes(user_id, index)

    def _fast_bytes(self, user_id: str, index: int | None = None) -> bytes:
        found = self.store._find(user_id) if index is None else index
        return self._prefix + self.store.proof_line(found, user_id) + self._suffix

    def checked_bundle_bytes(self, user_id: str) -> bytes:
        """`bundle_bytes`, after the proof passed the verifier's whole proof check list (SPEC 6)."""
        try:
            proof = self.store.proof(user_id)
        except UnknownUser:
            raise NoSuchUser(user_id) from None
        verify_proof(proof, self.public_key, expected_epoch=self.epoch.epoch, expected_user=user_id)
        return self._frame(proof.to_json())

    def close(self) -> None:
        self.store.close()


class Publication:
    """The epochs of one publication directory, loaded on first use (thread-safe)."""

    def __init__(self, pubdir: Path, verify_each: bool = False) -> None:
        self.pubdir = Path(pubdir)
        self.verify_each = verify_each
        self._loaded: dict[str, LoadedEpoch] = {}
        self._summaries: dict[str, EpochSummary] = {}
        self._lock = threading.Lock()

    def epoch_names(self) -> list[str]:
        """Published epoch ids (directories holding ``epoch.json``), sorted by name."""
        try:
            entries = sorted(self.pubdir.iterdir())
        except OSError as exc:
            raise EpochUnavailable(f"{self.pubdir}: cannot list: {exc.strerror or exc}") from None
        return [p.name for p in entries if not p.name.startswith(".") and (public_dir(p) / "epoch.json").is_file()]

    def directory(self, epoch: str) -> Path:
        """The directory of a published epoch (raises BadRequest, UnknownEpoch)."""
        check_epoch_id(epoch)
        path = self.pubdir / epoch
        if not (public_dir(path) / "epoch.json").is_file():
            raise UnknownEpoch(epoch)
        return path

    def load(self, epoch: str) -> LoadedEpoch:
        """The loaded epoch (raises BadRequest, UnknownEpoch, EpochUnavailable)."""
        found = self._loaded.get(epoch)
        if found is not None:
            return found
        directory = self.directory(epoch)
        with self._lock:
            found = self._loaded.get(epoch)
            if found is None:
                try:
                    found = LoadedEpoch(directory, self.verify_each)
                except (OSError, ValueError, KeyError, TreeStoreError, UnknownUser, VerificationError) as exc:
                    raise EpochUnavailable(f"epoch {epoch}: {type(exc).__name__}: {exc}") from None
                self._loaded[epoch] = found
        return found

    def bundle(self, epoch: str, user_id: str) -> bytes:
        """The SPEC 13 bundle bytes of `user_id` in `epoch` (raises BadRequest, UnknownEpoch,
        EpochUnavailable, NoSuchUser)."""
        check_user_id(user_id)
        loaded = self.load(epoch)
        try:
            return loaded.bundle_bytes(user_id)
        except NoSuchUser:
            raise
        except (OSError, ValueError, IndexError, VerificationError) as exc:
            raise EpochUnavailable(f"epoch {epoch}: {type(exc).__name__}: {exc}") from None

    def summary(self, epoch: str) -> EpochSummary:
        """What the epochs list says of one epoch, from its public ``epoch.json`` only (cached)."""
        found = self._summaries.get(epoch)
        if found is None:
            public = public_dir(self.directory(epoch))
            try:
                doc = Epoch.parse(read_artifact(public / "epoch.json"))
            except VerificationError as exc:
                raise EpochUnavailable(f"epoch {epoch}: {exc}") from None
            if doc.epoch != epoch:
                raise EpochUnavailable(f"epoch {epoch}: epoch.json names epoch {doc.epoch!r}")
            found = EpochSummary(epoch, doc.sequence, str(doc.as_of), tuple(n for n in PUBLIC_FILES if (public / n).is_file()))
            self._summaries[epoch] = found
        return found

    def summaries(self) -> tuple[list[EpochSummary], list[str]]:
        """(summaries of the epochs whose epoch.json reads, by sequence; ids of those that do not)."""
        good, bad = [], []
        for name in self.epoch_names():
            try:
                good.append(self.summary(name))
            except (EpochUnavailable, UnknownEpoch, BadRequest):
                bad.append(name)
        return sorted(good, key=lambda s: s.sequence), bad

    def public_file(self, epoch: str, name: str) -> bytes:
        """The verbatim bytes of one public file of an epoch (raises BadRequest, UnknownEpoch,
        FileNotFoundError for a file the epoch does not have, EpochUnavailable)."""
        if name not in PUBLIC_FILES:
            raise FileNotFoundError(name)
        path = public_dir(self.directory(epoch)) / name
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise EpochUnavailable(f"{path}: cannot read: {exc.strerror or exc}") from None

    def latest_head(self) -> bytes:
        """The log head of the newest loadable epoch (highest sequence), verbatim file bytes."""
        good, bad = self.summaries()
        if bad:
            # Without every epoch's sequence the newest head is unknown: never serve a stale one.
            raise EpochUnavailable(f"epoch(s) {', '.join(bad)} cannot be read, so the latest log head is unknown")
        if not good:
            raise UnknownEpoch("no epoch is published")
        return self.public_file(good[-1].epoch, "log-head.json")

    def verify_page(self) -> bytes:
        return (self.pubdir / VERIFY_PAGE).read_bytes()

    def close(self) -> None:
        with self._lock:
            for loaded in self._loaded.values():
                loaded.close()
            self._loaded.clear()
