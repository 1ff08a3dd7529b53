"""SPEC 4 ``privacy``: the splitting and padding a commitment states, parsed strictly."""

from __future__ import annotations

import copy

import pytest

from verifier.commitment import Commitment, Privacy
from verifier.errors import CannotVerify, InvalidCommitment
from verifier.signature import Signature

BASE = Commitment(epoch="e1", as_of="2026-11-01T00:00:00Z", assets=("BTC", "USD"), height=10, root_hash=b"\x01" * 32,
                  root_sums=(5, 7), balance_definition=None, ledger_digest=None, signer_key_id="ab" * 16,
                  signature=Signature(key_id="ab" * 16, value=b"\x02" * 64), privacy=Privacy(split=2, min_leaves=1024))


def doc(**privacy):
    d = copy.deepcopy(BASE.to_json())
    d["privacy"].update(privacy)
    return d


def test_round_trip_with_and_without_privacy():
    assert BASE.to_json()["privacy"] == {"v": 1, "split": 2, "min_leaves": 1024}
    assert Commitment.parse(BASE.to_json()) == BASE
    unstated = BASE.to_json()
    del unstated["privacy"]
    parsed = Commitment.parse(unstated)
    assert parsed.privacy is None and "privacy" not in parsed.to_json()


@pytest.mark.parametrize("version", [2, 0, "1", True, None])
def test_unknown_privacy_version_is_undecidable(version):
    with pytest.raises(CannotVerify) as info:
        Commitment.parse(doc(v=version))
    assert info.value.reason == "UNSUPPORTED_VERSION"


@pytest.mark.parametrize("change", [
    {"split": 0}, {"split": 65}, {"split": "2"}, {"min_leaves": 1}, {"min_leaves": 2**40 + 1}, {"extra": 1},
])
def test_out_of_range_or_unknown_members_are_schema_errors(change):
    with pytest.raises(InvalidCommitment) as info:
        Commitment.parse(doc(**change))
    assert info.value.reason == "SCHEMA"


def test_null_and_missing_version_are_schema_errors():
    for bad in (None, [], {"split": 2, "min_leaves": 1024}):
        d = BASE.to_json()
        d["privacy"] = bad
        with pytest.raises(InvalidCommitment) as info:
            Commitment.parse(d)
        assert info.value.reason == "SCHEMA"


def test_leaf_count_below_the_stated_minimum_is_a_bad_shape():
    with pytest.raises(InvalidCommitment) as info:
        Commitment.parse(doc(min_leaves=2048))
    assert info.value.reason == "BAD_TREE_SHAPE"
    assert Commitment.parse(doc(min_leaves=1000)).privacy == Privacy(2, 1000)
