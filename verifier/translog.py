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
from typing import Any

from verifier.errors import CannotVerify, VerificationError

LOG_FORMAT = "pos-log/1"
HASH_SIZE = 32
MAX_SIZE = 1 << 64


class InvalidLogProof(VerificationError):
    """A transparency-log inclusion or consistency proof does not hold."""

    default_reason = "LOG_PROOF_INVALID"


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
            raise InvalidLogProof(f"{what}[{index}] is not a 32-byte hash", reason="LOG_PROOF_MALFORMED")


def _check_size(value: int, what: str, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value < MAX_SIZE:
        raise InvalidLogProof(f"{what} must be an integer in [{minimum}, 2^64), got {value!r}", reason="LOG_PROOF_MALFORMED")


def verify_inclusion(leaf_index: int, tree_size: int, entry_hash: bytes, path: list[bytes], root: bytes) -> None:
    """Check that the leaf with hash `entry_hash` (already leaf-hashed) sits at `leaf_index`
    (0-based) of the log of `tree_size` entries whose root is `root` (RFC 9162 section 2.1.3.2)."""
    _check_size(tree_size, "tree_size")
    _check_size(leaf_index, "leaf_index", minimum=0)
    _check_hashes([entry_hash, root], "hash")
    _check_hashes(list(path), "inclusion_path")
    if leaf_index >= tree_size:
        raise InvalidLogProof(f"leaf index {leaf_index} is outside a log of {tree_size} entries", reason="LOG_INDEX_RANGE")
    fn, sn, r = leaf_index, tree_size - 1, entry_hash
    for p in path:
        if sn == 0:
            raise InvalidLogProof("inclusion path is longer than the log size allows", reason="LOG_INCLUSION_INVALID")
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
        raise InvalidLogProof("inclusion path is shorter than the log size requires", reason="LOG_INCLUSION_INVALID")
    if not hmac.compare_digest(r, root):
        raise InvalidLogProof("inclusion path does not lead to the published log root", reason="LOG_INCLUSION_INVALID")


def verify_consistency(first_size: int, second_size: int, first_root: bytes, second_root: bytes, path: list[bytes]) -> None:
    """Check that the log of `second_size` entries with root `second_root` extends the log of
    `first_size` entries with root `first_root` (RFC 9162 section 2.1.4.2)."""
    _check_size(first_size, "first_size")
    _check_size(second_size, "second_size")
    _check_hashes([first_root, second_root], "root")
    _check_hashes(list(path), "consistency_path")
    if first_size > second_size:
        raise InvalidLogProof(f"log shrank from {first_size} to {second_size} entries", reason="LOG_SIZE_DECREASED")
    if first_size == second_size:
        if path:
            raise InvalidLogProof("a proof between equal sizes must be empty", reason="LOG_CONSISTENCY_INVALID")
        if not hmac.compare_digest(first_root, second_root):
            raise InvalidLogProof("two different roots were published for the same log size", reason="LOG_FORKED")
        return
    if not path:
        raise InvalidLogProof("empty consistency path", reason="LOG_CONSISTENCY_INVALID")
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
            raise InvalidLogProof("consistency path is longer than the sizes allow", reason="LOG_CONSISTENCY_INVALID")
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
        raise InvalidLogProof("consistency path is shorter than the sizes require", reason="LOG_CONSISTENCY_INVALID")
    if not hmac.compare_digest(fr, first_root):
        raise InvalidLogProof("consistency path does not reproduce the earlier log root", reason="LOG_CONSISTENCY_INVALID")
    if not hmac.compare_digest(sr, second_root):
        raise InvalidLogProof("consistency path does not reproduce the later log root", reason="LOG_CONSISTENCY_INVALID")


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

    def to_json(self) -> dict[str, Any]:
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
    def from_json(cls, data: Any) -> LogInclusion:
        fields = _fields(data, "inclusion", {"log_size", "log_root", "leaf_index", "entry", "path"})
        return cls(
            log_size=_int(fields, "log_size"),
            log_root=_hex32(fields["log_root"], "log_root"),
            leaf_index=_int(fields, "leaf_index"),
            entry=_hex32(fields["entry"], "entry"),
            path=_hex_list(fields["path"], "path"),
        )


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

    def to_json(self) -> dict[str, Any]:
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
    def from_json(cls, data: Any) -> LogConsistency:
        fields = _fields(data, "consistency", {"first_size", "first_root", "second_size", "second_root", "path"})
        return cls(
            first_size=_int(fields, "first_size"),
            first_root=_hex32(fields["first_root"], "first_root"),
            second_size=_int(fields, "second_size"),
            second_root=_hex32(fields["second_root"], "second_root"),
            path=_hex_list(fields["path"], "path"),
        )


def _fields(data: Any, kind: str, expected: set[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidLogProof("a log proof must be a JSON object", reason="LOG_PROOF_MALFORMED")
    if data.get("format") != LOG_FORMAT:
        raise CannotVerify(f"unknown log proof format {data.get('format')!r}; this verifier knows {LOG_FORMAT}", reason="UNKNOWN_VERSION")
    if data.get("type") != kind:
        raise InvalidLogProof(f"expected a log {kind} proof, got type {data.get('type')!r}", reason="LOG_PROOF_MALFORMED")
    keys = set(data) - {"format", "type"}
    if keys != expected:
        missing, unknown = sorted(expected - keys), sorted(keys - expected)
        raise InvalidLogProof(f"log {kind} proof fields: missing {missing}, unknown {unknown}", reason="LOG_PROOF_MALFORMED")
    return data


def _int(fields: dict[str, Any], name: str) -> int:
    value = fields[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidLogProof(f"{name} must be an integer", reason="LOG_PROOF_MALFORMED")
    return value


def _hex32(value: Any, name: str) -> bytes:
    if not isinstance(value, str) or len(value) != 2 * HASH_SIZE or value != value.lower():
        raise InvalidLogProof(f"{name} must be 64 lower-case hex digits", reason="LOG_PROOF_MALFORMED")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise InvalidLogProof(f"{name} is not hex", reason="LOG_PROOF_MALFORMED") from None


def _hex_list(value: Any, name: str) -> tuple[bytes, ...]:
    if not isinstance(value, list) or len(value) > 128:
        raise InvalidLogProof(f"{name} must be a list of at most 128 hashes", reason="LOG_PROOF_MALFORMED")
    return tuple(_hex32(item, f"{name}[{i}]") for i, item in enumerate(value))
