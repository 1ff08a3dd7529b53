"""Signed balance receipts (docs/SPEC.md section 12): issued from a real tree, verified alone,
against the commitment, and against the user's proof; tampering and mismatches are caught."""

import json
import os
import subprocess
import sys

import pytest

from solvency.keys import generate_key, public_key_of, sign_artifact
from solvency.receipt import issue_receipt
from solvency.tree.balances import from_rows
from solvency.tree.build import build_tree
from solvency.tree.store import TreeStore
from verifier.errors import CannotVerify, VerificationError
from verifier.proof import verify_proof
from verifier.receipt import InvalidReceipt, verify_receipt

ASSETS = ("BTC", "USD")


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    base = tmp_path_factory.mktemp("receipt")
    key = generate_key(base / "bank.key")
    rows = [(f"wallet-{i}", "BTC", 1000 * i + 1) for i in range(12)] + [(f"wallet-{i}", "USD", 50 * i) for i in range(12)]
    build_tree(from_rows(rows, ASSETS, source="test"), epoch="2026-11", as_of="2026-11-01T00:00:00Z", private_key=key, out_dir=base / "tree")
    with TreeStore(base / "tree") as store:
        proofs = {u: store.proof(u) for u in ("wallet-3", "wallet-4")}
    return base, key, proofs


def test_receipt_verifies_alone_with_commitment_and_with_proof(tree):
    _, key, proofs = tree
    proof = proofs["wallet-3"]
    receipt = issue_receipt(proof, key, issued_at="2026-11-02T10:00:00Z").to_json()
    assert receipt["balances"] == ["3001", "150"]
    facts = verify_proof(proof, public_key_of(key))
    r = verify_receipt(receipt, public_key_of(key), commitment=proof.commitment, proof_facts=facts)
    assert (r.user_id, r.balances) == ("wallet-3", (3001, 150))


def test_receipt_for_other_user_does_not_match_a_proof(tree):
    _, key, proofs = tree
    receipt = issue_receipt(proofs["wallet-3"], key)
    facts = verify_proof(proofs["wallet-4"], public_key_of(key))
    with pytest.raises(InvalidReceipt) as excinfo:
        verify_receipt(receipt, public_key_of(key), proof_facts=facts)
    assert excinfo.value.reason == "RECEIPT_PROOF_MISMATCH"


def test_receipt_is_evidence_when_the_proof_shows_less(tree):
    """The bank signed 3001 sats, then served a proof (of a re-signed tree) showing less."""
    _, key, proofs = tree
    receipt = issue_receipt(proofs["wallet-3"], key)
    facts = verify_proof(proofs["wallet-3"], public_key_of(key))
    lower = type(facts)(**{**{f: getattr(facts, f) for f in facts.__dataclass_fields__}, "balances": (3000, 150)})
    with pytest.raises(InvalidReceipt) as excinfo:
        verify_receipt(receipt, public_key_of(key), proof_facts=lower)
    assert "3001" in excinfo.value.message


@pytest.mark.parametrize("field,value", [("balances", ["3002", "150"]), ("user_id", "wallet-4"), ("epoch", "2026-12")])
def test_tampered_receipt_fails_its_signature(tree, field, value):
    _, key, proofs = tree
    receipt = dict(issue_receipt(proofs["wallet-3"], key).to_json(), **{field: value})
    with pytest.raises(VerificationError) as excinfo:
        verify_receipt(receipt, public_key_of(key))
    assert excinfo.value.reason == "BAD_SIGNATURE"


def test_receipt_for_another_commitment_is_refused(tree):
    _, key, proofs = tree
    receipt = issue_receipt(proofs["wallet-3"], key)
    other = proofs["wallet-3"].commitment.to_json()
    other.pop("signature")
    other["as_of"] = "2026-11-02T00:00:00Z"
    with pytest.raises(InvalidReceipt) as excinfo:
        verify_receipt(receipt, public_key_of(key), commitment=sign_artifact(other, key))
    assert excinfo.value.reason == "RECEIPT_COMMITMENT_MISMATCH"


@pytest.mark.parametrize(
    "change,expected",
    [({"format": "pos-receipt/9"}, CannotVerify), ({"balances": ["-1", "0"]}, InvalidReceipt),
     ({"balances": ["1"]}, InvalidReceipt), ({"extra": 1}, InvalidReceipt), ({"issued_at": "yesterday"}, InvalidReceipt)],
)
def test_receipt_schema_is_strict(tree, change, expected):
    _, key, proofs = tree
    receipt = dict(issue_receipt(proofs["wallet-3"], key).to_json(), **change)
    with pytest.raises(expected):
        verify_receipt(receipt, public_key_of(key))


def test_receipt_cli_round_trip(tree, tmp_path):
    base, _, proofs = tree
    env = dict(os.environ, NO_COLOR="1")
    out = tmp_path / "receipt.json"
    made = subprocess.run([sys.executable, "-m", "solvency", "receipt", "--tree", str(base / "tree"), "--user", "wallet-3",
                           "--key", str(base / "bank.key"), "--out", str(out)], capture_output=True, text=True, env=env)
    assert made.returncode == 0, made.stderr
    proof_path = tmp_path / "proof.json"
    proof_path.write_bytes(proofs["wallet-3"].to_bytes())
    ok = subprocess.run([sys.executable, "-m", "verifier", "receipt", str(out), "--key", str(base / "bank.key.pub"),
                         "--proof", str(proof_path), "--json"], capture_output=True, text=True, env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert json.loads(ok.stdout)["facts"]["balances"] == ["3001", "150"]
    wrong = tmp_path / "proof4.json"
    wrong.write_bytes(proofs["wallet-4"].to_bytes())
    bad = subprocess.run([sys.executable, "-m", "verifier", "receipt", str(out), "--key", str(base / "bank.key.pub"),
                          "--proof", str(wrong)], capture_output=True, text=True, env=env)
    assert bad.returncode == 1 and "RECEIPT_PROOF_MISMATCH" in bad.stdout
    unknown = subprocess.run([sys.executable, "-m", "solvency", "receipt", "--tree", str(base / "tree"), "--user", "nobody",
                              "--key", str(base / "bank.key")], capture_output=True, text=True, env=env)
    assert unknown.returncode == 1 and "nobody" in unknown.stderr
