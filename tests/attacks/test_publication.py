"""Attacks on a bank's publication by a bank that holds its own key (issue 13, parts 2 and 7;
docs/SPEC.md 11.2, 11.4 checks 7-12, 11.6, 13 checks 5-6).

Every forgery below re-signs whatever it changed with the bank's key and re-seals the epoch (a
new `epoch.json` and a log head consistent with the previous one), so signatures and the log
prove nothing about it: only the comparisons between artifacts can catch it. Each is refused by
`solvency-verify history` (and by the user's bundle check where the bundle can see it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "publish"))  # the publication tests' builders

from publish_helpers import SIGNER, make_ledger, make_snapshot, now_as_of  # noqa: E402

import solvency.publish.epochs as epochs_module  # noqa: E402
from solvency.atomic import atomic_directory  # noqa: E402
from solvency.keys import generate_key, public_key_of, sign_artifact  # noqa: E402
from solvency.publish.bundle import make_bundle  # noqa: E402
from solvency.publish.epochs import latest_epoch, seal_epoch, write_artifact  # noqa: E402
from solvency.publish.pipeline import prepare, seal, sign_with  # noqa: E402
from solvency.tree.store import TreeStore  # noqa: E402
from verifier import canonical  # noqa: E402
from verifier.bundle import verify_bundle  # noqa: E402
from verifier.commitment import commitment_hash  # noqa: E402
from verifier.epoch import Epoch, LogHead  # noqa: E402
from verifier.errors import InvalidBundle, InvalidHistory, VerificationError  # noqa: E402
from verifier.history import read_artifact, verify_history  # noqa: E402
from verifier.proof import Proof  # noqa: E402

LAST = "2026-12"
# The bank's definitions file: its own wallets excluded by path (the toolkit's readable paths).
DEFINITIONS = """format = "pos-ledger-definitions/1"
[definitions.customer-liabilities]
time_axis = "committed"
include = [{ path = "Liabilities:*" }]
exclude = [{ path = "Liabilities:bankowner" }, { path = "Liabilities:funder" }, { path = "Liabilities:dealer:**" }]
"""
NARROWED = DEFINITIONS.replace('{ path = "Liabilities:dealer:**" }]',
                               '{ path = "Liabilities:dealer:**" }, { path = "Liabilities:wallet-of-a-friend" }]')


def publish(pubdir, ledger, snap, key, epoch, definitions_file):
    prepared = prepare(pubdir, db=str(ledger), definition="customer-liabilities", as_of=now_as_of(), epoch=epoch,
                       snapshots=snap, private_key=key, definitions_file=definitions_file)
    sign_with(prepared, SIGNER, key)
    return seal(pubdir, epoch, key)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    base = tmp_path_factory.mktemp("publication")
    key = generate_key(base / "bank.key")
    ledger = make_ledger(base / "ledger.db", users=30)
    pubdir = base / "pub"
    definitions = base / "definitions.toml"
    definitions.write_text(DEFINITIONS)
    publish(pubdir, ledger, make_snapshot(base / "snap1", "e1", 871_000, 1), key, "2026-11", str(definitions))
    publish(pubdir, ledger, make_snapshot(base / "snap2", "e2", 875_000, 2), key, LAST, str(definitions))
    return base, key, ledger, pubdir


@pytest.fixture
def copy(published, tmp_path):
    """A private copy of the publication to forge in."""
    base, key, ledger, pubdir = published
    target = tmp_path / "pub"
    shutil.copytree(pubdir, target, symlinks=True)
    return target, key


def public(pubdir: Path, epoch: str = LAST) -> Path:
    return pubdir / epoch / "public"


def reseal(pubdir: Path, key, monkeypatch, *, commitment=None, assets=None, solvency="keep", as_of=None) -> None:
    """Re-publish the last epoch with the given artifacts, re-signed and re-sealed by the bank."""
    old = public(pubdir)
    commitment = commitment or read_artifact(old / "commitment.json")
    assets = assets or read_artifact(old / "assets.json")
    epoch_doc = read_artifact(old / "epoch.json")
    definition = (old / "definition.json").read_bytes()
    private = pubdir / LAST / "private"
    shutil.move(str(private), str(pubdir / ".forger-private"))
    shutil.rmtree(pubdir / LAST)
    previous = latest_epoch(pubdir, key)
    # The forger does not run the prover's own check of the epoch it signs.
    monkeypatch.setattr(epochs_module, "verify_epoch", lambda doc, key: doc)
    with atomic_directory(pubdir / LAST) as staging:
        write_artifact(staging / "public" / "commitment.json", commitment)
        write_artifact(staging / "public" / "assets.json", assets)
        (staging / "public" / "definition.json").write_bytes(definition)
        seal_epoch(staging, previous, epoch=LAST, as_of=as_of or epoch_doc["as_of"], commitment=commitment,
                   attestation=assets, solvency=epoch_doc["solvency"] if solvency == "keep" else solvency, private_key=key)
    shutil.rmtree(pubdir / LAST / "private")
    shutil.move(str(pubdir / ".forger-private"), str(pubdir / LAST / "private"))


def forged_bundle(pubdir: Path) -> dict:
    """A user's bundle from the (forged) last epoch, as the bank would hand it out (its parts
    verbatim, so a forgery that does not even parse is handed out too)."""
    with TreeStore(pubdir / LAST / "private" / "tree") as store:
        proof = store.proof(next(store.user_ids()))
    return {"epoch": read_artifact(public(pubdir) / "epoch.json"), "format": "pos-proof-bundle/1",
            "log_head": read_artifact(public(pubdir) / "log-head.json"), "proof": proof.to_json(), "type": "proof-bundle"}


def history_reason(pubdir: Path, key) -> str:
    with pytest.raises(InvalidHistory) as excinfo:
        verify_history(pubdir, public_key_of(key))
    return str(excinfo.value.reason)


def bundle_reason(pubdir: Path, key, *, with_assets: bool) -> str:
    assets = read_artifact(public(pubdir) / "assets.json") if with_assets else None
    with pytest.raises(InvalidBundle) as excinfo:
        verify_bundle(forged_bundle(pubdir), public_key_of(key), attestation=assets)
    return str(excinfo.value.reason)


def run_verify(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "verifier", *args], capture_output=True, text=True, env=env)


def test_the_honest_publication_verifies_and_publishes_its_definition(published):
    base, key, _, pubdir = published
    facts = verify_history(pubdir, public_key_of(key))
    assert facts["definition_changes"] == []
    definition = json.loads((public(pubdir) / "definition.json").read_bytes())
    assert definition["name"] == "customer-liabilities" and definition["v"] == 1
    assert facts["definitions"][LAST]["content_hash"] == read_artifact(public(pubdir) / "commitment.json")["balance_definition"]["content_hash"]
    bundle = make_bundle(Proof.parse(forged_bundle(pubdir)["proof"]), Epoch.parse(read_artifact(public(pubdir) / "epoch.json")),
                         LogHead.parse(read_artifact(public(pubdir) / "log-head.json")))
    facts = verify_bundle(bundle, public_key_of(key), attestation=read_artifact(public(pubdir) / "assets.json"))
    assert any("recomputed from the bound assets.json" in line for line in facts.checked)


# --- 13.2: the balance definition -------------------------------------------------------------


def test_a_changed_definition_under_the_same_name_is_a_named_finding(published, tmp_path):
    """Epoch 2027-01 excludes one more wallet from "customer-liabilities": a new content hash,
    reported between the epochs in words and in --json; --strict-definitions fails."""
    base, key, ledger, pubdir = published
    pub = tmp_path / "pub"
    shutil.copytree(pubdir, pub, symlinks=True)
    narrowed = tmp_path / "narrowed.toml"
    assert NARROWED != DEFINITIONS
    narrowed.write_text(NARROWED)
    publish(pub, ledger, make_snapshot(tmp_path / "snap3", "e3", 879_000, 3), key, "2027-01", definitions_file=str(narrowed))

    facts = verify_history(pub, public_key_of(key))
    [change] = facts["definition_changes"]
    assert (change["code"], change["from_epoch"], change["to_epoch"]) == ("DEFINITION_CHANGED", LAST, "2027-01")
    assert change["from"]["name"] == change["to"]["name"] == "customer-liabilities"
    assert change["from"]["content_hash"] != change["to"]["content_hash"]
    assert change["changes"] == ["exclude selector added: {path Liabilities:wallet-of-a-friend}"]
    with pytest.raises(InvalidHistory) as excinfo:
        verify_history(pub, public_key_of(key), strict_definitions=True)
    assert excinfo.value.reason == "DEFINITION_CHANGED"

    pub_key = str(base / "bank.key.pub")
    text_run = run_verify("history", str(pub), "--key", pub_key)
    assert text_run.returncode == 0, text_run.stdout + text_run.stderr
    assert "FINDING DEFINITION_CHANGED" in text_run.stdout and "Liabilities:wallet-of-a-friend" in text_run.stdout
    as_json = json.loads(run_verify("history", str(pub), "--key", pub_key, "--json").stdout)
    assert as_json["facts"]["definition_changes"] == [change]
    strict = run_verify("history", str(pub), "--key", pub_key, "--strict-definitions", "--json")
    assert strict.returncode == 1 and json.loads(strict.stdout)["reason"] == "DEFINITION_CHANGED"

    line = (pub / "2027-01" / "private" / "proofs.jsonl").read_bytes().splitlines()[0]
    (tmp_path / "bundle.json").write_bytes(line + b"\n")
    proof = run_verify("proof", str(tmp_path / "bundle.json"), "--key", pub_key, "--history", str(pub), "--json")
    assert proof.returncode == 0, proof.stdout + proof.stderr
    result = json.loads(proof.stdout)
    assert result["facts"]["balance_definition"] == change["to"]
    assert result["facts"]["definition_changes"] == change["changes"]
    assert any("differs from the previous epoch" in line for line in result["checked"])


@pytest.mark.parametrize("forgery", ["other-definition", "narrowed-same-name", "non-canonical", "missing"])
def test_definition_bytes_that_are_not_the_hashed_ones_are_refused(copy, forgery):
    pubdir, key = copy
    path = public(pubdir) / "definition.json"
    doc = json.loads(path.read_bytes())
    expected = "DEFINITION_MISMATCH"
    if forgery == "other-definition":
        path.write_bytes(canonical.dump_file_bytes({**doc, "name": "bankowner-equity"}))
    elif forgery == "narrowed-same-name":
        path.write_bytes(canonical.dump_file_bytes({**doc, "exclude": doc["exclude"][:-1]}))
    elif forgery == "non-canonical":
        path.write_bytes(json.dumps(doc, indent=1).encode())
        expected = "NON_CANONICAL_ENCODING"
    else:
        path.unlink()
        expected = "MISSING_FILE"
    assert history_reason(pubdir, key) == expected


def test_a_definition_beside_a_commitment_that_names_none_is_refused(copy, monkeypatch):
    pubdir, key = copy
    commitment = sign_artifact({**read_artifact(public(pubdir) / "commitment.json"), "balance_definition": None}, key)
    assets = read_artifact(public(pubdir) / "assets.json")
    assets = sign_artifact({**assets, "commitment": {**assets["commitment"], "hash": commitment_hash(commitment).hex()}}, key)
    reseal(pubdir, key, monkeypatch, commitment=commitment, assets=assets)
    assert history_reason(pubdir, key) == "DEFINITION_MISMATCH"


# --- 13.7: the signed statement, the liabilities copy, the cut-off ----------------------------


def _inflate(statement: dict, factor: int = 10) -> dict:
    rows = [{**r, "assets": str(int(r["assets"]) * factor), "margin": str(int(r["assets"]) * factor - int(r["liabilities"]))}
            for r in statement["per_asset"]]
    return {**statement, "per_asset": rows}


def test_an_inflated_statement_re_signed_with_the_bank_key_is_refused(copy, monkeypatch):
    pubdir, key = copy
    epoch_doc = read_artifact(public(pubdir) / "epoch.json")
    reseal(pubdir, key, monkeypatch, solvency=_inflate(epoch_doc["solvency"]))
    assert history_reason(pubdir, key) == "STATEMENT_MISMATCH"
    assert bundle_reason(pubdir, key, with_assets=True) == "STATEMENT_MISMATCH"


def test_an_inflated_statement_in_both_files_is_refused(copy, monkeypatch):
    """The forger also inflates (and re-signs) assets.json's statement: it no longer follows from its lists."""
    pubdir, key = copy
    assets = read_artifact(public(pubdir) / "assets.json")
    inflated = _inflate(assets["statement"])
    reseal(pubdir, key, monkeypatch, assets=sign_artifact({**assets, "statement": inflated}, key), solvency=inflated)
    assert history_reason(pubdir, key) == "STATEMENT_MISMATCH"
    assert bundle_reason(pubdir, key, with_assets=True) == "STATEMENT_MISMATCH"


@pytest.mark.parametrize(("solvency", "reason"), [(None, "STATEMENT_MISMATCH"), ("we are solvent", "EPOCH_SCHEMA"),
                                                  ({"BTC": {"surplus": "1"}}, "EPOCH_SCHEMA")])
def test_a_null_or_free_text_statement_is_refused(copy, monkeypatch, solvency, reason):
    pubdir, key = copy
    reseal(pubdir, key, monkeypatch, solvency=solvency)
    assert history_reason(pubdir, key) == reason
    assert bundle_reason(pubdir, key, with_assets=False) == reason


def test_a_liabilities_copy_that_differs_from_the_root_sums_is_refused(copy, monkeypatch):
    pubdir, key = copy
    assets = read_artifact(public(pubdir) / "assets.json")
    sums = assets["commitment"]["root_sums"]
    forged = {**assets, "commitment": {**assets["commitment"], "root_sums": [str(int(sums[0]) // 2), *sums[1:]]}}
    reseal(pubdir, key, monkeypatch, assets=sign_artifact(forged, key))
    assert history_reason(pubdir, key) == "COMMITMENT_MISMATCH"
    assert bundle_reason(pubdir, key, with_assets=True) == "COMMITMENT_MISMATCH"


def test_an_epoch_as_of_that_differs_from_its_commitment_is_refused(copy, monkeypatch):
    pubdir, key = copy
    reseal(pubdir, key, monkeypatch, as_of="2026-11-30T00:00:00Z")
    assert history_reason(pubdir, key) == "AS_OF_MISMATCH"
    assert bundle_reason(pubdir, key, with_assets=False) == "AS_OF_MISMATCH"


def test_an_as_of_going_backwards_is_refused(copy, monkeypatch):
    """The forger dates the last epoch (commitment, attestation copy and epoch, all re-signed)
    before the previous one."""
    pubdir, key = copy
    first_as_of = read_artifact(public(pubdir, "2026-11") / "epoch.json")["as_of"]
    earlier = "2026-01-01T00:00:00Z"
    assert earlier < first_as_of
    commitment = sign_artifact({**read_artifact(public(pubdir) / "commitment.json"), "as_of": earlier}, key)
    assets = read_artifact(public(pubdir) / "assets.json")
    assets = sign_artifact({**assets, "commitment": {**assets["commitment"], "hash": commitment_hash(commitment).hex()}}, key)
    reseal(pubdir, key, monkeypatch, commitment=commitment, assets=assets, as_of=earlier)
    assert history_reason(pubdir, key) == "AS_OF_NOT_ADVANCING"


def test_publish_refuses_to_seal_an_inflated_statement(published, tmp_path, monkeypatch):
    """`solvency publish` runs the same checks on its staging directory before the rename."""
    import solvency.publish.pipeline as pipeline

    base, key, ledger, pubdir = published
    pub = tmp_path / "pub"
    shutil.copytree(pubdir, pub, symlinks=True)
    honest_seal = pipeline.seal_epoch

    def inflating_seal(staging, previous, **kwargs):
        return honest_seal(staging, previous, **{**kwargs, "solvency": _inflate(kwargs["solvency"])})

    monkeypatch.setattr(pipeline, "seal_epoch", inflating_seal)
    with pytest.raises(VerificationError) as excinfo:
        publish(pub, ledger, make_snapshot(tmp_path / "snap3", "e3", 879_000, 3), key, "2027-01", str(base / "definitions.toml"))
    assert excinfo.value.reason == "STATEMENT_MISMATCH"
    assert not (pub / "2027-01").exists()


def test_publish_refuses_an_attestation_whose_liabilities_copy_differs(published, tmp_path, monkeypatch):
    """The bank's signing step hands `seal` an attestation with halved liabilities: the staging
    directory's own history checks (SPEC 11.4 check 9) refuse it before the rename."""
    import dataclasses

    import solvency.publish.pipeline as pipeline
    from verifier.assets.artifact import Attestation

    base, key, ledger, pubdir = published
    pub = tmp_path / "pub"
    shutil.copytree(pubdir, pub, symlinks=True)
    honest_sign = pipeline.sign

    def halving_sign(artifact, private_key):
        if isinstance(artifact, Attestation):
            copy = artifact.commitment
            artifact = dataclasses.replace(artifact, commitment=dataclasses.replace(
                copy, root_sums=(copy.root_sums[0] // 2, *copy.root_sums[1:])))
        return honest_sign(artifact, private_key)

    monkeypatch.setattr(pipeline, "sign", halving_sign)
    with pytest.raises(VerificationError) as excinfo:
        publish(pub, ledger, make_snapshot(tmp_path / "snap3", "e3", 879_000, 3), key, "2027-01", str(base / "definitions.toml"))
    assert excinfo.value.reason == "COMMITMENT_MISMATCH"
    assert not (pub / "2027-01").exists()
