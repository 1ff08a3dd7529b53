"""Full-tree audit from the padded leaf layer (docs/SPEC.md section 7).

An auditor receives the leaf layer (leaf hashes and per-asset values, in index order; no user ids,
no salts) and recomputes every internal node and the root. This establishes what no single user
can: that *all* leaves are non-negative and below 2^64, that no internal sum overflows, and that
the committed root sums are exactly the sum of the leaf values. It does not establish who owns
which leaf; that is what user proofs are for.

Two leaf layer formats are accepted:

* ``leaves.bin``: ``"pos-mst/1 leaves" || 0x00 || u8(m) || u8(h)`` then 2^h records
  ``leaf_hash(32) || u64(v_1) .. u64(v_m)``; nothing else (trailing bytes are refused);
* ``leaves.parquet``: columns ``index`` (integer), ``hash`` (32-byte binary), then one integer
  column per asset named by its code, in commitment order. pyarrow is imported lazily and only
  for this format; without it the verdict is "could not decide" (exit 3).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from verifier.commitment import Commitment, InvalidCommitment, parse_commitment
from verifier.encoding import LEAF_VALUE_LIMIT
from verifier.errors import CannotVerify, VerificationError
from verifier.merkle import SumOverflow, root_of_leaves
from verifier.signature import verify_signature

LEAVES_MAGIC = b"pos-mst/1 leaves\x00"


class InvalidTree(VerificationError):
    default_reason = "ROOT_HASH_MISMATCH"


@dataclass(frozen=True, slots=True)
class LeafLayer:
    hashes: list[bytes]
    values: list[tuple[int, ...]]


@dataclass(frozen=True, slots=True)
class AuditFacts:
    epoch: str
    leaf_count: int
    zero_leaves: int
    root_hash: str
    root_sums: tuple[int, ...]
    max_leaf: tuple[int, ...]


def serialize_leaves_bin(m: int, height: int, records) -> bytes:
    """Encode a leaf layer: `records` yields (hash, values)."""
    out = bytearray(LEAVES_MAGIC + bytes([m, height]))
    for h, values in records:
        out += h + b"".join(v.to_bytes(8, "big") for v in values)
    return bytes(out)


def parse_leaves_bin(data: bytes) -> tuple[int, int, LeafLayer]:
    """Strict parse of ``leaves.bin``; returns (m, height, layer)."""
    if not data.startswith(LEAVES_MAGIC):
        if data.startswith(b"pos-mst/"):
            raise CannotVerify("unsupported leaf layer version", reason="UNSUPPORTED_VERSION")
        raise InvalidTree("not a pos-mst/1 leaf layer (bad magic)", reason="SCHEMA")
    head = len(LEAVES_MAGIC)
    if len(data) < head + 2:
        raise InvalidTree("truncated leaf layer header", reason="SCHEMA")
    m, height = data[head], data[head + 1]
    if not 1 <= m <= 16 or not 1 <= height <= 40:
        raise InvalidTree("leaf layer header: m must be 1..16 and height 1..40", reason="SCHEMA")
    size = 32 + 8 * m
    body = memoryview(data)[head + 2 :]
    if len(body) != size << height:
        raise InvalidTree(f"leaf layer holds {len(body)} bytes, expected exactly {size << height} (2^{height} records)", reason="LEAF_COUNT")
    hashes, values = [], []
    for off in range(0, len(body), size):
        rec = bytes(body[off : off + size])
        hashes.append(rec[:32])
        values.append(tuple(int.from_bytes(rec[32 + 8 * j : 40 + 8 * j], "big") for j in range(m)))
    return m, height, LeafLayer(hashes, values)


def read_leaves_parquet(path: str, assets: tuple[str, ...]) -> LeafLayer:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise CannotVerify("reading Parquet needs pyarrow (pip install pyarrow), or use leaves.bin", reason="UNSUPPORTED_FEATURE") from None
    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - any read failure is undecidable input
        raise CannotVerify(f"cannot read {path}: {exc}", reason="UNREADABLE") from None
    expected = ["index", "hash", *assets]
    if table.column_names != expected:
        raise InvalidTree(f"{path}: columns must be exactly {expected}, got {table.column_names}", reason="SCHEMA")
    indexes = table.column("index").to_pylist()
    if indexes != list(range(len(indexes))):
        raise InvalidTree(f"{path}: leaves must be listed in index order 0..n-1", reason="INDEX_ORDER")
    hashes = table.column("hash").to_pylist()
    if not all(isinstance(h, bytes) and len(h) == 32 for h in hashes):
        raise InvalidTree(f"{path}: every hash must be 32 bytes", reason="SCHEMA")
    cols = [table.column(a).to_pylist() for a in assets]
    for a, col in zip(assets, cols):
        if not all(type(v) is int for v in col):
            raise InvalidTree(f"{path}: column {a} must hold integers only", reason="SCHEMA")
    return LeafLayer(hashes, list(zip(*cols)) if cols else [])


def load_leaf_layer(path: str | os.PathLike[str], commitment: Commitment) -> LeafLayer:
    p = Path(path)
    if p.is_dir():
        for name in ("leaves.bin", "leaves.parquet"):
            if (p / name).exists():
                p = p / name
                break
        else:
            raise CannotVerify(f"{path} holds neither leaves.bin nor leaves.parquet", reason="UNREADABLE")
    if p.suffix == ".parquet":
        return read_leaves_parquet(str(p), commitment.assets)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise CannotVerify(f"cannot read {p}: {exc.strerror or exc}", reason="UNREADABLE") from None
    m, height, layer = parse_leaves_bin(data)
    if m != len(commitment.assets) or height != commitment.height:
        raise InvalidTree(f"leaf layer has {m} assets and height {height}; the commitment {len(commitment.assets)} and {commitment.height}", reason="LEAF_COUNT")
    return layer


def verify_tree(layer: LeafLayer, commitment_doc: dict, pinned_public_key, *, expected_epoch: str | None = None, checked: list[str] | None = None) -> AuditFacts:
    """SPEC 7: commitment, signature, leaf count, leaf ranges, recompute, compare root, epoch."""
    done = checked if checked is not None else []
    try:
        com = parse_commitment(commitment_doc)
    except InvalidCommitment as exc:
        raise InvalidTree(f"commitment: {exc.message}", reason=exc.reason) from None
    done.append("commitment schema (format pos-mst/1)")
    verify_signature(commitment_doc, pinned_public_key)
    done.append(f"commitment signed by the pinned bank key {com.signer_key_id}")
    if len(layer.hashes) != com.leaf_count or len(layer.values) != com.leaf_count:
        raise InvalidTree(f"the leaf layer has {len(layer.hashes)} leaves; the commitment says {com.leaf_count}", reason="LEAF_COUNT")
    done.append(f"{com.leaf_count} leaves (= 2^{com.height}, the committed count)")
    m = len(com.assets)
    for i, values in enumerate(layer.values):
        if len(values) != m:
            raise InvalidTree(f"leaf {i} has {len(values)} values, expected {m}", reason="SCHEMA")
        for v in values:
            if v < 0:
                raise InvalidTree(f"leaf {i} has a negative value {v}", reason="NEGATIVE_SUM")
            if v >= LEAF_VALUE_LIMIT:
                raise InvalidTree(f"leaf {i} has a value >= 2^64", reason="LEAF_VALUE_RANGE")
    done.append("every leaf value is in [0, 2^64)")
    try:
        root_hash, root_sums = root_of_leaves(list(layer.hashes), list(layer.values))
    except SumOverflow as exc:
        raise InvalidTree(str(exc), reason="SUM_OVERFLOW") from None
    if root_hash != com.root_hash:
        raise InvalidTree(f"recomputed root {root_hash.hex()} differs from the committed {com.root_hash.hex()}", reason="ROOT_HASH_MISMATCH")
    if tuple(root_sums) != com.root_sums:
        raise InvalidTree(f"recomputed root sums {list(root_sums)} differ from the committed {list(com.root_sums)}", reason="ROOT_SUM_MISMATCH")
    done.append("every internal node recomputed; root hash and root sums equal the commitment's")
    if expected_epoch is not None:
        if com.epoch != expected_epoch:
            raise InvalidTree(f"the commitment is for epoch {com.epoch!r}, not {expected_epoch!r}", reason="WRONG_EPOCH")
        done.append(f"epoch is the expected {expected_epoch!r}")
    zero = sum(1 for v in layer.values if not any(v))
    max_leaf = tuple(max(v[j] for v in layer.values) for j in range(m))
    return AuditFacts(com.epoch, com.leaf_count, zero, com.root_hash.hex(), com.root_sums, max_leaf)
