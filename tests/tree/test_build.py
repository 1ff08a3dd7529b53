"""The prover: tree construction, node store, proofs, padding, input validation (SPEC 3)."""

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tree_helpers import ASSETS, EPOCH, make_tree

from solvency.tree.balances import BalancesRejected, from_rows, load_file
from solvency.tree.build import build_tree
from solvency.tree.store import UnknownUser
from verifier import canonical
from verifier.full_tree import parse_leaves_bin, verify_tree
from verifier.proof import Proof, verify_proof

balances_lists = st.lists(
    st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1)), min_size=1, max_size=40
)


@settings(max_examples=25)
@given(balances=balances_lists, split=st.sampled_from([1, 1, 2, 3]))
def test_root_sums_equal_total_and_every_proof_verifies(tmp_path_factory, bank_key, balances, split):
    ids = [f"u{i}" for i in range(len(balances))]
    store = make_tree(tmp_path_factory.mktemp("p") / "t", bank_key, ids, balances, split=split)
    with store:
        assert list(store.commitment.root_sums) == [sum(b[j] for b in balances) for j in range(2)]
        assert store.commitment.leaf_count >= len(ids) * split
        for uid, bal in zip(ids, balances):
            facts = verify_proof(store.proof(uid).to_bytes(), bank_key.public_key(), expected_epoch=EPOCH, expected_user=uid)
            assert facts.balances == bal
            assert len(facts.leaf_indexes) == split


def test_positions_are_shuffled_and_padding_is_distinct(tmp_path, bank_key):
    ids = [f"u{i}" for i in range(100)]
    store = make_tree(tmp_path / "t", bank_key, ids, [[1, 1]] * 100)
    with store:
        indexes = [store.proof(u).leaves[0].index for u in ids]
        assert indexes != list(range(100))  # probability of identity permutation: 1/128!
        hashes = [h for _, h, _ in store.leaf_layer()]
        assert len(set(hashes)) == len(hashes) == 128  # no duplicated node, padding distinct
        zero = [v for _, _, v in store.leaf_layer() if v == [0, 0]]
        assert len(zero) == 28


def test_two_builds_of_the_same_input_share_no_leaf(tmp_path, bank_key):
    a = make_tree(tmp_path / "a", bank_key, ["x", "y"], [[5, 5], [5, 5]])
    b = make_tree(tmp_path / "b", bank_key, ["x", "y"], [[5, 5], [5, 5]])
    with a, b:
        assert not {h for _, h, _ in a.leaf_layer()} & {h for _, h, _ in b.leaf_layer()}


def test_min_leaves_pads_further(tmp_path, bank_key):
    store = make_tree(tmp_path / "t", bank_key, ["x"], [[1, 2]], min_leaves=1000)
    with store:
        assert store.commitment.leaf_count == 1024 and store.commitment.height == 10
        verify_proof(store.proof("x"), bank_key.public_key())


def test_unknown_user(tree):
    store, _ = tree
    with pytest.raises(UnknownUser):
        store.proof("nobody")


def test_out_dir_is_never_overwritten_and_failure_leaves_nothing(tmp_path, bank_key):
    make_tree(tmp_path / "t", bank_key, ["x"], [[1, 2]]).close()
    with pytest.raises(FileExistsError):
        make_tree(tmp_path / "t", bank_key, ["x"], [[1, 2]])
    with pytest.raises(ValueError):
        make_tree(tmp_path / "bad", bank_key, ["x"], [[1, 2]], epoch="bad epoch!")
    assert sorted(os.listdir(tmp_path)) == ["t"]


def test_private_part_permissions(tree):
    store, _ = tree
    private = store.directory / "private"
    assert os.stat(private).st_mode & 0o077 == 0
    assert os.stat(private / "epoch.key").st_mode & 0o077 == 0


def test_multiprocess_build_matches_single_process(tmp_path, bank_key):
    # 70_000 entries -> 131072 leaves: two regions of 65536, built by two forked workers.
    n = 70_000
    ids = [f"u{i}" for i in range(n)]
    rng = np.random.default_rng(7)
    amounts = rng.integers(0, 2**40, size=(n, 2), dtype=np.uint64)
    from solvency.tree.balances import from_arrays

    build_tree(from_arrays(ids, amounts, ASSETS), epoch=EPOCH, as_of="2026-11-01T00:00:00Z", private_key=bank_key, out_dir=tmp_path / "t", workers=2)
    from solvency.tree.store import TreeStore

    with TreeStore(tmp_path / "t") as store:
        assert list(store.commitment.root_sums) == [int(amounts[:, j].sum(dtype=object)) for j in range(2)]
        for uid in ("u0", "u35000", "u69999"):
            verify_proof(store.proof(uid), bank_key.public_key())
        import io

        from solvency.tree.export import write_leaves_bin

        buf = io.BytesIO()
        write_leaves_bin(store, buf)
        _, _, layer = parse_leaves_bin(buf.getvalue())
        verify_tree(layer, store.commitment, bank_key.public_key())


# Input validation (SPEC 3.1): every problem of a batch is reported.


def test_rows_collect_every_error():
    rows = [
        ("alice", "BTC", "10"),
        ("alice", "BTC", "11"),
        ("bob", "EUR", "1"),
        ("carol", "BTC", "1.5"),
        ("dave", "BTC", "1e3"),
        ("erin", "BTC", "-3"),
        ("frank", "USD", "-1"),
        ("", "BTC", "1"),
        ("x\ny", "BTC", "1"),
        ("gina", "BTC", str(2**64)),
        ("hank", "BTC", 1.0),
        ("ivan", "BTC", True),
    ]
    with pytest.raises(BalancesRejected) as info:
        from_rows(rows, ASSETS, source="t")
    text = "\n".join(info.value.errors)
    for needle in ["duplicate user id 'alice'", "'EUR'", "'1.5'", "'1e3'", "'erin'", "'frank'", "non-empty", "control", "2^64", "1.0", "True"]:
        assert needle in text, needle
    assert info.value.total == 11


def test_exclude_negative_reports_the_amount_and_keeps_the_user():
    b = from_rows([("a", "BTC", "5"), ("b", "BTC", "-2"), ("b", "USD", "7")], ASSETS, source="t", exclude_negative=True)
    assert b.user_ids == ("a", "b") and b.amounts.tolist() == [[5, 0], [0, 7]]
    assert [(n.user_id, n.amount) for n in b.excluded_negative] == [("b", -2)]


def test_parquet_float_column_is_rejected(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"user_id": ["a"], "currency": ["BTC"], "amount": [1.0]}), tmp_path / "b.parquet")
    with pytest.raises(BalancesRejected, match="floats are rejected"):
        load_file(str(tmp_path / "b.parquet"), ASSETS)
    pq.write_table(pa.table({"user_id": ["a", "a"], "currency": ["BTC", "USD"], "amount": pa.array([1, 2], pa.uint64())}), tmp_path / "ok.parquet")
    assert load_file(str(tmp_path / "ok.parquet"), ASSETS).amounts.tolist() == [[1, 2]]


def test_csv_header_and_columns(tmp_path):
    (tmp_path / "a.csv").write_text("user,currency,amount\n")
    with pytest.raises(BalancesRejected, match="header"):
        load_file(str(tmp_path / "a.csv"), ASSETS)
    (tmp_path / "b.csv").write_text("user_id,currency,amount\na,BTC\n")
    with pytest.raises(BalancesRejected, match="columns"):
        load_file(str(tmp_path / "b.csv"), ASSETS)


def test_export_lines_are_canonical_proofs(tree, bank_key):
    import io

    store, balances = tree
    buf = io.BytesIO()
    assert store.export_proofs(buf, workers=1) == len(balances)
    lines = buf.getvalue().split(b"\n")
    assert lines[-1] == b"" and len(lines) == len(balances) + 1
    for i, uid in enumerate(store.user_ids()):
        assert lines[i] == canonical.dumps(store.proof_for_index(i, uid).to_json())
        verify_proof(lines[i], bank_key.public_key(), expected_user=uid)


@pytest.mark.parametrize("workers", [1, 2])
def test_bulk_export_line_is_the_typed_proofs_bytes(tree, workers):
    """The bulk export assembles bytes itself; for a sample of users a line (with its newline) is
    exactly `Proof.to_bytes()` of the user's typed proof, and parses back to it."""
    import io
    import random

    store, balances = tree
    buf = io.BytesIO()
    store.export_proofs(buf, workers=workers)
    lines = buf.getvalue().split(b"\n")[:-1]
    ids = list(store.user_ids())
    for i in random.Random(workers).sample(range(len(ids)), min(25, len(ids))):
        proof = store.proof(ids[i])
        assert lines[i] + b"\n" == proof.to_bytes()
        assert Proof.parse(canonical.loads(lines[i])) == proof


@settings(max_examples=30)
@given(
    rows=st.dictionaries(
        st.tuples(st.text(st.characters(min_codepoint=0x20, blacklist_categories=("Cs",)), min_size=1, max_size=12), st.sampled_from(ASSETS)),
        st.integers(0, 2**64 - 1),
        min_size=1,
        max_size=30,
    )
)
def test_vectorised_loader_equals_row_by_row(tmp_path_factory, rows):
    import csv

    from solvency.tree.balances import _fast_pivot

    path = tmp_path_factory.mktemp("csv") / "b.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["user_id", "currency", "amount"])
        for (uid, cur), amount in rows.items():
            writer.writerow([uid, cur, str(amount)])
    try:
        slow = from_rows([(u, c, str(a)) for (u, c), a in rows.items()], ASSETS, source="rows")
    except BalancesRejected:
        slow = None  # e.g. a user id longer than 256 bytes or with a control character
    loaded = None
    try:
        loaded = load_file(str(path), ASSETS)
    except BalancesRejected:
        pass
    import pyarrow as pa

    fast = _fast_pivot(
        pa.array([u for u, _ in rows]), pa.array([c for _, c in rows]), pa.array([str(a) for a in rows.values()]), ASSETS
    )
    if slow is None:
        assert fast is None and loaded is None
        return
    assert fast is not None
    assert fast.user_ids == slow.user_ids and fast.amounts.tolist() == slow.amounts.tolist()
    if loaded is not None:  # CSV quoting of odd characters may differ; when it loads, it must agree
        assert loaded.user_ids == slow.user_ids and loaded.amounts.tolist() == slow.amounts.tolist()


@pytest.mark.parametrize(
    "body, needle",
    [
        ("a,BTC,1\na,BTC,2\n", "duplicate"),
        ("a,BTC,-1\nb,USD,-2\n", "'b'"),
        ("a,BTC,18446744073709551616\n", r"2\^64"),
        ("a,BTC,1.0\n", "floats"),
        ("a,EUR,1\n", "EUR"),
        ("a,BTC, 1\n", None),
    ],
)
def test_csv_problems_are_reported_by_the_fallback(tmp_path, body, needle):
    (tmp_path / "b.csv").write_text("user_id,currency,amount\n" + body)
    if needle is None:  # surrounding spaces are tolerated by the row-by-row path
        assert load_file(str(tmp_path / "b.csv"), ASSETS).amounts.tolist() == [[1, 0]]
        return
    with pytest.raises(BalancesRejected, match=needle):
        load_file(str(tmp_path / "b.csv"), ASSETS)
