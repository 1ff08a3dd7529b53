"""Epoch sealing, the transparency log across epochs, and `solvency-verify history`
(docs/SPEC.md section 11): a bank that edits, rewrites or forks its history is caught."""

import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest

from ledger.definitions import parse_definitions
from solvency.atomic import atomic_directory
from solvency.keys import generate_key, public_key_of, sign_artifact
from solvency.publish.epochs import PublishError, latest_epoch, published_definition, seal_epoch, write_artifact
from verifier import canonical
from verifier.errors import CannotVerify, InvalidHistory, VerificationError
from verifier.history import verify_history
from verifier.signature import key_id

DEFINITION = parse_definitions("""format = "pos-ledger-definitions/1"
[definitions.customer-liabilities]
time_axis = "committed"
include = [{ path = "Liabilities:*" }]
exclude = [{ path = "Liabilities:bankowner" }, { path = "Liabilities:funder" }, { path = "Liabilities:dealer:**" }]
""")["customer-liabilities"]


def cut_off(epoch: str) -> str:
    """Each epoch's cut-off: the 28th of the month its id names (so cut-offs advance)."""
    return f"{epoch[:7]}-28T00:00:00Z"


def make_commitment(epoch: str, private_key, seed: int) -> dict:
    """A schema-valid signed liabilities commitment (the tree itself is not under test here)."""
    body = {
        "format": "pos-mst/1",
        "type": "commitment",
        "epoch": epoch,
        "as_of": cut_off(epoch),
        "assets": ["BTC", "USD"],
        "height": 3,
        "leaf_count": 8,
        "root": {"hash": hashlib.sha256(f"root {seed}".encode()).hexdigest(), "sums": [str(1000 + seed), "500"]},
        "balance_definition": {"name": DEFINITION.name, "content_hash": DEFINITION.content_hash},
        "ledger_digest": {"entry_count": 10 + seed, "head_hash": "cd" * 32},
        "signer_key_id": key_id(public_key_of(private_key)),
    }
    return sign_artifact(body, private_key)


def publish(pubdir, epoch, private_key, seed):
    """An epoch without an asset attestation (statements are tested with real ones in
    tests/attacks/test_publication.py), with its published balance definition."""
    previous = latest_epoch(pubdir, private_key)
    commitment = make_commitment(epoch, private_key, seed)
    with atomic_directory(pubdir / epoch) as staging:
        write_artifact(staging / "public" / "commitment.json", commitment)
        write_artifact(staging / "public" / "definition.json",
                       published_definition(DEFINITION.canonical(), DEFINITION.content_hash))
        seal_epoch(
            staging, previous, epoch=epoch, as_of=cut_off(epoch), commitment=commitment,
            attestation=None, solvency=None, private_key=private_key,
        )


@pytest.fixture
def bank(tmp_path):
    key = generate_key(tmp_path / "bank.key")
    pubdir = tmp_path / "pub"
    for i, epoch in enumerate(["2026-10", "2026-11", "2026-12"]):
        publish(pubdir, epoch, key, i)
    return pubdir, key, tmp_path / "bank.key.pub"


def test_three_epochs_verify(bank):
    pubdir, key, _ = bank
    facts = verify_history(pubdir, public_key_of(key))
    assert facts["epochs"] == ["2026-10", "2026-11", "2026-12"]
    assert facts["log_size"] == 3


@pytest.mark.parametrize("epoch", ["2026-10", "2026-11", "2026-12"])
@pytest.mark.parametrize("name", ["epoch.json", "log-head.json", "commitment.json", "definition.json"])
def test_tampering_with_any_public_file_is_caught(bank, epoch, name):
    pubdir, key, _ = bank
    path = pubdir / epoch / "public" / name
    doc = json.loads(path.read_bytes())
    # Change one value deep inside the document, re-encode canonically (a careful forger).
    if name == "epoch.json":
        doc["sequence"] += 7
    elif name == "log-head.json":
        doc["log_root"] = "00" * 32
    elif name == "commitment.json":
        doc["root"]["sums"][0] = str(int(doc["root"]["sums"][0]) + 1)
    else:
        doc["exclude"] = doc["exclude"][1:]
    path.write_bytes(canonical.dump_file_bytes(doc))
    with pytest.raises(VerificationError):
        verify_history(pubdir, public_key_of(key))


def test_missing_public_file_is_invalid(bank):
    pubdir, key, _ = bank
    (pubdir / "2026-11" / "public" / "log-head.json").unlink()
    with pytest.raises(InvalidHistory) as excinfo:
        verify_history(pubdir, public_key_of(key))
    assert excinfo.value.reason == "MISSING_FILE"


def test_rewriting_an_old_epoch_breaks_the_chain(bank, tmp_path):
    """The bank re-signs a new epoch 2026-10 (other liabilities) after 2026-11 was published."""
    pubdir, key, _ = bank
    shutil.rmtree(pubdir / "2026-10")
    publish_into = tmp_path / "rewrite"
    publish(publish_into, "2026-10", key, 77)
    shutil.move(str(publish_into / "2026-10"), str(pubdir / "2026-10"))
    with pytest.raises(InvalidHistory) as excinfo:
        verify_history(pubdir, public_key_of(key))
    assert excinfo.value.reason == "EPOCH_CHAIN_BROKEN"


def test_a_consistently_rewritten_history_is_caught_by_a_saved_head(bank, tmp_path):
    pubdir, key, _ = bank
    saved_head = json.loads((pubdir / "2026-11" / "public" / "log-head.json").read_bytes())
    forged = tmp_path / "forged"
    for i, epoch in enumerate(["2026-10", "2026-11", "2026-12"]):
        publish(forged, epoch, key, 100 + i)
    verify_history(forged, public_key_of(key))  # internally consistent on its own
    with pytest.raises(InvalidHistory) as excinfo:
        verify_history(forged, public_key_of(key), (saved_head,))
    assert excinfo.value.reason == "LOG_FORKED"
    verify_history(pubdir, public_key_of(key), (saved_head,))


def test_two_epochs_with_one_sequence_is_a_fork(bank, tmp_path):
    pubdir, key, _ = bank
    other = tmp_path / "other"
    publish(other, "2026-10", key, 0)
    publish(other, "2026-11b", key, 5)
    shutil.move(str(other / "2026-11b"), str(pubdir / "2026-11b"))
    with pytest.raises(InvalidHistory) as excinfo:
        verify_history(pubdir, public_key_of(key))
    assert excinfo.value.reason == "EPOCH_FORKED"


def test_another_banks_key_is_refused(bank, tmp_path):
    pubdir, _, _ = bank
    stranger = generate_key(tmp_path / "stranger.key")
    with pytest.raises(VerificationError) as excinfo:
        verify_history(pubdir, public_key_of(stranger))
    assert excinfo.value.reason == "WRONG_KEY"


def test_republishing_an_epoch_is_refused(bank):
    pubdir, key, _ = bank
    with pytest.raises((PublishError, FileExistsError)):
        publish(pubdir, "2026-12", key, 9)


def test_empty_publication_cannot_be_decided(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(CannotVerify):
        verify_history(tmp_path / "empty", b"\x01" * 32)


def _run(*args):
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "verifier", *args], capture_output=True, text=True, env=env)


def test_cli_history_exit_codes(bank, tmp_path):
    pubdir, _, pub = bank
    ok = _run("history", str(pubdir), "--key", str(pub), "--json")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    result = json.loads(ok.stdout)
    assert result["verdict"] == "valid" and result["facts"]["log_size"] == 3
    (pubdir / "2026-11" / "public" / "epoch.json").write_bytes(b'{"format":"pos-epoch/1"}\n')
    bad = _run("history", str(pubdir), "--key", str(pub))
    assert bad.returncode == 1 and "INVALID" in bad.stdout and "Traceback" not in bad.stderr
    missing = _run("history", str(tmp_path / "nowhere"), "--key", str(pub))
    assert missing.returncode == 3
    usage = _run("history")
    assert usage.returncode == 2
