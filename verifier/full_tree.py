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
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from verifier.commitment import Commitment, parse_commitment
from verifier.encoding import LEAF_VALUE_LIMIT
from verifier.errors import CannotVerify, InvalidCommitment, InvalidTree, Reason, rebrand
from verifier.merkle import SumOverflow, root_of_leaves
from verifier.schema import JSON
from verifier.signature import PublicKey
from verifier.steps import SKIPPED, Step, run_steps

__all__ = ["TREE_CHECKS", "AuditFacts", "InvalidTree", "LeafLayer", "load_leaf_layer", "parse_leaves_bin",
           "serialize_leaves_bin", "verify_tree"]

LEAVES_MAGIC = b"pos-mst/1 leaves\x00"


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
    checked: tuple[str, ...] = field(default=(), compare=False)


def serialize_leaves_bin(m: int, height: int, records: Iterable[tuple[bytes, tuple[int, ...]]]) -> bytes:
    """Encode a leaf layer: `records` yields (hash, values)."""
    out = bytearray(LEAVES_MAGIC + bytes([m, height]))
    for h, values in records:
        out += h + b"".join(v.to_bytes(8, "big") for v in values)
    return bytes(out)


def parse_leaves_bin(data: bytes) -> tuple[int, int, LeafLayer]:
    """Strict parse of ``leaves.bin``; returns (m, height, layer)."""
    if not data.startswith(LEAVES_MAGIC):
        if data.startswith(b"pos-mst/"):
            raise CannotVerify("unsupported leaf layer version", reason=Reason.UNSUPPORTED_VERSION)
        raise InvalidTree("not a pos-mst/1 leaf layer (bad magic)", reason=Reason.SCHEMA)
    head = len(LEAVES_MAGIC)
    if len(data) < head + 2:
        raise InvalidTree("truncated leaf layer header", reason=Reason.SCHEMA)
    m, height = data[head], data[head + 1]
    if not 1 <= m <= 16 or not 1 <= height <= 40:
        raise InvalidTree("leaf layer header: m must be 1..16 and height 1..40", reason=Reason.SCHEMA)
    size = 32 + 8 * m
    body = memoryview(data)[head + 2 :]
    if len(body) != size << height:
        raise InvalidTree(f"leaf layer holds {len(body)} bytes, expected exactly {size << height} (2^{height} records)", reason=Reason.LEAF_COUNT)
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
        raise CannotVerify("reading Parquet needs pyarrow (pip install pyarrow), or use leaves.bin", reason=Reason.UNSUPPORTED_FEATURE) from None
    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - any read failure is undecidable input
        raise CannotVerify(f"cannot read {path}: {exc}", reason=Reason.UNREADABLE) from None
    expected = ["index", "hash", *assets]
    if table.column_names != expected:
        raise InvalidTree(f"{path}: columns must be exactly {expected}, got {table.column_names}", reason=Reason.SCHEMA)
    indexes = table.column("index").to_pylist()
    if indexes != list(range(len(indexes))):
        raise InvalidTree(f"{path}: leaves must be listed in index order 0..n-1", reason=Reason.INDEX_ORDER)
    hashes = table.column("hash").to_pylist()
    if not all(isinstance(h, bytes) and len(h) == 32 for h in hashes):
        raise InvalidTree(f"{path}: every hash must be 32 bytes", reason=Reason.SCHEMA)
    cols = [table.column(a).to_pylist() for a in assets]
    for a, col in zip(assets, cols):
        if not all(type(v) is int for v in col):
            raise InvalidTree(f"{path}: column {a} must hold integers only", reason=Reason.SCHEMA)
    return LeafLayer(hashes, list(zip(*cols)) if cols else [])


def load_leaf_layer(path: str | os.PathLike[str], commitment: Commitment) -> LeafLayer:
    p = Path(path)
    if p.is_dir():
        for name in ("leaves.bin", "leaves.parquet"):
            if (p / name).exists():
                p = p / name
                break
        else:
            raise CannotVerify(f"{path} holds neither leaves.bin nor leaves.parquet", reason=Reason.UNREADABLE)
    if p.suffix == ".parquet":
        return read_leaves_parquet(str(p), commitment.assets)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise CannotVerify(f"cannot read {p}: {exc.strerror or exc}", reason=Reason.UNREADABLE) from None
    m, height, layer = parse_leaves_bin(data)
    if m != len(commitment.assets) or height != commitment.height:
        raise InvalidTree(f"leaf layer has {m} assets and height {height}; the commitment {len(commitment.assets)} and {commitment.height}", reason=Reason.LEAF_COUNT)
    return layer


@dataclass
class TreeCheck:
    """Working state of SPEC 7's check list."""

    layer: LeafLayer
    commitment_doc: JSON | Commitment
    key: PublicKey
    expected_epoch: str | None = None
    parsed: Commitment | None = None

    @property
    def commitment(self) -> Commitment:
        assert self.parsed is not None, "the commitment step runs first"
        return self.parsed


def check_commitment(state: TreeCheck) -> None:
    try:
        state.parsed = parse_commitment(state.commitment_doc)
    except InvalidCommitment as exc:
        raise rebrand(exc, InvalidTree, "commitment: ") from None


def check_signature(state: TreeCheck) -> str:
    state.commitment.verify_signature(state.key)
    return f"commitment signed by the pinned bank key {state.commitment.signer_key_id}"


def check_leaf_count(state: TreeCheck) -> str:
    com, layer = state.commitment, state.layer
    if len(layer.hashes) != com.leaf_count or len(layer.values) != com.leaf_count:
        raise InvalidTree(f"the leaf layer has {len(layer.hashes)} leaves; the commitment says {com.leaf_count}",
                          reason=Reason.LEAF_COUNT)
    return f"{com.leaf_count} leaves (= 2^{com.height}, the committed count)"


def check_distinct_leaves(state: TreeCheck) -> str:
    """SPEC 3.5: no node is duplicated to fill a level, so no two leaves share a hash."""
    first: dict[bytes, int] = {}
    for i, h in enumerate(state.layer.hashes):
        j = first.setdefault(h, i)
        if j != i:
            raise InvalidTree(f"leaves {j} and {i} have the same hash {h.hex()} (a duplicated node; "
                              "SPEC 3.5 pads with distinct padding leaves)", reason=Reason.DUPLICATE_LEAF)
    return f"{len(first)} distinct leaf hashes"


def check_leaf_values(state: TreeCheck) -> None:
    m = len(state.commitment.assets)
    for i, values in enumerate(state.layer.values):
        if len(values) != m:
            raise InvalidTree(f"leaf {i} has {len(values)} values, expected {m}", reason=Reason.SCHEMA)
        for v in values:
            if v < 0:
                raise InvalidTree(f"leaf {i} has a negative value {v}", reason=Reason.NEGATIVE_SUM)
            if v >= LEAF_VALUE_LIMIT:
                raise InvalidTree(f"leaf {i} has a value >= 2^64", reason=Reason.LEAF_VALUE_RANGE)


def check_root(state: TreeCheck) -> None:
    com = state.commitment
    try:
        root_hash, root_sums = root_of_leaves(list(state.layer.hashes), list(state.layer.values))
    except SumOverflow as exc:
        raise InvalidTree(str(exc), reason=Reason.SUM_OVERFLOW) from None
    if root_hash != com.root_hash:
        raise InvalidTree(f"recomputed root {root_hash.hex()} differs from the committed {com.root_hash.hex()}",
                          reason=Reason.ROOT_HASH_MISMATCH)
    if tuple(root_sums) != com.root_sums:
        raise InvalidTree(f"recomputed root sums {list(root_sums)} differ from the committed {list(com.root_sums)}",
                          reason=Reason.ROOT_SUM_MISMATCH)


def check_epoch(state: TreeCheck) -> str:
    expected = state.expected_epoch
    if expected is None:
        return SKIPPED
    if state.commitment.epoch != expected:
        raise InvalidTree(f"the commitment is for epoch {state.commitment.epoch!r}, not {expected!r}", reason=Reason.WRONG_EPOCH)
    return f"epoch is the expected {expected!r}"


# SPEC 7, in its order.
TREE_CHECKS: tuple[Step[TreeCheck], ...] = (
    Step("commitment schema (format pos-mst/1)", check_commitment),
    Step("commitment signed by the pinned bank key", check_signature),
    Step("the committed number of leaves", check_leaf_count),
    Step("no two leaves share a hash (no duplicated node)", check_distinct_leaves),
    Step("every leaf value is in [0, 2^64)", check_leaf_values),
    Step("every internal node recomputed; root hash and root sums equal the commitment's", check_root),
    Step("epoch is the expected one", check_epoch),
)


def verify_tree(layer: LeafLayer, commitment_doc: JSON | Commitment, pinned_public_key: PublicKey, *,
                expected_epoch: str | None = None, already_passed: tuple[str, ...] = ()) -> AuditFacts:
    """SPEC 7: commitment, signature, leaf count, distinct leaves, leaf ranges, recompute, compare root, epoch."""
    state = TreeCheck(layer, commitment_doc, pinned_public_key, expected_epoch)
    checked = run_steps(TREE_CHECKS, state, already_passed=already_passed, family=InvalidTree)
    com = state.commitment
    zero = sum(1 for v in layer.values if not any(v))
    max_leaf = tuple(max(v[j] for v in layer.values) for j in range(len(com.assets)))
    return AuditFacts(com.epoch, com.leaf_count, zero, com.root_hash.hex(), com.root_sums, max_leaf, checked)
