"""The pos-mst/1 test vectors, checked by the independent minimal checker and by `verifier`."""

import json
import subprocess
import sys
from pathlib import Path

import minimal_pos_mst
import pytest

HERE = Path(__file__).parent
PROOFS = json.loads((HERE / "pos_mst_proofs.json").read_text())
PRIMITIVES = json.loads((HERE / "pos_mst_primitives.json").read_text())
TREES = json.loads((HERE / "pos_mst_trees.json").read_text())


def _id(case):
    return f"{case['tcId']}-{case['comment'][:40]}"


@pytest.mark.parametrize("case", PROOFS["tests"], ids=_id)
def test_independent_checker(case):
    result, reason = minimal_pos_mst.check(case["proof"], PROOFS["public_key"], case["expected_epoch"], case["expected_user"])
    assert (result, reason) == (case["result"], case["reason"])


@pytest.mark.parametrize("case", PROOFS["tests"], ids=_id)
def test_verifier_agrees(case):
    from verifier.errors import CannotVerify, VerificationError
    from verifier.proof import verify_proof

    try:
        verify_proof(case["proof"].encode(), bytes.fromhex(PROOFS["public_key"]), expected_epoch=case["expected_epoch"], expected_user=case["expected_user"])
        got = ("valid", None)
    except VerificationError as exc:
        from verifier.errors import InvalidProof, Reason

        # One exception family for the whole check list; the reason code tells the failed check.
        assert type(exc) is InvalidProof and exc.reason in Reason, type(exc)
        got = ("invalid", exc.reason)
    except CannotVerify as exc:
        got = ("inconclusive", exc.reason)
    assert got == (case["result"], case["reason"])


@pytest.mark.parametrize("case", TREES["tests"], ids=_id)
def test_tree_independent_checker(case):
    got = minimal_pos_mst.check_tree(case["commitment"], bytes.fromhex(case["leaves"]), TREES["public_key"], case["expected_epoch"])
    assert got == (case["result"], case["reason"])


@pytest.mark.parametrize("case", TREES["tests"], ids=_id)
def test_tree_verifier_agrees(case):
    from verifier import canonical
    from verifier.errors import CannotVerify, InvalidTree, VerificationError
    from verifier.full_tree import parse_leaves_bin, verify_tree

    try:
        _, _, layer = parse_leaves_bin(bytes.fromhex(case["leaves"]))
        verify_tree(layer, canonical.loads(case["commitment"].encode()), bytes.fromhex(TREES["public_key"]),
                    expected_epoch=case["expected_epoch"])
        got = ("valid", None)
    except VerificationError as exc:
        assert type(exc) is InvalidTree, type(exc)
        got = ("invalid", exc.reason)
    except CannotVerify as exc:
        got = ("inconclusive", exc.reason)
    assert got == (case["result"], case["reason"])


def test_every_reason_code_of_the_tree_audit_is_covered():
    spec = (HERE.parent.parent / "docs" / "SPEC.md").read_text()
    section7 = spec.split("## 7.")[1].split("## 8.")[0]
    import re

    # Schema, encoding and range failures of the layer, and a Parquet layer without pyarrow
    # (UNSUPPORTED_FEATURE), are covered by tests/verifier/test_audit.py.
    codes = set(re.findall(r"`([A-Z][A-Z_]+)`", section7)) - {"SCHEMA", "INDEX_ORDER", "NEGATIVE_SUM", "LEAF_VALUE_RANGE", "SUM_OVERFLOW",
                                                              "BAD_SIGNATURE", "UNSUPPORTED_FEATURE"}
    covered = {case["reason"] for case in TREES["tests"]}
    assert codes <= covered, codes - covered


@pytest.mark.parametrize("case", PRIMITIVES["tests"], ids=lambda c: f"{c['tcId']}-{c['name']}")
def test_primitives(case):
    assert minimal_pos_mst.primitive(case).hex() == case["result"]


def test_every_reason_code_of_the_spec_is_covered():
    spec = (HERE.parent.parent / "docs" / "SPEC.md").read_text()
    section6 = spec.split("## 6.")[1].split("## 7.")[0]
    import re

    codes = set(re.findall(r"`([A-Z][A-Z_]+)`", section6)) - {"UNREADABLE", "BAD_KEY_FILE", "COMMITMENT_MISMATCH"}
    covered = {case["reason"] for case in PROOFS["tests"]}
    assert codes <= covered, codes - covered


def test_vectors_are_reproducible():
    root = HERE.parent.parent
    done = subprocess.run([sys.executable, str(root / "scripts" / "gen_vectors.py"), "--check"], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
