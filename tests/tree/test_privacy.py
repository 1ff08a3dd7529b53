"""SPEC 1, 3.4, 3.6 and 4: the privacy options a tree is built with, stated in its commitment.

Properties over arbitrary books: the commitment states exactly the split and minimum used; the
leaf count is the padded count of ``users * split`` and at least the minimum; every proof lists
exactly ``split`` leaves whose parts add up to the user's balance and verifies; and, for balances
of realistic size, no proof's level-0 sibling is any user's exact balance vector once splitting
is on (each part equals a whole balance of ``b`` units with probability at most 1/(b+1)).
"""

from __future__ import annotations

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.tree.balances import from_arrays
from solvency.tree.build import build_tree, padded_leaf_count
from solvency.tree.store import TreeStore
from verifier.commitment import Privacy
from verifier.proof import verify_proof

ASSETS = ("BTC", "USD")
KEY = Ed25519PrivateKey.generate()

small_books = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)), min_size=1, max_size=30)
large_books = st.lists(st.tuples(st.integers(10**7, 2**62), st.integers(10**7, 2**62)), min_size=1, max_size=30)


def build(tmp_path_factory, book, split, min_leaves):
    ids = [f"u{i}" for i in range(len(book))]
    out = tmp_path_factory.mktemp("privacy") / "t"
    commitment = build_tree(from_arrays(ids, np.array(book, dtype=np.uint64), ASSETS), epoch="e1",
                            as_of="2026-11-01T00:00:00Z", private_key=KEY, out_dir=out, split=split, min_leaves=min_leaves)
    return commitment, TreeStore(out), ids


@settings(max_examples=20)
@given(small_books, st.integers(1, 4), st.sampled_from([2, 16, 64, 100]))
def test_the_commitment_states_the_options_and_every_proof_follows_them(tmp_path_factory, book, split, min_leaves):
    commitment, store, ids = build(tmp_path_factory, book, split, min_leaves)
    with store:
        assert commitment.privacy == Privacy(split, min_leaves)
        assert commitment.leaf_count == padded_leaf_count(len(book) * split, min_leaves) >= min_leaves
        for user, balance in zip(ids, book):
            proof = store.proof(user)
            assert len(proof.leaves) == split and proof.balances == balance
            assert tuple(map(sum, zip(*(leaf.balances for leaf in proof.leaves)))) == balance
            verify_proof(proof.to_bytes(), KEY.public_key(), expected_user=user)


@settings(max_examples=15)
@given(large_books, st.integers(2, 4))
def test_with_splitting_no_level0_sibling_is_a_users_exact_balance(tmp_path_factory, book, split):
    _, store, ids = build(tmp_path_factory, book, split, 2)
    exact = set(book)
    with store:
        for user in ids:
            for leaf in store.proof(user).leaves:
                assert leaf.path[0].sums not in exact
