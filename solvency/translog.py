"""The bank's transparency log of epoch commitments (docs/SPEC.md section 10).

Storage is pymerkle's `SqliteTree` (append-only: its leaf table rejects UPDATE and DELETE by
trigger). pymerkle hashes leaves and nodes as RFC 6962/9162 do, but its own proof layout is not
the RFC's, so the proofs this module publishes are computed here in RFC 9162 form (PATH and
SUBPROOF of sections 2.1.3.1 and 2.1.4.1) from the leaf hashes pymerkle stores, and `verifier.
translog` checks them with its own small implementation. Every proof produced here is checked
against pymerkle's root for the same size before it is returned, so a divergence between the two
implementations fails loudly at the bank instead of silently at the user.

pymerkle is GPL-3.0-or-later; it is used only on the prover side and never by the verifier.
Log sizes are small (one entry per epoch), so range hashes are recomputed from stored leaf
hashes with a per-call memo rather than cached on disk.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path

from verifier.translog import LogConsistency, LogInclusion, empty_root, leaf_hash, node_hash


class LogError(Exception):
    """The transparency log cannot do what was asked (bad size, corrupt storage)."""


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


class TransparencyLog:
    """An append-only log of 32-byte commitment hashes stored in a pymerkle SqliteTree file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        from pymerkle import SqliteTree  # Lazy: pymerkle is a prover-side dependency.

        self.path = Path(path)
        self._tree = SqliteTree(str(self.path), algorithm="sha256")

    def close(self) -> None:
        self._tree.close()

    def __enter__(self) -> TransparencyLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def size(self) -> int:
        return int(self._tree.get_size())

    def append(self, entry: bytes) -> int:
        """Append one commitment hash; returns its 0-based leaf index."""
        if not isinstance(entry, bytes) or len(entry) != 32:
            raise LogError("log entries are 32-byte commitment hashes")
        return int(self._tree.append_entry(entry)) - 1

    def entry(self, index: int) -> bytes:
        if not 0 <= index < self.size:
            raise LogError(f"no log entry {index} in a log of {self.size}")
        return bytes(self._tree.get_entry(index + 1))

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise LogError(f"size {size} is outside the log's {self.size} entries")
        return bytes(self._tree.get_root(size)) if size else empty_root()

    def _range_hasher(self, size: int) -> Callable[[int, int], bytes]:
        leaves = [bytes(self._tree.get_leaf(i)) for i in range(1, size + 1)]

        @cache
        def mth(start: int, end: int) -> bytes:
            if end - start == 1:
                return leaves[start]
            k = _largest_power_of_two_below(end - start)
            return node_hash(mth(start, start + k), mth(start + k, end))

        return mth

    def prove_inclusion(self, index: int, size: int | None = None) -> LogInclusion:
        """RFC 9162 PATH(index, D[size]) for the entry at `index`, checked before returning."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise LogError(f"cannot prove entry {index} in a log of size {size} (log has {self.size})")
        mth = self._range_hasher(size)

        def path(m: int, start: int, end: int) -> list[bytes]:
            if end - start == 1:
                return []
            k = _largest_power_of_two_below(end - start)
            if m < k:
                return path(m, start, start + k) + [mth(start + k, end)]
            return path(m - k, start + k, end) + [mth(start, start + k)]

        proof = LogInclusion(
            log_size=size,
            log_root=self.root(size),
            leaf_index=index,
            entry=self.entry(index),
            path=tuple(path(index, 0, size)),
        )
        if not hmac.compare_digest(mth(0, size), proof.log_root):
            raise LogError("pymerkle's root disagrees with the RFC 9162 root: refusing to publish")
        proof.verify()
        return proof

    def prove_consistency(self, first_size: int, second_size: int | None = None) -> LogConsistency:
        """RFC 9162 PROOF(first_size, D[second_size]), checked before returning."""
        second_size = self.size if second_size is None else second_size
        if not 0 < first_size <= second_size <= self.size:
            raise LogError(f"cannot prove consistency from {first_size} to {second_size} (log has {self.size})")
        mth = self._range_hasher(second_size)

        def subproof(m: int, start: int, end: int, complete: bool) -> list[bytes]:
            n = end - start
            if m == n:
                return [] if complete else [mth(start, end)]
            k = _largest_power_of_two_below(n)
            if m <= k:
                return subproof(m, start, start + k, complete) + [mth(start + k, end)]
            return subproof(m - k, start + k, end, False) + [mth(start, start + k)]

        path = subproof(first_size, 0, second_size, True) if first_size < second_size else []
        proof = LogConsistency(
            first_size=first_size,
            first_root=self.root(first_size),
            second_size=second_size,
            second_root=self.root(second_size),
            path=tuple(path),
        )
        if not hmac.compare_digest(mth(0, first_size), proof.first_root):
            raise LogError("pymerkle's root disagrees with the RFC 9162 root: refusing to publish")
        proof.verify()
        return proof


__all__ = ["LogError", "TransparencyLog", "leaf_hash"]
