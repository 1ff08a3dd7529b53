"""Attacks on the liabilities side of a publication (issue 13, parts 3, 4 and 7).

Each test reproduces the manipulation or the leak on the path a bank really uses and shows that
it is now refused (with its reason code) or closed:

* a neighbour's exact balance read off a published proof's level-0 sibling (SPEC 1, 3.6):
  measured with splitting off (the leak) and on (the defaults of `solvency publish`);
* a positive liability dropped because the same user owes a negative amount in another asset
  (SPEC 3.1);
* an odd node duplicated to fill a level in the auditor's leaf layer (SPEC 3.5, 7).
"""

from __future__ import annotations

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from solvency.keys import sign_artifact
from solvency.tree.balances import from_arrays
from solvency.tree.build import DEFAULT_MIN_LEAVES, DEFAULT_SPLIT, build_tree, padded_leaf_count
from solvency.tree.store import TreeStore
from verifier.full_tree import InvalidTree, LeafLayer, verify_tree
from verifier.merkle import root_of_leaves

ASSETS = ("BTC", "USD")
AS_OF = "2026-11-01T00:00:00Z"
USERS = 1000


def realistic_book(n, seed=13):
    """`n` users with realistic non-zero balances (sat and cents), from a fixed seed."""
    rng = np.random.default_rng(seed)
    btc = rng.integers(1_000, 50_000_000, size=n)
    usd = rng.integers(100, 2_000_000, size=n)
    return [f"user-{i}" for i in range(n)], np.stack([btc, usd], axis=1).astype(np.uint64)


def level0_siblings(directory):
    """The level-0 sibling sums of every leaf of every user's proof, as a user would read them."""
    with TreeStore(directory) as store:
        return [leaf.path[0].sums for user in store.user_ids() for leaf in store.proof(user).leaves]


def leaked(directory, amounts):
    """How many level-0 siblings equal some user's exact balance vector."""
    exact = {tuple(int(v) for v in row) for row in amounts}
    return sum(1 for sums in level0_siblings(directory) if tuple(sums) in exact)


@pytest.fixture(scope="module")
def key():
    return Ed25519PrivateKey.generate()


def test_duplicated_odd_leaf_is_refused_by_the_full_tree_audit(key, tmp_path):
    """CVE-2012-2459 in the leaf layer: a bank with 3 real leaves fills the 4th position with a
    copy of the 3rd (as Bitcoin's Merkle tree duplicates an odd node) instead of a padding leaf,
    recomputes the root and signs it. The root sums count that leaf twice, yet every node
    recomputes; SPEC 3.5 forbids it and the audit refuses it (DUPLICATE_LEAF)."""
    build_tree(from_arrays(["a", "b", "c"], np.array([[5, 1], [7, 2], [9, 3]], dtype=np.uint64), ASSETS),
               epoch="e1", as_of=AS_OF, private_key=key, out_dir=tmp_path / "t")
    with TreeStore(tmp_path / "t") as store:
        records = list(store.leaf_layer())
        honest = store.commitment.to_json()
    hashes = [h for _, h, _ in records]
    values = [tuple(v) for _, _, v in records]
    real = [i for i, v in enumerate(values) if any(v)]
    pad = next(i for i, v in enumerate(values) if not any(v))
    hashes[pad], values[pad] = hashes[real[-1]], values[real[-1]]
    root_hash, root_sums = root_of_leaves(list(hashes), list(values))
    forged = sign_artifact({**honest, "root": {"hash": root_hash.hex(), "sums": [str(s) for s in root_sums]}}, key)
    with pytest.raises(InvalidTree) as info:
        verify_tree(LeafLayer(hashes, values), forged, key.public_key())
    assert info.value.reason == "DUPLICATE_LEAF"
    verify_tree(LeafLayer([h for _, h, _ in records], [tuple(v) for _, _, v in records]), honest, key.public_key())


def test_negative_balance_in_one_asset_never_drops_a_positive_one(key, tmp_path):
    """Issue 13.4: with --exclude-negative, a user owing USD -500 who holds BTC 1000 vanished
    from the tree, and the BTC root sum was short by their 1000 sat (negatives.csv listed only
    the USD line). Now the negative amount is committed as 0 and reported, never netted, and the
    user's BTC stays a liability in the root."""
    from solvency.tree.epoch import build_epoch

    csv = tmp_path / "balances.csv"
    csv.write_text("user_id,currency,amount\nalice,BTC,700\nalice,USD,300\nmallory,BTC,1000\nmallory,USD,-500\n")
    built = build_epoch(csv, out_dir=tmp_path / "t", epoch="e1", as_of=AS_OF, private_key=key,
                        currencies=ASSETS, exclude_negative=True)
    assert built.commitment.root_sums == (1700, 300)
    report = (tmp_path / "t" / "private" / "negatives.csv").read_text().splitlines()
    assert report[1:] == ["mallory,USD,-500"]
    with TreeStore(tmp_path / "t") as store:
        proof = store.proof("mallory")
    assert proof.balances == (1000, 0)


def test_neighbour_balance_leak_without_splitting_and_none_with_the_defaults(key, tmp_path):
    """Issue 13.3, measured on 1,000 users with realistic balances. Without splitting (what
    `solvency publish` did) almost every proof's level-0 sibling *is* another user's exact balance
    vector (all but the few whose sibling is padding). With the publication defaults (split 2,
    at least 1,024 leaves), across the same 1,000 proofs no level-0 sibling equals any user's
    exact balance."""
    ids, amounts = realistic_book(USERS)
    balances = from_arrays(ids, amounts, ASSETS)
    build_tree(balances, epoch="e1", as_of=AS_OF, private_key=key, out_dir=tmp_path / "off", split=1, min_leaves=2)
    off = leaked(tmp_path / "off", amounts)
    assert off >= 0.9 * USERS, off  # 1,000 users in 1,024 leaves: 976 siblings or more are users

    com = build_tree(balances, epoch="e1", as_of=AS_OF, private_key=key, out_dir=tmp_path / "on",
                     split=DEFAULT_SPLIT, min_leaves=DEFAULT_MIN_LEAVES)
    assert com.to_json()["privacy"] == {"v": 1, "split": DEFAULT_SPLIT, "min_leaves": DEFAULT_MIN_LEAVES}
    siblings = level0_siblings(tmp_path / "on")
    assert len(siblings) == DEFAULT_SPLIT * USERS  # 1,000 proofs of 2 leaves each
    assert leaked(tmp_path / "on", amounts) == 0


def test_user_count_is_hidden_up_to_the_minimum_leaf_count(key, tmp_path):
    """Without a minimum the leaf count tells the user count to within a factor of two; with the
    defaults every bank of up to 512 users publishes 1,024 leaves."""
    counts = {}
    for n in (1, 3, 40, 300, 512):
        ids, amounts = realistic_book(n)
        bal = from_arrays(ids, amounts, ASSETS)
        bare = build_tree(bal, epoch="e1", as_of=AS_OF, private_key=key, out_dir=tmp_path / f"bare-{n}", split=1, min_leaves=2)
        safe = build_tree(bal, epoch="e1", as_of=AS_OF, private_key=key, out_dir=tmp_path / f"safe-{n}",
                          split=DEFAULT_SPLIT, min_leaves=DEFAULT_MIN_LEAVES)
        counts[n] = (bare.leaf_count, safe.leaf_count)
    assert [bare for bare, _ in counts.values()] == [2, 4, 64, 512, 512]  # the count shows the size
    assert {safe for _, safe in counts.values()} == {DEFAULT_MIN_LEAVES}
    assert padded_leaf_count(513 * DEFAULT_SPLIT, DEFAULT_MIN_LEAVES) == 2 * DEFAULT_MIN_LEAVES


def test_a_proof_cut_down_to_one_leaf_contradicts_the_stated_split(key, tmp_path):
    """The split is the bank's statement, and each user checks it: a proof that hides one of the
    user's parts (showing a smaller balance) is refused when the commitment states split 2."""
    from verifier.proof import InvalidProof, Proof, verify_proof

    ids, amounts = realistic_book(5)
    build_tree(from_arrays(ids, amounts, ASSETS), epoch="e1", as_of=AS_OF, private_key=key, out_dir=tmp_path / "t",
               split=2, min_leaves=8)
    with TreeStore(tmp_path / "t") as store:
        proof = store.proof("user-0")
    verify_proof(proof.to_bytes(), key.public_key())
    kept = proof.leaves[0]
    cut = Proof(proof.epoch, proof.user_id, kept.balances, (kept,), proof.commitment)
    with pytest.raises(InvalidProof) as info:
        verify_proof(cut.to_bytes(), key.public_key())
    assert info.value.reason == "SPLIT_MISMATCH"
