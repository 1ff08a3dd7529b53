"""Known attacks on proof-of-liabilities schemes, each reproduced and shown to be rejected.

Each test first shows the flaw where it existed (on a minimal model of the flawed scheme, where
that is meaningful) and then that pos-mst/1 rejects the same manipulation with its reason code.
"""

import copy
import hashlib

import pytest
from tree_helpers import ASSETS, EPOCH, make_tree

from solvency.keys import sign_artifact
from solvency.tree.balances import BalancesRejected, from_rows
from verifier import canonical
from verifier.commitment import InvalidCommitment, parse_commitment
from verifier.encoding import (
    TAG_CONTEXT,
    TAG_LEAF,
    TAG_NODE,
    TAG_PADDING,
    TAG_SALT,
    TAG_USER,
    context_hash,
    leaf_hash,
    node_hash,
    user_commitment,
)
from verifier.proof import InvalidProof, verify_proof

ZERO = ["0", "0"]


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def reason(doc, key, **kw):
    with pytest.raises(InvalidProof) as info:
        verify_proof(canonical.dump_file_bytes(doc), key.public_key(), **kw)
    return info.value.reason


def two_user_setup(bank_key, a=(700, 0), b=(500, 0)):
    """Leaves of two users A and B at positions 0 and 1 of a height-1 tree (built by hand)."""
    ctx = context_hash(EPOCH, ASSETS)
    salt_a, salt_b = b"\x01" * 32, b"\x02" * 32
    ha = leaf_hash(ctx, user_commitment(salt_a, "A"), a)
    hb = leaf_hash(ctx, user_commitment(salt_b, "B"), b)
    return ha, hb, salt_a, salt_b


def commitment(bank_key, root_hash, root_sums, height=1):
    body = {
        "as_of": "2026-11-01T00:00:00Z", "assets": list(ASSETS), "balance_definition": None, "epoch": EPOCH,
        "format": "pos-mst/1", "height": height, "leaf_count": 1 << height, "ledger_digest": None,
        "root": {"hash": root_hash.hex(), "sums": [str(s) for s in root_sums]},
        "signer_key_id": __import__("verifier.signature", fromlist=["key_id"]).key_id(bank_key.public_key()),
        "type": "commitment",
    }
    return sign_artifact(body, bank_key)


def proof_doc(user, salt, balances, index, path, com):
    return {
        "balances": [str(v) for v in balances], "commitment": com, "epoch": EPOCH, "format": "pos-mst/1",
        "leaves": [{"balances": [str(v) for v in balances], "index": index, "path": path, "salt": salt.hex()}],
        "type": "proof", "user_id": user,
    }


def test_maxwell_hu_zhang_guo_sum_malleability(bank_key):
    """ePrint 2018/1139: Maxwell's node hashes only the parent total, so the bank can show each
    user a different sibling sum and commit to max(a, b) instead of a + b."""
    a, b = 700, 500
    ha, hb, salt_a, salt_b = two_user_setup(bank_key, (a, 0), (b, 0))
    total = max(a, b)

    def maxwell_node(hl, hr, s):  # the flawed node: H(total || h_L || h_R)
        return sha(s.to_bytes(16, "big") + hl + hr)

    root = maxwell_node(ha, hb, total)
    # Under Maxwell, A is told B's sum is total - a and B is told A's sum is total - b: both fold
    # to the same (root, total) and both users are satisfied although total < a + b.
    assert maxwell_node(ha, hb, a + (total - a)) == root and maxwell_node(ha, hb, (total - b) + b) == root
    # pos-mst/1: the bank must pick the children's sums inside the root hash. Whatever it picks
    # to make the root sum `total`, at least one user's proof fails.
    our_root = node_hash(1, ha, (total - b, 0), hb, (total - a, 0))
    com = commitment(bank_key, our_root, (total, 0))
    pa = proof_doc("A", salt_a, (a, 0), 0, [{"hash": hb.hex(), "sums": [str(total - a), "0"]}], com)
    pb = proof_doc("B", salt_b, (b, 0), 1, [{"hash": ha.hex(), "sums": [str(total - b), "0"]}], com)
    assert reason(pa, bank_key) == "ROOT_HASH_MISMATCH"
    assert reason(pb, bank_key) == "ROOT_HASH_MISMATCH"
    # The honest tree verifies for both with root sum a + b.
    honest = commitment(bank_key, node_hash(1, ha, (a, 0), hb, (b, 0)), (a + b, 0))
    verify_proof(proof_doc("A", salt_a, (a, 0), 0, [{"hash": hb.hex(), "sums": [str(b), "0"]}], honest), bank_key.public_key())
    verify_proof(proof_doc("B", salt_b, (b, 0), 1, [{"hash": ha.hex(), "sums": [str(a), "0"]}], honest), bank_key.public_key())


def test_root_sum_is_checked_not_only_root_hash(bank_key):
    """proof-of-sats never compares the root sum: a commitment stating less than the fold is refused."""
    ha, hb, salt_a, _ = two_user_setup(bank_key)
    com = commitment(bank_key, node_hash(1, ha, (700, 0), hb, (500, 0)), (700, 0))
    assert reason(proof_doc("A", salt_a, (700, 0), 0, [{"hash": hb.hex(), "sums": ["500", "0"]}], com), bank_key) == "ROOT_SUM_MISMATCH"


def test_negative_sibling_okx_v1(bank_key):
    """OKX v1 accepted negative sibling sums, which cancel other users' balances."""
    ha, hfake, salt_a, _ = two_user_setup(bank_key)
    # A signed decimal would let the root sum be 700 - 700 = 0.
    com = commitment(bank_key, b"\x00" * 32, (0, 0))
    assert reason(proof_doc("A", salt_a, (700, 0), 0, [{"hash": hfake.hex(), "sums": ["-700", "0"]}], com), bank_key) == "NEGATIVE_SUM"


def test_negative_via_wraparound(bank_key):
    """The same attack through modular arithmetic: a sibling of 2^128 - 700 wraps the sum to 0."""
    ha, hfake, salt_a, _ = two_user_setup(bank_key)
    big = (1 << 128) - 700
    # The bank computes its root with wrapped sums and signs it: the fold must not wrap.
    root = node_hash(1, ha, (700, 0), hfake, (big, 0))
    com = commitment(bank_key, root, (0, 0))
    assert reason(proof_doc("A", salt_a, (700, 0), 0, [{"hash": hfake.hex(), "sums": [str(big), "0"]}], com), bank_key) == "SUM_OVERFLOW"


def test_overflow_out_of_width(bank_key):
    ha, hb, salt_a, _ = two_user_setup(bank_key)
    com = commitment(bank_key, b"\x00" * 32, (0, 0))
    assert reason(proof_doc("A", salt_a, (700, 0), 0, [{"hash": hb.hex(), "sums": [str(1 << 128), "0"]}], com), bank_key) == "SUM_OUT_OF_RANGE"
    assert reason(proof_doc("A", salt_a, (1 << 64, 0), 0, [{"hash": hb.hex(), "sums": ZERO}], com), bank_key) == "LEAF_VALUE_RANGE"
    with pytest.raises(InvalidCommitment):
        parse_commitment({**com, "root": {"hash": "00" * 32, "sums": [str(1 << 128), "0"]}})


def test_encoding_ambiguity_of_unframed_strings(bank_key):
    """Galoy proof-of-sats hashes hash+sum+hash+sum as an unframed string: two different pairs of
    child sums give the same node hash whenever the right hash starts with a decimal digit."""
    hl = sha(b"left").hex()
    hr = next(sha(bytes([i])).hex() for i in range(256) if sha(bytes([i])).hex()[0].isdigit())

    def galoy_node(hl, sl, hr, sr):
        return sha(f"{hl}{sl}{hr}{sr}".encode())

    hr_shifted = hr[1:] + "5"
    assert galoy_node(hl, 12, hr, 57) == galoy_node(hl, int("12" + hr[0]), hr_shifted, 7)
    # pos-mst/1: fixed-width, tagged fields; the same substitution changes the hash.
    a = node_hash(1, bytes.fromhex(hl), (12, 0), bytes.fromhex(hr), (57, 0))
    b = node_hash(1, bytes.fromhex(hl), (int("12" + hr[0]), 0), bytes.fromhex(hr_shifted), (7, 0))
    assert a != b
    # Framing also separates user ids: ("ab", salt) and ("a", salt') never share a commitment input.
    assert user_commitment(b"\x00" * 32, "ab") != user_commitment(b"\x00" * 32, "a")


def test_wrong_depth(tree, bank_key):
    store, _ = tree
    doc = store.proof("user-2").to_json()
    # A proof that stops one level early (treating an internal node as the root) ...
    doc["leaves"][0]["path"].pop()
    assert reason(doc, bank_key) == "PATH_LENGTH"
    # ... or a commitment claiming a different height (and the matching leaf count).
    doc = store.proof("user-2").to_json()
    com = {**doc["commitment"], "height": doc["commitment"]["height"] - 1, "leaf_count": doc["commitment"]["leaf_count"] // 2}
    doc["commitment"] = sign_artifact(com, bank_key)
    assert reason(doc, bank_key) in ("PATH_LENGTH", "INDEX_RANGE")
    # The height is inside every node hash: the same children at another height hash differently.
    h = b"\x11" * 32
    assert node_hash(1, h, (1, 0), h, (2, 0)) != node_hash(2, h, (1, 0), h, (2, 0))


def test_leaf_node_second_preimage(tree, bank_key):
    """An internal node's preimage can never be read as a leaf (distinct, prefix-free tags, and
    the verifier builds leaves only from the user's id, salt and balances)."""
    tags = [TAG_CONTEXT, TAG_SALT, TAG_USER, TAG_PADDING, TAG_LEAF, TAG_NODE]
    for x in tags:
        for y in tags:
            if x is not y:
                assert not y.startswith(x)
    store, _ = tree
    doc = store.proof("user-4").to_json()
    leaf = doc["leaves"][0]
    # The bank presents the node one level up as the user's "leaf" with a shorter path.
    leaf["index"] >>= 1
    leaf["path"] = leaf["path"][1:]
    assert reason(doc, bank_key) == "PATH_LENGTH"


def test_epoch_replay(tmp_path, bank_key):
    old = make_tree(tmp_path / "old", bank_key, ["alice"], [[100, 1]], epoch="2026-10")
    with old:
        doc = old.proof("alice").to_json()
    verify_proof(doc, bank_key.public_key())  # valid for its own epoch ...
    assert reason(doc, bank_key, expected_epoch="2026-11") == "WRONG_EPOCH"  # ... but not as the current one
    # Relabelling the old leaf with the new epoch breaks its hash (the epoch is in ctx).
    new = make_tree(tmp_path / "new", bank_key, ["alice"], [[100, 1]], epoch="2026-11")
    with new:
        fresh = new.proof("alice").to_json()
    forged = {**doc, "epoch": "2026-11", "commitment": fresh["commitment"]}
    assert reason(forged, bank_key) == "ROOT_HASH_MISMATCH"


def test_shared_leaf_for_two_users(tree, bank_key):
    """The bank cannot give two users with equal balances the same leaf: uc binds the user id."""
    store, balances = tree
    doc = store.proof("user-7").to_json()
    doc["user_id"] = "user-9"
    assert reason(doc, bank_key) == "ROOT_HASH_MISMATCH"


def test_kraken_shared_salts_do_not_merge_leaves():
    """Even with the same salt and the same balances, two users' leaves differ."""
    ctx = context_hash(EPOCH, ASSETS)
    salt = b"\x07" * 32
    assert leaf_hash(ctx, user_commitment(salt, "u1"), (5, 5)) != leaf_hash(ctx, user_commitment(salt, "u2"), (5, 5))


def test_duplicate_ids_are_rejected_by_the_prover():
    with pytest.raises(BalancesRejected, match="duplicate user id 'bob'"):
        from_rows([("bob", "BTC", "1"), ("bob", "BTC", "1")], ASSETS, source="rows")


def test_same_leaf_listed_twice_in_a_split_proof(tmp_path, bank_key):
    store = make_tree(tmp_path / "t", bank_key, ["alice"], [[100, 10]], split=2)
    with store:
        doc = store.proof("alice").to_json()
    verify_proof(doc, bank_key.public_key())
    doc["leaves"][1] = copy.deepcopy(doc["leaves"][0])
    doc["balances"] = [str(2 * int(v)) for v in doc["leaves"][0]["balances"]]
    assert reason(doc, bank_key) == "DUPLICATE_LEAF_INDEX"


def test_odd_node_duplication(tree, bank_key):
    """Bitcoin-style trees duplicate the last node of an odd level (CVE-2012-2459), so two
    positions share one leaf and its sum is counted once but proven twice. pos-mst/1 requires
    2^h leaves (padding), and the prover never duplicates a node."""
    store, _ = tree
    doc = store.proof("user-1").to_json()
    com = {**doc["commitment"], "leaf_count": doc["commitment"]["leaf_count"] - 1}
    doc["commitment"] = sign_artifact(com, bank_key)
    assert reason(doc, bank_key) == "BAD_TREE_SHAPE"
    hashes = [h for _, h, _ in store.leaf_layer()]
    assert len(set(hashes)) == len(hashes)


def test_unsalted_leaves_summa_v1_brute_force():
    """Summa v1 leaves H(user || balance) are unsalted: anyone who knows a user id recovers the
    balance by trying every plausible amount. With a 256-bit salt the same search finds nothing."""
    secret_balance = 31_337

    def summa_leaf(user, balance):
        return sha(user.encode() + balance.to_bytes(8, "big"))

    target = summa_leaf("alice", secret_balance)
    found = next(v for v in range(100_000) if summa_leaf("alice", v) == target)
    assert found == secret_balance
    ctx = context_hash(EPOCH, ASSETS)
    import os

    salt = os.urandom(32)
    ours = leaf_hash(ctx, user_commitment(salt, "alice"), (secret_balance, 0))
    guess_salt = b"\x00" * 32  # the attacker does not know the salt
    assert not any(leaf_hash(ctx, user_commitment(guess_salt, "alice"), (v, 0)) == ours for v in range(100_000))
