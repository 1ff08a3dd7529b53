"""Building the liabilities tree (docs/SPEC.md section 3) into an on-disk node store.

Output directory layout (written to a temporary sibling directory, fsynced, then renamed):

    DIR/commitment.json            public: the signed commitment (SPEC 4)
    DIR/private/                   mode 0700, never published
        tree.json                  store metadata (format pos-mst/1-store)
        epoch.key                  the 32-byte secret epoch key (mode 0600); salts derive from it
        nodes.bin                  every node, level 0 (leaves) to level h (root), R bytes each:
                                   hash(32) || u128 sum per asset; level t starts at record
                                   sum_{u<t} 2^(h-u)
        users.ids                  user ids, one per line, in input order
        users.pos.npy              (n, k) uint64: leaf positions of each user's k parts
        users.key.npy / .ord.npy   sorted u64 lookup keys (first 8 bytes of the user's part-0
                                   commitment uc) and the input index of each key
        negatives.csv              every negative (user, currency, amount) committed as 0
                                   instead (with --exclude-negative; never netted, SPEC 3.1)

Hashing backends, byte for byte the same output (the tests compare whole node stores):

* ``native``: the C extension ``solvency.tree._mst`` (SHA-256 with the Intel SHA extensions when
  the CPU has them, portable C otherwise). It writes records straight into a shared memory map of
  nodes.bin; the leaf layer and the lower levels are split across threads (the extension releases
  the GIL), each owning a contiguous subtree; the top levels are finished in one call each.
* ``python``: hashlib only, for machines where the extension could not be compiled (or with
  ``SOLVENCY_TREE_NATIVE=0``). Node records are assembled with numpy and every hash is one
  ``hashlib.sha256(prefix + slice).digest()`` call; subtrees are split across forked worker
  processes that write with ``os.pwrite``.

Privacy options (docs/SPEC.md sections 1 and 3.6): `split` spreads every balance over that many
leaves and `min_leaves` pads the tree to at least that many; the signed commitment states both
(its ``privacy`` member). `build_tree` is the low-level call and does exactly what it is told
(default: no splitting, no minimum); the commands that banks run (`solvency publish`, `solvency
tree build`) default to `DEFAULT_SPLIT` and `DEFAULT_MIN_LEAVES`, with which a proof's level-0
sibling is a random part of someone's balance, not their exact balance.

The shuffle and the epoch key come from ``os.urandom`` (through `_random_bytes`, which the tests
replace to compare the two backends on the same randomness).
"""

from __future__ import annotations

import csv
import hashlib
import importlib
import json
import mmap
import multiprocessing
import os
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from solvency.atomic import atomic_directory, fsync_file
from solvency.keys import sign
from solvency.tree.balances import COLUMNS as BALANCE_COLUMNS
from solvency.tree.balances import Balances
from verifier.commitment import BalanceDefinition, Commitment, LedgerDigest, Privacy
from verifier.encoding import (
    MAX_HEIGHT,
    SUM_BYTES,
    TAG_LEAF,
    TAG_NODE,
    TAG_PADDING,
    TAG_SALT,
    TAG_USER,
    context_hash,
    lp,
)
from verifier.schema import UtcTime
from verifier.signature import key_id

STORE_FORMAT = "pos-mst/1-store"
#: The privacy defaults of the publication commands (SPEC 1): two parts per balance, and at least
#: 2^10 leaves, so a bank of up to 512 users publishes the same leaf count whatever its size.
DEFAULT_SPLIT = 2
DEFAULT_MIN_LEAVES = 1024
CHUNK = 1 << 16
_JOB: dict[str, Any] = {}
Region = tuple[int, int, int]  # leaf positions [lo, hi) and the top level hashed by one worker
Progress = Callable[[int], None] | None
_random_bytes = os.urandom


def _native_module() -> Any:
    """The C extension `solvency.tree._mst`, or None when it is missing or disabled."""
    if os.environ.get("SOLVENCY_TREE_NATIVE", "1") == "0":
        return None
    try:
        return importlib.import_module("solvency.tree._mst")
    except ImportError:
        return None


def hashing_backend() -> str:
    """What `build_tree` will hash with by default, e.g. ``native (sha-ni)`` or ``python``."""
    native = _native_module()
    return f"native ({native.backend()})" if native is not None else "python"


def record_size(m: int) -> int:
    return 32 + SUM_BYTES * m


def level_offsets(height: int) -> list[int]:
    """Record offset of each level 0..height in nodes.bin."""
    offsets, total = [], 0
    for t in range(height + 1):
        offsets.append(total)
        total += 1 << (height - t)
    offsets.append(total)
    return offsets


def combine_level(height: int, child: bytes, m: int) -> bytes:
    """Parent records (height `height`) of an even run of child records."""
    import numpy as np

    size = record_size(m)
    count = len(child) // size
    arr = np.frombuffer(child, dtype=np.uint8).reshape(count, size)
    sums = arr[:, 32:].copy().view(">u8").reshape(count, m, 2).astype(np.uint64)
    hi, lo = sums[:, :, 0], sums[:, :, 1]
    plo = lo[0::2] + lo[1::2]
    carry = (plo < lo[0::2]).astype(np.uint64)
    phi = hi[0::2] + hi[1::2] + carry
    if (phi >> np.uint64(62)).any():
        raise OverflowError("a node sum approaches 2^128")  # impossible for u64 leaves and h <= 40
    sha = hashlib.sha256
    prefix = TAG_NODE + bytes([height])
    step = 2 * size
    hashes = b"".join([sha(prefix + child[x : x + step]).digest() for x in range(0, len(child), step)])
    out = np.empty((count // 2, size), dtype=np.uint8)
    out[:, :32] = np.frombuffer(hashes, dtype=np.uint8).reshape(count // 2, 32)
    s = np.empty((count // 2, m, 2), dtype=">u8")
    s[:, :, 0] = phi
    s[:, :, 1] = plo
    out[:, 32:] = s.view(np.uint8).reshape(count // 2, SUM_BYTES * m)
    return out.tobytes()


def _hmac_states(key: bytes) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """Precomputed HMAC-SHA256 inner and outer states (RFC 2104): `hmac_with(states, m)` equals
    ``hmac.digest(key, m, "sha256")`` at a third of the per-call cost."""
    block = key.ljust(64, b"\0") if len(key) <= 64 else hashlib.sha256(key).digest().ljust(64, b"\0")
    return (
        hashlib.sha256(bytes(b ^ 0x36 for b in block)).copy,
        hashlib.sha256(bytes(b ^ 0x5C for b in block)).copy,
    )


def _leaf_chunk(a: int, b: int) -> tuple[bytes, list[int], bytes]:
    """Leaf records for positions [a, b), and the input indexes and 8-byte lookup keys of the
    part-0 user leaves among them."""
    import numpy as np

    job = _JOB
    m, k, n_entries = job["m"], job["k"], job["entries"]
    uids, parts = job["user_ids"], job["parts"]
    inner, outer = job["hmac_states"]
    entries = job["order"][a:b]
    count = b - a
    bal = np.zeros((count, m), dtype=np.uint64)
    mask = entries < n_entries
    bal[mask] = parts[entries[mask]]
    balbytes = bal.astype(">u8").tobytes()
    width = 8 * m
    bal_slices = [balbytes[x : x + width] for x in range(0, len(balbytes), width)]
    sha = hashlib.sha256
    salt_prefix = job["salt_prefix"]
    leaf_prefix = job["leaf_prefix"]
    part_bytes = [j.to_bytes(4, "big") for j in range(k)]
    hashes = []
    key_index: list[int] = []
    key_bytes = bytearray()
    position = a
    for e, balance in zip(entries.tolist(), bal_slices):
        if e < n_entries:
            if k == 1:
                i, part = e, 0
            else:
                i, part = divmod(e, k)
            ub = uids[i].encode()
            lpu = len(ub).to_bytes(2, "big") + ub
            h = inner()
            h.update(salt_prefix + lpu + part_bytes[part])
            o = outer()
            o.update(h.digest())
            uc = sha(TAG_USER + o.digest() + lpu).digest()
            if part == 0:
                key_index.append(i)
                key_bytes += uc[:8]
        else:
            h = inner()
            h.update(TAG_PADDING + position.to_bytes(8, "big"))
            o = outer()
            o.update(h.digest())
            uc = o.digest()
        hashes.append(sha(leaf_prefix + uc + balance).digest())
        position += 1
    size = record_size(m)
    rec = np.zeros((count, size), dtype=np.uint8)
    rec[:, :32] = np.frombuffer(b"".join(hashes), dtype=np.uint8).reshape(count, 32)
    be = bal.astype(">u8").view(np.uint8).reshape(count, m, 8)
    for j in range(m):
        rec[:, 32 + 16 * j + 8 : 32 + 16 * j + 16] = be[:, j, :]
    return rec.tobytes(), key_index, bytes(key_bytes)


def _build_region(region: tuple[int, int, int]) -> tuple[list[int], bytes]:
    """Leaves of positions [lo, hi) and every level up to `top` of that subtree, into nodes.bin."""
    lo, hi, top = region
    job = _JOB
    m, height = job["m"], job["height"]
    size = record_size(m)
    offsets = level_offsets(height)
    fd = os.open(job["nodes_path"], os.O_RDWR)
    key_index: list[int] = []
    key_bytes = bytearray()
    try:
        for a in range(lo, hi, CHUNK):
            b = min(hi, a + CHUNK)
            records, chunk_index, chunk_bytes = _leaf_chunk(a, b)
            os.pwrite(fd, records, (offsets[0] + a) * size)
            key_index.extend(chunk_index)
            key_bytes += chunk_bytes
            if job.get("progress_queue") is not None:
                job["progress_queue"].put(b - a)
        for t in range(1, top + 1):
            clo, chi = lo >> (t - 1), hi >> (t - 1)
            for a in range(clo, chi, CHUNK):
                b = min(chi, a + CHUNK)
                child = os.pread(fd, (b - a) * size, (offsets[t - 1] + a) * size)
                os.pwrite(fd, combine_level(t, child, m), (offsets[t] + a // 2) * size)
    finally:
        os.close(fd)
    return key_index, bytes(key_bytes)


def _randbelow(n: int) -> int:
    """Uniform integer in [0, n) from `_random_bytes`, by rejection (no modulo bias)."""
    bits = n.bit_length()
    while True:
        value = int.from_bytes(_random_bytes((bits + 7) // 8), "big") >> (-bits % 8)
        if value < n:
            return value


def _split_parts(amounts: Any, k: int) -> Any:
    """Spread each balance over k parts with uniformly random cut points (CSPRNG)."""
    import numpy as np

    n, m = amounts.shape
    parts = np.zeros((n * k, m), dtype=np.uint64)
    for i in range(n):
        for j in range(m):
            total = int(amounts[i, j])
            cuts = sorted(_randbelow(total + 1) for _ in range(k - 1))
            bounds = [0, *cuts, total]
            for p in range(k):
                parts[i * k + p, j] = bounds[p + 1] - bounds[p]
    return parts


def padded_leaf_count(entries: int, min_leaves: int = 2) -> int:
    """The leaf count of a tree of `entries` leaves: the next power of two, at least `min_leaves` and 2."""
    leaf_count = 2
    while leaf_count < max(entries, min_leaves):
        leaf_count *= 2
    return leaf_count


def build_tree(
    balances: Balances,
    *,
    epoch: str,
    as_of: str,
    private_key: Ed25519PrivateKey,
    out_dir: str | os.PathLike[str],
    balance_definition: BalanceDefinition | None = None,
    ledger_digest: LedgerDigest | None = None,
    split: int = 1,
    min_leaves: int = 2,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    backend: str | None = None,
) -> Commitment:
    """Build the tree of `balances` into `out_dir` (which must not exist). Returns the commitment.

    `backend` is ``"native"``, ``"python"`` or None for the native one when it is available."""
    import numpy as np

    out = Path(out_dir)
    if out.exists():
        raise FileExistsError(f"{out} already exists; refusing to overwrite a built tree")
    currencies = tuple(balances.currencies)
    m = len(currencies)
    ctx = context_hash(epoch, currencies)  # validates epoch and currency codes
    if not 1 <= split <= 64:
        raise ValueError("split must be in 1..64")
    if not 2 <= min_leaves <= 1 << MAX_HEIGHT:
        raise ValueError(f"min_leaves must be in 2..2^{MAX_HEIGHT}")
    n = len(balances.user_ids)
    amounts = balances.amounts
    parts = amounts if split == 1 else _split_parts(amounts, split)
    n_entries = n * split
    leaf_count = padded_leaf_count(n_entries, min_leaves)
    height = leaf_count.bit_length() - 1
    if height > MAX_HEIGHT:
        raise ValueError("too many leaves")
    if backend not in (None, "native", "python"):
        raise ValueError(f"unknown hashing backend {backend!r}")
    native = _native_module() if backend != "python" else None
    if backend == "native" and native is None:
        raise RuntimeError("the native extension solvency.tree._mst is not available (or SOLVENCY_TREE_NATIVE=0)")
    epoch_key = _random_bytes(32)
    # CSPRNG shuffle: sort positions by independent uniform 64-bit keys from os.urandom. Two equal
    # keys (probability below n^2 / 2^65) would only fix the relative order of two entries.
    order = np.argsort(np.frombuffer(_random_bytes(8 * leaf_count), dtype=np.uint64)).astype(np.int64, copy=False)

    with atomic_directory(out) as tmp:
        private = tmp / "private"
        private.mkdir(mode=0o700)
        key_fd = os.open(private / "epoch.key", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(key_fd, "wb") as handle:
            handle.write(epoch_key)
        size = record_size(m)
        offsets = level_offsets(height)
        nodes_path = private / "nodes.bin"
        with open(nodes_path, "wb") as handle:
            handle.truncate(offsets[-1] * size)

        nworkers = workers if workers is not None else min(2, os.cpu_count() or 1)
        regions_count = 1
        while regions_count * 2 <= nworkers and leaf_count // (regions_count * 2) >= CHUNK:
            regions_count *= 2
        top = height - (regions_count.bit_length() - 1)
        span = leaf_count // regions_count
        regions = [(r * span, (r + 1) * span, top) for r in range(regions_count)]
        job = dict(
            m=m, k=split, entries=n_entries, user_ids=balances.user_ids, parts=parts, epoch_key=epoch_key,
            order=order, height=height, nodes_path=str(nodes_path),
            salt_prefix=TAG_SALT + lp(epoch.encode("ascii")), leaf_prefix=TAG_LEAF + ctx,
        )

        def meanwhile() -> None:
            # The part of the user index that does not depend on any hash, written (and
            # fsynced) by the calling thread while the hashing threads or processes run.
            # nodes.bin is not fsynced here: syncing pages that are still being written would
            # write them twice.
            positions = np.empty(leaf_count, dtype=np.uint64)
            positions[order] = np.arange(leaf_count, dtype=np.uint64)
            np.save(private / "users.pos.npy", positions[:n_entries].reshape(n, split))
            with open(private / "users.ids", "w", encoding="utf-8", newline="\n") as handle:
                for a in range(0, n, 1 << 20):
                    handle.write("\n".join(balances.user_ids[a : a + (1 << 20)]) + "\n")
            if balances.excluded_negative:
                with open(private / "negatives.csv", "w", encoding="utf-8", newline="") as handle:
                    writer = csv.writer(handle)
                    writer.writerow(BALANCE_COLUMNS)  # the balances file's own columns
                    for neg in balances.excluded_negative:
                        writer.writerow([neg.user_id, neg.currency, neg.amount])
            for name in ("users.pos.npy", "users.ids", "negatives.csv", "epoch.key"):
                if (private / name).exists():
                    fsync_file(private / name)

        if native is not None:
            keys, root = _build_native(native, job, regions, progress, meanwhile)
        else:
            keys, root = _build_python(job, regions, progress, meanwhile)
        root_hash = root[:32]
        root_sums = [int.from_bytes(root[32 + 16 * j : 48 + 16 * j], "big") for j in range(m)]

        # The part-0 lookup keys, sorted, with the input index of each.
        sorter = np.argsort(keys)
        np.save(private / "users.key.npy", keys[sorter])
        np.save(private / "users.ord.npy", sorter.astype(np.int64))

        commitment = sign(Commitment(
            epoch=epoch, as_of=UtcTime(as_of), assets=currencies, height=height, root_hash=bytes(root_hash),
            root_sums=tuple(root_sums), balance_definition=balance_definition, ledger_digest=ledger_digest,
            signer_key_id=key_id(private_key.public_key()), privacy=Privacy(split, min_leaves),
        ), private_key)
        (tmp / "commitment.json").write_bytes(commitment.to_bytes())
        meta = {
            "format": STORE_FORMAT,
            "epoch": epoch,
            "assets": list(currencies),
            "height": height,
            "leaf_count": leaf_count,
            "users": n,
            "split": split,
            "min_leaves": min_leaves,
            "record_size": size,
            "excluded_negative": len(balances.excluded_negative),
            "public_key": private_key.public_key().public_bytes_raw().hex(),
        }
        (private / "tree.json").write_text(json.dumps(meta, sort_keys=True, indent=1) + "\n")
    return commitment


def _id_blob(user_ids: Sequence[str]) -> tuple[bytes, Any]:
    """UTF-8 of all user ids, concatenated, and the (n + 1) int64 offsets of each."""
    import numpy as np

    n = len(user_ids)
    text = "".join(user_ids)
    blob = text.encode("utf-8")
    if len(blob) == len(text):
        lengths = np.fromiter(map(len, user_ids), dtype=np.int64, count=n)
    else:
        lengths = np.fromiter((len(u.encode("utf-8")) for u in user_ids), dtype=np.int64, count=n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return blob, offsets


def _build_native(mst: Any, job: dict[str, Any], regions: list[Region], progress: Progress, meanwhile: Callable[[], None]) -> tuple[Any, bytes]:
    """Hash every level into a shared memory map of nodes.bin; returns (keys, root record)."""
    import numpy as np

    m, height, k, n_entries = job["m"], job["height"], job["k"], job["entries"]
    size = record_size(m)
    offsets = level_offsets(height)
    n = n_entries // k
    blob, id_offsets = _id_blob(job["user_ids"])
    parts = np.ascontiguousarray(job["parts"], dtype=np.uint64)
    order = np.ascontiguousarray(job["order"], dtype=np.int64)
    keys = np.zeros(n, dtype=np.uint64)
    leaf_args = (order, parts, k, n_entries, blob, id_offsets, keys, job["epoch_key"], job["salt_prefix"],
                 TAG_USER, TAG_PADDING, job["leaf_prefix"])
    lock = threading.Lock()

    def region(lo: int, hi: int, top: int) -> None:
        for a in range(lo, hi, CHUNK):
            b = min(hi, a + CHUNK)
            mst.leaves(nodes, m, a, b, *leaf_args)
            if progress is not None:
                with lock:
                    progress(b - a)
        for t in range(1, top + 1):
            clo, chi = lo >> (t - 1), hi >> (t - 1)
            mst.combine(nodes, m, t, TAG_NODE, offsets[t - 1] + clo, offsets[t] + clo // 2, (chi - clo) // 2)

    with open(job["nodes_path"], "r+b") as handle:
        nodes = mmap.mmap(handle.fileno(), 0)
        try:
            if len(regions) == 1:
                region(*regions[0])
                meanwhile()
            else:
                with ThreadPoolExecutor(len(regions)) as pool:
                    futures = [pool.submit(region, *r) for r in regions]
                    meanwhile()
                    for future in futures:
                        future.result()
            top = regions[0][2]
            for t in range(top + 1, height + 1):
                mst.combine(nodes, m, t, TAG_NODE, offsets[t - 1], offsets[t], 1 << (height - t))
            root = bytes(nodes[offsets[height] * size : (offsets[height] + 1) * size])
        finally:
            nodes.close()
    return keys, root


def _build_python(job: dict[str, Any], regions: list[Region], progress: Progress, meanwhile: Callable[[], None]) -> tuple[Any, bytes]:
    """The hashlib path: forked workers write subtrees with os.pwrite; returns (keys, root record)."""
    import numpy as np

    m, height = job["m"], job["height"]
    size = record_size(m)
    offsets = level_offsets(height)
    _JOB.clear()
    _JOB.update(job, hmac_states=_hmac_states(job["epoch_key"]))
    try:
        if len(regions) == 1:
            results = [_build_region(regions[0]) if progress is None else _build_with_progress(regions, progress)]
            meanwhile()
        else:
            results = _build_parallel(regions, progress, meanwhile)
        fd = os.open(job["nodes_path"], os.O_RDWR)
        try:
            for t in range(regions[0][2] + 1, height + 1):
                child = os.pread(fd, (1 << (height - t + 1)) * size, offsets[t - 1] * size)
                os.pwrite(fd, combine_level(t, child, m), offsets[t] * size)
            root = os.pread(fd, size, offsets[height] * size)
        finally:
            os.close(fd)
    finally:
        _JOB.clear()
    keys = np.zeros(job["entries"] // job["k"], dtype=np.uint64)
    idx = np.concatenate([np.asarray(ki, dtype=np.int64) for ki, _ in results])
    keys[idx] = np.frombuffer(b"".join(kb for _, kb in results), dtype=">u8").astype(np.uint64)
    return keys, root


def _build_with_progress(regions: list[Region], progress: Callable[[int], None]) -> tuple[list[int], bytes]:
    class _Sink:
        def put(self, value: int) -> None:
            progress(value)

    _JOB["progress_queue"] = _Sink()
    return _build_region(regions[0])


def _build_parallel(regions: list[Region], progress: Progress, meanwhile: Callable[[], None]) -> list[tuple[list[int], bytes]]:
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue() if progress is not None else None
    _JOB["progress_queue"] = q
    with ctx.Pool(len(regions)) as pool:
        pending = pool.map_async(_build_region, regions)
        meanwhile()
        while q is not None and progress is not None and not pending.ready():
            try:
                progress(q.get(timeout=0.2))
            except queue.Empty:
                pass
        return pending.get()
