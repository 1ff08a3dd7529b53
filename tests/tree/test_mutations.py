"""Any single mutation of a valid proof is rejected with the right reason code (SPEC 6)."""


import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.keys import sign_artifact
from verifier import canonical
from verifier.errors import CannotVerify
from verifier.proof import PROOF_CHECKS, InvalidProof, verify_proof


def reason_of(doc, key, **kw):
    with pytest.raises(InvalidProof) as info:
        verify_proof(canonical.dump_file_bytes(doc), key.public_key(), **kw)
    return info.value.reason


def test_valid_baseline(proof, bank_key):
    facts = verify_proof(canonical.dump_file_bytes(proof), bank_key.public_key(), expected_epoch="2026-11", expected_user="user-5")
    assert facts.user_id == "user-5"


@settings(max_examples=40)
@given(data=st.data())
def test_flipping_a_bit_of_a_sibling_hash(tree, bank_key, data):
    store, _ = tree
    doc = store.proof("user-3").to_json()
    level = data.draw(st.integers(0, doc["commitment"]["height"] - 1))
    bit = data.draw(st.integers(0, 255))
    sib = doc["leaves"][0]["path"][level]
    raw = bytearray.fromhex(sib["hash"])
    raw[bit // 8] ^= 1 << (bit % 8)
    sib["hash"] = raw.hex()
    assert reason_of(doc, bank_key) == "ROOT_HASH_MISMATCH"


@settings(max_examples=40)
@given(data=st.data())
def test_sibling_sum_plus_or_minus_one(tree, bank_key, data):
    store, _ = tree
    doc = store.proof("user-8").to_json()
    level = data.draw(st.integers(0, doc["commitment"]["height"] - 1))
    asset = data.draw(st.integers(0, 1))
    delta = data.draw(st.sampled_from([1, -1]))
    sib = doc["leaves"][0]["path"][level]
    old = int(sib["sums"][asset])
    sib["sums"][asset] = str(old + delta)
    expected = "NEGATIVE_SUM" if old + delta < 0 else "ROOT_HASH_MISMATCH"
    assert reason_of(doc, bank_key) == expected


def test_swapped_siblings(proof, bank_key):
    path = proof["leaves"][0]["path"]
    path[0], path[1] = path[1], path[0]
    assert reason_of(proof, bank_key) == "ROOT_HASH_MISMATCH"


def test_dropped_level(proof, bank_key):
    proof["leaves"][0]["path"].pop()
    assert reason_of(proof, bank_key) == "PATH_LENGTH"


def test_added_level(proof, bank_key):
    proof["leaves"][0]["path"].append({"hash": "00" * 32, "sums": ["0", "0"]})
    assert reason_of(proof, bank_key) == "PATH_LENGTH"


@pytest.mark.parametrize("asset", [0, 1])
def test_changed_balance(proof, bank_key, asset):
    leaf = proof["leaves"][0]
    leaf["balances"][asset] = str(int(leaf["balances"][asset]) + 1)
    assert reason_of(proof, bank_key) == "BALANCE_MISMATCH"
    proof["balances"][asset] = leaf["balances"][asset]
    assert reason_of(proof, bank_key) == "ROOT_HASH_MISMATCH"


def test_changed_salt(proof, bank_key):
    salt = bytearray.fromhex(proof["leaves"][0]["salt"])
    salt[0] ^= 0x80
    proof["leaves"][0]["salt"] = salt.hex()
    assert reason_of(proof, bank_key) == "ROOT_HASH_MISMATCH"


def test_changed_user_id(proof, bank_key):
    proof["user_id"] = "user-6"
    assert reason_of(proof, bank_key) == "ROOT_HASH_MISMATCH"


def test_expected_user(proof, bank_key):
    assert reason_of(proof, bank_key, expected_user="user-6") == "WRONG_USER"


def test_changed_index(proof, bank_key):
    leaf = proof["leaves"][0]
    leaf["index"] ^= 1
    assert reason_of(proof, bank_key) == "ROOT_HASH_MISMATCH"
    leaf["index"] = proof["commitment"]["leaf_count"]
    assert reason_of(proof, bank_key) == "INDEX_RANGE"
    leaf["index"] = -1
    assert reason_of(proof, bank_key) == "INDEX_RANGE"


def test_changed_proof_epoch(proof, bank_key):
    proof["epoch"] = "2026-12"
    assert reason_of(proof, bank_key) == "EPOCH_MISMATCH"


def test_changed_commitment_epoch_resigned_by_bank(proof, bank_key):
    # Even the bank cannot move a leaf to another epoch: the epoch is inside every leaf (ctx).
    proof["epoch"] = "2026-12"
    proof["commitment"] = sign_artifact({**proof["commitment"], "epoch": "2026-12"}, bank_key)
    assert reason_of(proof, bank_key) == "ROOT_HASH_MISMATCH"


def test_commitment_resigned_with_another_key(proof, bank_key, other_key):
    proof["commitment"] = sign_artifact({**proof["commitment"], "signer_key_id": "0" * 32}, other_key)
    assert reason_of(proof, bank_key) == "SCHEMA"  # signer_key_id must match the signature's key id
    from verifier.signature import key_id

    proof["commitment"] = sign_artifact({**proof["commitment"], "signer_key_id": key_id(other_key.public_key())}, other_key)
    assert reason_of(proof, bank_key) == "WRONG_KEY"


def test_commitment_altered_without_resigning(proof, bank_key):
    proof["commitment"]["as_of"] = "2026-11-02T00:00:00Z"
    assert reason_of(proof, bank_key) == "BAD_SIGNATURE"


def test_root_sums_lowered(proof, bank_key):
    proof["commitment"]["root"]["sums"][0] = str(int(proof["commitment"]["root"]["sums"][0]) - 1)
    assert reason_of(proof, bank_key) == "ROOT_SUM_MISMATCH"


def test_published_commitment_must_match(proof, bank_key, tree):
    store, _ = tree
    other = store.commitment.to_json()
    other["as_of"] = "2026-11-02T00:00:00Z"
    with pytest.raises(InvalidProof) as info:
        verify_proof(proof, bank_key.public_key(), commitment=other)
    assert info.value.reason == "COMMITMENT_MISMATCH"
    verify_proof(proof, bank_key.public_key(), commitment=store.commitment.to_bytes())


def test_non_canonical_bytes(proof, bank_key):
    data = canonical.dump_file_bytes(proof).replace(b'"format":', b'"format": ', 1)
    with pytest.raises(InvalidProof) as info:
        verify_proof(data, bank_key.public_key())
    assert info.value.reason == "NON_CANONICAL_ENCODING"


def test_number_instead_of_decimal_string(proof, bank_key):
    proof["balances"][0] = int(proof["balances"][0])
    assert reason_of(proof, bank_key) == "SCHEMA"


def test_leading_zero_amount(proof, bank_key):
    proof["balances"][0] = "0" + proof["balances"][0]
    assert reason_of(proof, bank_key) == "SCHEMA"


@pytest.mark.parametrize("member", ["format_of_proof", "format_of_commitment"])
def test_unknown_version_is_undecidable(proof, bank_key, member):
    target = proof if member == "format_of_proof" else proof["commitment"]
    target["format"] = "pos-mst/2"
    with pytest.raises(CannotVerify) as info:
        verify_proof(proof, bank_key.public_key())
    assert info.value.reason == "UNSUPPORTED_VERSION"


@pytest.mark.parametrize("extra", ["proof", "leaf", "sibling"])
def test_unknown_members_are_refused(proof, bank_key, extra):
    target = {"proof": proof, "leaf": proof["leaves"][0], "sibling": proof["leaves"][0]["path"][0]}[extra]
    target["note"] = "x"
    assert reason_of(proof, bank_key) == "SCHEMA"


def test_expected_epoch(proof, bank_key):
    assert reason_of(proof, bank_key, expected_epoch="2026-10") == "WRONG_EPOCH"


def test_error_carries_checks_passed(proof, bank_key):
    with pytest.raises(InvalidProof) as info:
        verify_proof(proof, bank_key.public_key(), expected_epoch="2026-10")
    assert len(info.value.checked) == len(PROOF_CHECKS) - 1  # every check but the last (the epoch)


def test_asset_list_is_committed_in_the_root(proof, bank_key):
    # Swapping the asset order (and every sum with it) even with a fresh bank signature fails:
    # the ordered asset list is inside every leaf through ctx.
    com = proof["commitment"]
    swapped = {**com, "assets": com["assets"][::-1], "root": {"hash": com["root"]["hash"], "sums": com["root"]["sums"][::-1]}}
    proof["commitment"] = sign_artifact(swapped, bank_key)
    proof["balances"] = proof["balances"][::-1]
    for leaf in proof["leaves"]:
        leaf["balances"] = leaf["balances"][::-1]
        for sib in leaf["path"]:
            sib["sums"] = sib["sums"][::-1]
    assert reason_of(proof, bank_key) == "ROOT_HASH_MISMATCH"
