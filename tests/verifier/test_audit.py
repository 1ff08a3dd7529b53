"""SPEC 7: the auditor's full-tree recomputation from the leaf layer."""

import io

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from solvency.tree.balances import from_arrays
from solvency.tree.build import build_tree
from solvency.tree.export import write_leaves_bin, write_leaves_parquet
from solvency.tree.store import TreeStore
from verifier.commitment import parse_commitment
from verifier.errors import CannotVerify
from verifier.full_tree import (
    InvalidTree,
    LeafLayer,
    load_leaf_layer,
    parse_leaves_bin,
    serialize_leaves_bin,
    verify_tree,
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    key = Ed25519PrivateKey.generate()
    d = tmp_path_factory.mktemp("audit")
    amounts = np.array([[10, 1], [20, 2], [30, 3], [0, 0], [2**64 - 1, 5]], dtype=np.uint64)
    build_tree(from_arrays(["a", "b", "c", "d", "e"], amounts, ("BTC", "USD")), epoch="e1", as_of="2026-11-01T00:00:00Z", private_key=key, out_dir=d / "t")
    store = TreeStore(d / "t")
    buf = io.BytesIO()
    write_leaves_bin(store, buf)
    with open(d / "leaves.parquet", "wb") as handle:
        write_leaves_parquet(store, handle)
    yield key, store.commitment.to_json(), buf.getvalue(), d
    store.close()


def layer_of(data):
    return parse_leaves_bin(data)[2]


def reason(layer, commitment, key, **kw):
    with pytest.raises(InvalidTree) as info:
        verify_tree(layer, commitment, key.public_key(), **kw)
    return info.value.reason


def test_valid(built):
    key, com, data, d = built
    facts = verify_tree(layer_of(data), com, key.public_key(), expected_epoch="e1")
    assert facts.root_sums == (60 + 2**64 - 1, 11) and facts.leaf_count == 8 and facts.zero_leaves == 4
    facts2 = verify_tree(load_leaf_layer(d / "leaves.parquet", parse_commitment(com)), com, key.public_key())
    assert facts2 == facts


def test_value_changed(built):
    key, com, data, _ = built
    layer = layer_of(data)
    i = next(k for k, v in enumerate(layer.values) if v[0] == 10)
    layer.values[i] = (9, 1)
    assert reason(layer, com, key) == "ROOT_HASH_MISMATCH"


def test_negative_value(built):
    key, com, data, _ = built
    layer = layer_of(data)
    layer.values[0] = (-1, 0)
    assert reason(layer, com, key) == "NEGATIVE_SUM"


def test_leaf_count(built):
    key, com, data, _ = built
    layer = layer_of(data)
    assert reason(LeafLayer(layer.hashes[:-1], layer.values[:-1]), com, key) == "LEAF_COUNT"


def test_root_sums_lie(built):
    from solvency.keys import sign_artifact

    key, com, data, _ = built
    forged = sign_artifact({**com, "root": {"hash": com["root"]["hash"], "sums": ["60", "11"]}}, key)
    assert reason(layer_of(data), forged, key) == "ROOT_SUM_MISMATCH"


def test_wrong_key_and_epoch(built):
    key, com, data, _ = built
    with pytest.raises(Exception) as info:
        verify_tree(layer_of(data), com, Ed25519PrivateKey.generate().public_key())
    assert info.value.reason == "WRONG_KEY"
    assert reason(layer_of(data), com, key, expected_epoch="e2") == "WRONG_EPOCH"


def test_strict_binary_format(built):
    _, _, data, _ = built
    with pytest.raises(InvalidTree) as info:
        parse_leaves_bin(data + b"\x00")
    assert info.value.reason == "LEAF_COUNT"
    with pytest.raises(CannotVerify):
        parse_leaves_bin(b"pos-mst/2 leaves\x00" + data[17:])
    with pytest.raises(InvalidTree):
        parse_leaves_bin(b"garbage")
    m, h, layer = parse_leaves_bin(data)
    assert serialize_leaves_bin(m, h, zip(layer.hashes, layer.values)) == data


def test_parquet_out_of_order(built, tmp_path):
    import pyarrow.parquet as pq

    key, com, _, d = built
    table = pq.read_table(d / "leaves.parquet")
    pq.write_table(table.take([1, 0, 2, 3, 4, 5, 6, 7]), tmp_path / "x.parquet")
    with pytest.raises(InvalidTree) as info:
        load_leaf_layer(tmp_path / "x.parquet", parse_commitment(com))
    assert info.value.reason == "INDEX_ORDER"


def test_leaf_export_holds_no_ids_or_salts(built):
    _, _, data, d = built
    for needle in (b'"a"', b"salt"):
        assert needle not in data
    assert (d / "leaves.parquet").read_bytes().count(b"user") == 0


def test_parquet_without_pyarrow_is_undecidable(built, monkeypatch):
    import sys

    _, com, _, d = built
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(CannotVerify) as info:
        load_leaf_layer(d / "leaves.parquet", parse_commitment(com))
    assert info.value.reason == "UNSUPPORTED_FEATURE" and "pyarrow" in info.value.message
