"""Transparency log proofs (docs/SPEC.md section 10), verified as RFC 9162 sections 2.1.3-2.1.4 say.

The bank appends the hash of every epoch's commitment to an append-only Merkle log (RFC 6962/9162
hashing: leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right), empty tree =
SHA-256("")). Each epoch publishes the log size and root after its append and a consistency proof
from the previous epoch's size; each user proof carries an inclusion proof of its commitment.

Threat model: a bank that rewrites or forks its history (shows different commitments to different
users, or replaces an old epoch) cannot produce consistency proofs between the roots it published,
and a commitment that is not in the log has no inclusion proof. This module only verifies; it
never builds trees, so it stays small and independent of the prover's log library (pymerkle).

Invariants enforced: sizes are positive integers below 2**64, every hash is exactly 32 bytes,
the proof length is exactly what the sizes imply (no trailing hashes accepted), and all root
comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from verifier.errors import InvalidLog, Reason
from verifier.schema import JSON, JSONObject, check_format, hex_bytes, integer

__all__ = ["InvalidLog", "LogConsistency", "LogInclusion", "empty_root", "leaf_hash", "node_hash",
           "verify_consistency", "verify_inclusion"]

LOG_FORMAT = "pos-log/1"
HASH_SIZE = 32
MAX_SIZE = 1 << 64
MAX_PATH = 128

# The family's earlier name.
InvalidLogProof = InvalidLog


def leaf_hash(entry: bytes) -> bytes:
    """RFC 9162 leaf hash: SHA-256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def empty_root() -> bytes:
    """The root of the empty log: SHA-256 of the empty string."""
    return hashlib.sha256(b"").digest()


def _check_hashes(values: list[bytes], what: str) -> None:
    for index, value in enumerate(values):
        if not isinstance(value, bytes) or len(value) != HASH_SIZE:
            raise InvalidLog(f"{what}[{index}] is not a 32-byte hash", reason=Reason.LOG_PROOF_MALFORMED)


def _check_size(value: int, what: str, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value < MAX_SIZE:
        raise InvalidLog(f"{what} must be an integer in [{minimum}, 2^64), got {value!r}", reason=Reason.LOG_PROOF_MALFORMED)


def verify_inclusion(leaf_index: int, tree_size: int, entry_hash: bytes, path: list[bytes], root: bytes) -> None:
    """Check that the leaf with hash `entry_hash` (already leaf-hashed) sits at `leaf_index`
    (0-based) of the log of `tree_size` entries whose root is `root` (RFC 9162 section 2.1.3.2)."""
    _check_size(tree_size, "tree_size")
    _check_size(leaf_index, "leaf_index", minimum=0)
    _check_hashes([entry_hash, root], "hash")
    _check_hashes(list(path), "inclusion_path")
    if leaf_index >= tree_size:
        raise InvalidLog(f"leaf index {leaf_index} is outside a log of {tree_size} entries", reason=Reason.LOG_INDEX_RANGE)
    fn, sn, r = leaf_index, tree_size - 1, entry_hash
    for p in path:
        if sn == 0:
            raise InvalidLog("inclusion path is longer than the log size allows", reason=Reason.LOG_INCLUSION_INVALID)
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidLog("inclusion path is shorter than the log size requires", reason=Reason.LOG_INCLUSION_INVALID)
    if not hmac.compare_digest(r, root):
        raise InvalidLog("inclusion path does not lead to the published log root", reason=Reason.LOG_INCLUSION_INVALID)


def verify_consistency(first_size: int, second_size: int, first_root: bytes, second_root: bytes, path: list[bytes]) -> None:
    """Check that the log of `second_size` entries with root `second_root` extends the log of
    `first_size` entries with root `first_root` (RFC 9162 section 2.1.4.2)."""
    _check_size(first_size, "first_size")
    _check_size(second_size, "second_size")
    _check_hashes([first_root, second_root], "root")
    _check_hashes(list(path), "consistency_path")
    if first_size > second_size:
        raise InvalidLog(f"log shrank from {first_size} to {second_size} entries", reason=Reason.LOG_SIZE_DECREASED)
    if first_size == second_size:
        if path:
            raise InvalidLog("a proof between equal sizes must be empty", reason=Reason.LOG_CONSISTENCY_INVALID)
        if not hmac.compare_digest(first_root, second_root):
            raise InvalidLog("two different roots were published for the same log size", reason=Reason.LOG_FORKED)
        return
    if not path:
        raise InvalidLog("empty consistency path", reason=Reason.LOG_CONSISTENCY_INVALID)
    path = list(path)
    if first_size & (first_size - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first_size - 1, second_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise InvalidLog("consistency path is longer than the sizes allow", reason=Reason.LOG_CONSISTENCY_INVALID)
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidLog("consistency path is shorter than the sizes require", reason=Reason.LOG_CONSISTENCY_INVALID)
    if not hmac.compare_digest(fr, first_root):
        raise InvalidLog("consistency path does not reproduce the earlier log root", reason=Reason.LOG_CONSISTENCY_INVALID)
    if not hmac.compare_digest(sr, second_root):
        raise InvalidLog("consistency path does not reproduce the later log root", reason=Reason.LOG_CONSISTENCY_INVALID)


# JSON forms (section 10.3). Hashes are lower-case hex; sizes and indexes are JSON integers.

@dataclass(frozen=True, slots=True)
class LogInclusion:
    """An epoch commitment's inclusion in the log: `entry` is the commitment hash."""

    log_size: int
    log_root: bytes
    leaf_index: int
    entry: bytes
    path: tuple[bytes, ...]

    def verify(self) -> None:
        verify_inclusion(self.leaf_index, self.log_size, leaf_hash(self.entry), list(self.path), self.log_root)

    def to_json(self) -> JSONObject:
        return {
            "format": LOG_FORMAT,
            "type": "inclusion",
            "log_size": self.log_size,
            "log_root": self.log_root.hex(),
            "leaf_index": self.leaf_index,
            "entry": self.entry.hex(),
            "path": [h.hex() for h in self.path],
        }

    @classmethod
    def parse(cls, data: JSON) -> LogInclusion:
        """The exact JSON form of SPEC 10.3 (``LOG_PROOF_MALFORMED``; unknown format: ``UNKNOWN_VERSION``)."""
        fields = _fields(data, "inclusion", {"log_size", "log_root", "leaf_index", "entry", "path"})
        return cls(
            log_size=integer(fields["log_size"], "inclusion.log_size", InvalidLog),
            log_root=hex_bytes(fields["log_root"], "inclusion.log_root", InvalidLog),
            leaf_index=integer(fields["leaf_index"], "inclusion.leaf_index", InvalidLog),
            entry=hex_bytes(fields["entry"], "inclusion.entry", InvalidLog),
            path=_hex_list(fields["path"], "inclusion.path"),
        )

    from_json = parse


@dataclass(frozen=True, slots=True)
class LogConsistency:
    """The log grew from (`first_size`, `first_root`) to (`second_size`, `second_root`)."""

    first_size: int
    first_root: bytes
    second_size: int
    second_root: bytes
    path: tuple[bytes, ...]

    def verify(self) -> None:
        verify_consistency(self.first_size, self.second_size, self.first_root, self.second_root, list(self.path))

    def to_json(self) -> JSONObject:
        return {
            "format": LOG_FORMAT,
            "type": "consistency",
            "first_size": self.first_size,
            "first_root": self.first_root.hex(),
            "second_size": self.second_size,
            "second_root": self.second_root.hex(),
            "path": [h.hex() for h in self.path],
        }

    @classmethod
    def parse(cls, data: JSON) -> LogConsistency:
        """The exact JSON form of SPEC 10.3 (``LOG_PROOF_MALFORMED``; unknown format: ``UNKNOWN_VERSION``)."""
        fields = _fields(data, "consistency", {"first_size", "first_root", "second_size", "second_root", "path"})
        return cls(
            first_size=integer(fields["first_size"], "consistency.first_size", InvalidLog),
            first_root=hex_bytes(fields["first_root"], "consistency.first_root", InvalidLog),
            second_size=integer(fields["second_size"], "consistency.second_size", InvalidLog),
            second_root=hex_bytes(fields["second_root"], "consistency.second_root", InvalidLog),
            path=_hex_list(fields["path"], "consistency.path"),
        )

    from_json = parse


def _fields(data: JSON, kind: str, expected: set[str]) -> JSONObject:
    doc = check_format(data, LOG_FORMAT, kind, InvalidLog, unknown=Reason.UNKNOWN_VERSION)
    keys = set(doc) - {"format", "type"}
    if keys != expected:
        missing, unknown = sorted(expected - keys), sorted(keys - expected)
        raise InvalidLog(f"log {kind} proof fields: missing {missing}, unknown {unknown}")
    return doc


def _hex_list(value: JSON, where: str) -> tuple[bytes, ...]:
    if not isinstance(value, list) or len(value) > MAX_PATH:
        raise InvalidLog(f"{where} must be a list of at most {MAX_PATH} hashes")
    return tuple(hex_bytes(item, f"{where}[{i}]", InvalidLog) for i, item in enumerate(value))
