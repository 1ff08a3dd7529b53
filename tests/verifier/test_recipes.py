"""The public `verify_*` recipes on a real publication (tests/verifier/fixtures, from `solvency demo`):
each check list runs in the SPEC's order, reports every failure in its own exception family with
the failed check's reason, and records the checks that passed before it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import verifier
from verifier import canonical
from verifier.bundle import BUNDLE_CHECKS
from verifier.errors import InvalidBundle, InvalidHistory, InvalidProof, InvalidReceipt, Reason
from verifier.history import HISTORY_CHECKS
from verifier.proof import PROOF_CHECKS
from verifier.signature import load_public_key

FIXTURES = Path(__file__).parent / "fixtures"
KEY = load_public_key(str(FIXTURES / "bank.key.pub"))
LATEST = FIXTURES / "publication" / "2026-11-21" / "public"


def load(path: Path):
    return canonical.loads(path.read_bytes())


def test_every_recipe_is_listed_and_importable():
    recipes = [name for name in verifier.__all__ if name.startswith("verify_")]
    assert {"verify_proof", "verify_bundle", "verify_commitment", "verify_tree", "verify_epoch", "verify_log_head",
            "verify_history", "verify_receipt", "verify_attestation"} <= set(recipes)
    for name in recipes:
        assert callable(getattr(verifier, name))


def test_the_publication_verifies():
    facts = verifier.verify_history(FIXTURES / "publication", KEY, (load(FIXTURES / "log-head-seen-at-epoch-1.json"),))
    assert facts["epochs"] == ["2026-11-20", "2026-11-21"] and facts["log_size"] == 2
    bundle = verifier.verify_bundle((FIXTURES / "bundle.json").read_bytes(), KEY, commitment=load(LATEST / "commitment.json"))
    # No --epoch and no attestation given (two steps skipped); the proof step expands into its own checks.
    assert len(bundle.checked) == len(PROOF_CHECKS) - 1 + len(BUNDLE_CHECKS) - 2
    receipt = verifier.verify_receipt(load(FIXTURES / "receipt.json"), KEY, commitment=load(LATEST / "commitment.json"),
                                      proof_facts=bundle.proof)
    assert receipt.user_id == bundle.proof.user_id


def test_a_bundle_failure_is_an_invalid_bundle_with_the_proof_reason_and_the_checks_before_it():
    doc = load(FIXTURES / "bundle.json")
    doc["proof"]["balances"] = [str(int(doc["proof"]["balances"][0]) + 1), *doc["proof"]["balances"][1:]]
    with pytest.raises(InvalidBundle) as info:
        verifier.verify_bundle(doc, KEY)
    assert info.value.reason == Reason.BALANCE_MISMATCH
    # The bundle's members, then the proof's checks before the leaf hashes (the fixture states privacy.split).
    assert info.value.passed[0] == BUNDLE_CHECKS[0].name and len(info.value.passed) == 1 + 6


def test_a_bare_proof_failure_is_an_invalid_proof():
    proof = load(FIXTURES / "bundle.json")["proof"]
    with pytest.raises(InvalidProof) as info:
        verifier.verify_proof(proof, KEY, expected_epoch="2026-11-20")
    assert info.value.reason == Reason.WRONG_EPOCH and len(info.value.passed) == len(PROOF_CHECKS) - 1


def test_a_receipt_for_another_commitment_is_an_invalid_receipt():
    with pytest.raises(InvalidReceipt) as info:
        verifier.verify_receipt(load(FIXTURES / "receipt.json"), KEY,
                                commitment=load(FIXTURES / "publication" / "2026-11-20" / "public" / "commitment.json"))
    assert info.value.reason == Reason.RECEIPT_COMMITMENT_MISMATCH and len(info.value.passed) == 2


@pytest.mark.parametrize("name,reason", [("commitment.json", Reason.EPOCH_MISMATCH), ("epoch.json", Reason.BAD_SIGNATURE)])
def test_a_history_failure_is_an_invalid_history(tmp_path, name, reason):
    pub = tmp_path / "publication"
    shutil.copytree(FIXTURES / "publication", pub)
    target = pub / "2026-11-21" / "public" / name
    if name == "epoch.json":
        target.write_bytes(canonical.dump_file_bytes({**load(target), "as_of": "2026-01-01T00:00:00Z"}))
    else:
        # The previous epoch's commitment, validly signed, in the wrong directory.
        target.write_bytes((pub / "2026-11-20" / "public" / name).read_bytes())
    with pytest.raises(InvalidHistory) as info:
        verifier.verify_history(pub, KEY)
    assert info.value.reason == reason
    # The failure is inside the first history step (every epoch's own checks): none of the later ones passed.
    assert not set(info.value.passed) & {step.name for step in HISTORY_CHECKS}


def test_check_lists_have_distinct_step_names():
    for checks in (PROOF_CHECKS, BUNDLE_CHECKS, HISTORY_CHECKS):
        names = [step.name for step in checks]
        assert len(set(names)) == len(names)
