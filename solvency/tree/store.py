"""Reading a built tree: per-user proofs in O(log n) and bulk export (docs/SPEC.md section 5).

A proof is assembled from the node store without rebuilding anything: the user's part-0 lookup
key (first 8 bytes of ``uc``, recomputed from the user id and the epoch key) is binary-searched in
``users.key.npy``; the candidate is confirmed by recomputing its leaf hash and comparing it with
the stored leaf (so a 64-bit key collision can never return another user's proof); then one
sibling record per level is read from ``nodes.bin`` (memory-mapped).

`TreeStore.commitment` and `TreeStore.proof` are the verifier's typed `Commitment` and `Proof`. The
bulk export writes each proof's canonical JSON around the pre-encoded commitment, with member
names and format marker from `Proof`; a line equals ``canonical.dumps(proof.to_json())``.
"""

from __future__ import annotations

import json
import mmap
import multiprocessing
import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from solvency.tree.build import STORE_FORMAT, level_offsets, record_size
from verifier import canonical
from verifier.commitment import Commitment
from verifier.encoding import context_hash, derive_salt, leaf_hash, user_commitment
from verifier.errors import VerificationError
from verifier.proof import Proof, ProofLeaf, verify_proof
from verifier.schema import JSONObject

EXPORT_CHUNK = 2048


class Writer(Protocol):
    """Where `TreeStore.export_proofs` writes: a binary file, or a wrapper such as a bundle writer."""

    def write(self, data: bytes, /) -> int: ...

_EXPORT_STORE: TreeStore | None = None


def _plain(value: Any) -> bytes:
    # Only for values this module builds itself (strings, small ints, lists, dicts of them).
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _export_chunk(job: tuple[int, list[str]]) -> bytes:
    start, ids = job
    store = _EXPORT_STORE
    assert store is not None, "set by TreeStore.export_proofs before the workers fork"
    return b"".join(store.proof_line(start + k, uid) + b"\n" for k, uid in enumerate(ids))


class TreeStoreError(Exception):
    """The tree directory is missing, incomplete or of an unknown format."""


class UnknownUser(KeyError):
    """No leaf of this tree belongs to the user."""


def _meta_problem(meta: dict[str, Any], commitment: Commitment) -> str | None:
    """Why the store's own description disagrees with its signed commitment or is mistyped (a
    corrupted or edited tree.json must be refused, not crash a reader), or None."""
    for key in ("epoch", "assets", "height", "leaf_count"):
        if key not in meta:
            return f"{key} is missing"
    if (meta["epoch"], meta["assets"], meta["height"], meta["leaf_count"]) != (
            commitment.epoch, list(commitment.assets), commitment.height, commitment.leaf_count):
        return "epoch, assets, height or leaf_count differ from the tree's commitment.json"
    if meta.get("record_size") != record_size(len(commitment.assets)):
        return f"record_size {meta.get('record_size')!r} is not {record_size(len(commitment.assets))}"
    split, public_key = meta.get("split"), meta.get("public_key")
    if type(split) is not int or not 1 <= split <= meta["leaf_count"]:
        return f"split {split!r} is not a positive integer"
    if not isinstance(public_key, str) or len(public_key) != 64 or any(c not in "0123456789abcdef" for c in public_key):
        return "public_key is not 64 hex digits"
    return None


class TreeStore:
    def __init__(self, directory: str | os.PathLike[str]) -> None:
        import numpy as np

        self.directory = Path(directory)
        private = self.directory / "private"
        try:
            self.meta = json.loads((private / "tree.json").read_text())
            self.commitment = Commitment.parse(canonical.loads((self.directory / "commitment.json").read_bytes()))
            self.epoch_key = (private / "epoch.key").read_bytes()
            self._positions = np.load(private / "users.pos.npy", mmap_mode="r")
            self._keys = np.load(private / "users.key.npy", mmap_mode="r")
            self._ord = np.load(private / "users.ord.npy", mmap_mode="r")
            self._file = open(private / "nodes.bin", "rb")
        except (OSError, ValueError, RecursionError, VerificationError) as exc:  # RecursionError: a deeply nested tree.json
            raise TreeStoreError(f"{self.directory} is not a complete tree directory: {exc}") from None
        fmt = self.meta.get("format") if isinstance(self.meta, dict) else None
        if fmt != STORE_FORMAT:
            raise TreeStoreError(f"{self.directory}: unknown store format {fmt!r}")
        problem = _meta_problem(self.meta, self.commitment)
        if problem:
            raise TreeStoreError(f"{self.directory}/private/tree.json: {problem}")
        self._nodes = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        self.epoch = self.meta["epoch"]
        self.currencies = tuple(self.meta["assets"])
        self.m = len(self.currencies)
        self.height = self.meta["height"]
        self.size = self.meta["record_size"]
        self.split = self.meta["split"]
        self.offsets = level_offsets(self.height)
        self.ctx = context_hash(self.epoch, self.currencies)
        self._static_members = {"commitment": canonical.dumps(self.commitment.to_json()), "epoch": _plain(self.epoch),
                                "format": _plain(Proof.FORMAT), "type": _plain(Proof.TYPE)}
        self._sum_slots = [(32 + 16 * j, 48 + 16 * j) for j in range(self.m)]
        root_hash, root_sums = self._record(self.height, 0)
        if root_hash != self.commitment.root_hash or tuple(root_sums) != self.commitment.root_sums:
            raise TreeStoreError(f"{self.directory}: the node store's root does not match commitment.json")

    def self_check(self, proof: Proof) -> None:
        """Verify a proof with the verifier before handing it out (raises VerificationError)."""
        verify_proof(proof, bytes.fromhex(self.meta["public_key"]), expected_epoch=self.epoch, expected_user=proof.user_id)

    def self_check_sample(self, count: int = 100) -> None:
        """`self_check` the proofs of up to `count` users drawn at random (before a bulk export)."""
        ids = list(self.user_ids())
        for i in sorted(random.SystemRandom().sample(range(len(ids)), min(count, len(ids)))):
            self.self_check(self.proof_for_index(i, ids[i]))

    def close(self) -> None:
        self._nodes.close()
        self._file.close()

    def __enter__(self) -> TreeStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _record(self, level: int, index: int) -> tuple[bytes, list[int]]:
        start = (self.offsets[level] + index) * self.size
        rec = self._nodes[start : start + self.size]
        return rec[:32], [int.from_bytes(rec[32 + 16 * j : 48 + 16 * j], "big") for j in range(self.m)]

    def _leaf_entry(self, user_id: str, position: int, part: int) -> JSONObject:
        # One leaf as `ProofLeaf.to_json` writes it, built directly from the records (bulk export speed).
        salt = derive_salt(self.epoch_key, self.epoch, user_id, part)
        _, balances = self._record(0, position)
        nodes, size, offsets, slots = self._nodes, self.size, self.offsets, self._sum_slots
        path = []
        for t in range(self.height):
            start = (offsets[t] + ((position >> t) ^ 1)) * size
            rec = nodes[start : start + size]
            path.append({"hash": rec[:32].hex(), "sums": [str(int.from_bytes(rec[a:b], "big")) for a, b in slots]})
        return {"balances": [str(v) for v in balances], "index": position, "path": path, "salt": salt.hex()}

    def _proof_parts(self, i: int, user_id: str) -> tuple[list[str], list[JSONObject]]:
        leaves = sorted((self._leaf_entry(user_id, int(self._positions[i, part]), part) for part in range(self.split)),
                        key=lambda e: e["index"])
        totals = [str(sum(int(e["balances"][j]) for e in leaves)) for j in range(self.m)]
        return totals, leaves

    def _find(self, user_id: str) -> int:
        import numpy as np

        salt = derive_salt(self.epoch_key, self.epoch, user_id, 0)
        key = np.uint64(int.from_bytes(user_commitment(salt, user_id)[:8], "big"))
        lo = int(np.searchsorted(self._keys, key, side="left"))
        hi = int(np.searchsorted(self._keys, key, side="right"))
        for k in range(lo, hi):
            i = int(self._ord[k])
            position = int(self._positions[i, 0])
            stored_hash, balances = self._record(0, position)
            if leaf_hash(self.ctx, user_commitment(salt, user_id), balances) == stored_hash:
                return i
        raise UnknownUser(user_id)

    def proof_for_index(self, i: int, user_id: str) -> Proof:
        totals, leaves = self._proof_parts(i, user_id)
        return Proof(self.epoch, user_id, tuple(int(v) for v in totals),
                     tuple(ProofLeaf.parse(e, self.m, f"proof.leaves[{k}]") for k, e in enumerate(leaves)), self.commitment)

    def proof(self, user_id: str) -> Proof:
        """The proof of one user (raises UnknownUser)."""
        return self.proof_for_index(self._find(user_id), user_id)

    def user_ids(self) -> Iterator[str]:
        with open(self.directory / "private" / "users.ids", encoding="utf-8", newline="\n") as handle:
            for line in handle:
                yield line[:-1]

    def proof_line(self, i: int, user_id: str) -> bytes:
        """Canonical JSON of one proof, assembled around the pre-encoded commitment (equal to
        ``canonical.dumps(self.proof_for_index(i, user_id).to_json())``; a test checks it)."""
        totals, leaves = self._proof_parts(i, user_id)
        encoded = {**self._static_members, "balances": _plain(totals), "leaves": _plain(leaves), "user_id": _plain(user_id)}
        return b"{" + b",".join(_plain(name) + b":" + encoded[name] for name in sorted(Proof.MEMBERS)) + b"}"

    def export_proofs(self, handle: Writer, progress: Callable[[int], None] | None = None, workers: int | None = None) -> int:
        """Write every user's proof as canonical JSON Lines to a binary `handle`; returns the count.

        Chunks of users are rendered by forked worker processes and written in order."""
        ids = list(self.user_ids())
        chunks = [(a, ids[a : a + EXPORT_CHUNK]) for a in range(0, len(ids), EXPORT_CHUNK)]
        nworkers = workers if workers is not None else min(2, os.cpu_count() or 1)
        global _EXPORT_STORE
        _EXPORT_STORE = self
        try:
            if nworkers <= 1 or len(chunks) <= 1:
                results = map(_export_chunk, chunks)
                for (_, chunk), data in zip(chunks, results):
                    handle.write(data)
                    if progress is not None:
                        progress(len(chunk))
            else:
                with multiprocessing.get_context("fork").Pool(nworkers) as pool:
                    for (_, chunk), data in zip(chunks, pool.imap(_export_chunk, chunks)):
                        handle.write(data)
                        if progress is not None:
                            progress(len(chunk))
        finally:
            _EXPORT_STORE = None
        return len(ids)

    def user_positions(self) -> Iterator[tuple[int, ...]]:
        """The leaf positions of each user's `split` parts, in the order of `user_ids` (private:
        an auditor given the tree adds a user's parts up to compare them with the ledger)."""
        for row in self._positions:
            yield tuple(int(p) for p in row)

    def leaf_layer(self) -> Iterator[tuple[int, bytes, list[int]]]:
        """(index, hash, u64 values) of every padded leaf, in index order."""
        for i in range(self.meta["leaf_count"]):
            h, sums = self._record(0, i)
            yield i, h, sums
