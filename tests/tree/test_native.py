"""The native hashing backend (solvency/tree/_mst.c) against hashlib and the pure-Python builder.

The extension is optional at install time; on a machine where it could not be compiled these
tests are skipped with that reason, and the pure-Python backend (covered by every other tree test)
is what `build_tree` uses.
"""

import hashlib
import hmac
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.tree import build as build_module
from solvency.tree.balances import from_arrays, from_rows
from solvency.tree.build import CHUNK, build_tree, hashing_backend, record_size
from solvency.tree.store import TreeStore
from verifier.encoding import TAG_NODE
from verifier.proof import verify_proof

mst = pytest.importorskip("solvency.tree._mst", reason="the native extension was not compiled on this machine")

BACKENDS = mst.backends()


@pytest.fixture(params=BACKENDS)
def compression(request):
    previous = mst.set_backend(request.param)
    yield request.param
    mst.set_backend(previous)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=700), key=st.binary(max_size=150))
def test_sha256_and_hmac_equal_hashlib(data, key):
    for name in BACKENDS:
        previous = mst.set_backend(name)
        try:
            assert mst.sha256(data) == hashlib.sha256(data).digest()
            assert mst.hmac_sha256(key, data) == hmac.digest(key, data, "sha256")
        finally:
            mst.set_backend(previous)


def test_every_length_around_the_padding_boundaries(compression):
    # Messages of 0..200 bytes cross the 55/56-byte (one or two padding blocks) and 64-byte edges.
    for n in range(201):
        data = bytes((7 * i + n) & 0xFF for i in range(n))
        assert mst.sha256(data) == hashlib.sha256(data).digest(), n


def test_fips_180_vectors(compression):
    # FIPS 180-4 / NIST CSRC example values for SHA-256.
    assert mst.sha256(b"abc").hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert mst.sha256(b"").hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert (
        mst.sha256(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").hex()
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    )


def _deterministic(seed: bytes):
    counter = 0

    def random_bytes(n: int) -> bytes:
        nonlocal counter
        out = bytearray()
        while len(out) < n:
            out += hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
            counter += 1
        return bytes(out[:n])

    return random_bytes


def _build_both(tmp_path, monkeypatch, balances, key, **kwargs) -> tuple[dict, dict]:
    files = {}
    for backend in ("python", "native"):
        monkeypatch.setattr(build_module, "_random_bytes", _deterministic(b"same randomness"))
        out = tmp_path / backend
        build_tree(balances, epoch="e-7", as_of="2026-11-01T00:00:00Z", private_key=key, out_dir=out,
                   backend=backend, **kwargs)
        files[backend] = {
            str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
        }
    return files["python"], files["native"]


@pytest.mark.parametrize(
    ("ids", "assets", "split"),
    [
        ([f"user-{i}" for i in range(37)], ("BTC", "USD"), 1),
        (["ascii", "ünïcödé", "日本語の利用者", "x" * 256, "a b"], ("BTC",), 1),
        ([f"u{i}" for i in range(9)], ("BTC", "USD", "EUR"), 3),
        (["solo"], ("BTC", "USD"), 1),
    ],
)
def test_native_store_equals_python_store_byte_for_byte(tmp_path, monkeypatch, bank_key, compression, ids, assets, split):
    rng = np.random.default_rng(len(ids))
    amounts = rng.integers(0, 2**63, (len(ids), len(assets)), dtype=np.uint64)
    amounts[0, 0] = 2**64 - 1
    python, native = _build_both(tmp_path, monkeypatch, from_arrays(ids, amounts, assets), bank_key, split=split)
    assert python.keys() == native.keys()
    for name in python:
        assert python[name] == native[name], name


def test_native_regions_in_threads_equal_python_regions_in_processes(tmp_path, monkeypatch, bank_key):
    # 2 * CHUNK + 1 users pad to 4 * CHUNK leaves: two regions of two chunks each, plus top levels.
    n = 2 * CHUNK + 1
    ids = [f"user-{i:07d}" for i in range(n)]
    amounts = np.stack([np.arange(n, dtype=np.uint64) * 3, np.arange(n, dtype=np.uint64) % 1000], axis=1)
    python, native = _build_both(tmp_path, monkeypatch, from_arrays(ids, amounts, ("BTC", "USD")), bank_key, workers=2)
    assert python.keys() == native.keys()
    for name in python:
        assert python[name] == native[name], name


def test_native_build_proofs_verify(tmp_path, bank_key):
    rows = [(f"user-{i}", "BTC", i * 1000) for i in range(50)] + [(f"user-{i}", "USD", 7 * i) for i in range(50)]
    build_tree(from_rows(rows, ("BTC", "USD"), source="test"), epoch="e1", as_of="2026-11-01T00:00:00Z",
               private_key=bank_key, out_dir=tmp_path / "t", backend="native")
    with TreeStore(tmp_path / "t") as store:
        for i in (0, 17, 49):
            facts = verify_proof(store.proof(f"user-{i}").to_bytes(), bank_key.public_key(),
                                 expected_epoch="e1", expected_user=f"user-{i}")
            assert facts.balances == (i * 1000, 7 * i)


def test_default_backend_is_native_unless_disabled(monkeypatch):
    assert hashing_backend() == f"native ({mst.backend()})"
    monkeypatch.setenv("SOLVENCY_TREE_NATIVE", "0")
    assert hashing_backend() == "python"
    with pytest.raises(RuntimeError, match="not available"):
        build_tree(from_arrays(["a"], np.array([[1]], dtype=np.uint64), ("BTC",)), epoch="e", as_of="x",
                   private_key=None, out_dir="/nonexistent/never-created", backend="native")


def test_combine_refuses_a_sum_that_would_reach_2_pow_128():
    m = 1
    size = record_size(m)
    nodes = bytearray(3 * size)
    top = (2**128 - 1).to_bytes(16, "big")
    nodes[32:48] = top
    nodes[size + 32 : size + 48] = (1).to_bytes(16, "big")
    with pytest.raises(OverflowError, match="2\\^128"):
        mst.combine(nodes, m, 1, TAG_NODE, 0, 2, 1)
    nodes[size + 32 : size + 48] = bytes(16)
    mst.combine(nodes, m, 1, TAG_NODE, 0, 2, 1)
    assert nodes[2 * size + 32 :] == top
    assert bytes(nodes[2 * size : 2 * size + 32]) == hashlib.sha256(TAG_NODE + b"\x01" + bytes(nodes[: 2 * size])).digest()


def test_out_of_range_arguments_are_refused_not_read():
    m, size = 2, record_size(2)
    nodes = bytearray(4 * size)
    with pytest.raises(ValueError, match="overlap or exceed"):
        mst.combine(nodes, m, 1, TAG_NODE, 0, 2, 2)  # 4 children + 2 parents need 6 records
    with pytest.raises(ValueError, match="overlap or exceed"):
        mst.combine(nodes, m, 1, TAG_NODE, 0, 1, 1)  # parent inside the children
    with pytest.raises(ValueError, match="out of range"):
        mst.combine(nodes, m, 41, TAG_NODE, 0, 2, 1)
    with pytest.raises(TypeError, match="writable"):
        mst.combine(bytes(4 * size), m, 1, TAG_NODE, 0, 2, 1)

    order = np.array([0, 1], dtype=np.int64)
    parts = np.zeros((2, m), dtype=np.uint64)
    keys = np.zeros(2, dtype=np.uint64)
    good_off = np.array([0, 1, 2], dtype=np.int64)
    args = (order, parts, 1, 2, b"ab", good_off, keys, b"k" * 32, b"s", b"u", b"p", b"l")
    mst.leaves(nodes, m, 0, 2, *args)
    with pytest.raises(ValueError, match="too small"):
        mst.leaves(nodes, m, 0, 5, *args)
    bad_order = np.array([0, -1], dtype=np.int64)
    with pytest.raises(ValueError, match="negative entry"):
        mst.leaves(nodes, m, 0, 2, bad_order, *args[1:])
    bad_off = np.array([0, 1, 99], dtype=np.int64)
    with pytest.raises(ValueError, match="offset is out of range"):
        mst.leaves(nodes, m, 0, 2, order, parts, 1, 2, b"ab", bad_off, *args[6:])
    with pytest.raises(TypeError, match="64-bit"):
        mst.leaves(nodes, m, 0, 2, order.astype(np.int32), *args[1:])
    empty_id = np.array([0, 1, 1], dtype=np.int64)
    with pytest.raises(ValueError, match="not 1..256 bytes"):
        mst.leaves(nodes, m, 0, 2, order, parts, 1, 2, b"ab", empty_id, *args[6:])


def test_random_bytes_default_is_the_os_csprng():
    assert build_module._random_bytes is os.urandom
