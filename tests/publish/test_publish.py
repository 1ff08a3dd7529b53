"""`solvency publish` as a library (docs/SPEC.md 11.5, 13): two epochs from a real ledger and real
signed snapshots, the control-signer hook, the two-phase flow, proof bundles, the secret scan,
and every refusal leaving nothing published."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from publish_helpers import SEED, SIGNER, make_ledger, make_snapshot, now_as_of

from ledger.chain import verify_chain
from ledger.clock import format_time, parse_time
from ledger.sqlite.store import SQLiteStore
from solvency.demo.wallets import DemoWallets
from solvency.keys import generate_key, public_key_of
from solvency.publish.bundle import bundle_for_user, make_bundle
from solvency.publish.control import SignerFailed
from solvency.publish.epochs import PublishError
from solvency.publish.pipeline import (
    LOCK_FILE,
    load_prepared,
    node_message,
    pending_dir,
    prepare,
    public_secret_scan,
    seal,
    sign_with,
)
from solvency.tree.ledger_cut import digest_as_of
from solvency.tree.store import TreeStore
from verifier import canonical
from verifier.bundle import verify_bundle
from verifier.encoding import derive_salt
from verifier.epoch import Epoch, LogHead
from verifier.errors import CannotVerify, VerificationError
from verifier.history import read_artifact, verify_history
from verifier.proof import Proof


def publish(pubdir, ledger, snap, key, epoch, signer=SIGNER):
    as_of = now_as_of()
    prepared = prepare(pubdir, db=str(ledger), definition="customer-liabilities", as_of=as_of, epoch=epoch,
                       snapshots=snap, private_key=key)
    sign_with(prepared, signer, key)
    return seal(pubdir, epoch, key)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    base = tmp_path_factory.mktemp("publish")
    key = generate_key(base / "bank.key")
    ledger = make_ledger(base / "ledger.db", users=40)
    pubdir = base / "pub"
    first = publish(pubdir, ledger, make_snapshot(base / "snap1", "e1", 871_000, 1), key, "2026-11")
    with SQLiteStore(str(ledger)) as store:  # a second period of activity
        from solvency.demo.bank import BankDay

        # Another seed: fresh wallets, so the second period also adds users.
        store.post_batch(BankDay(40, 8).events()[:200])
    second = publish(pubdir, ledger, make_snapshot(base / "snap2", "e2", 875_000, 2), key, "2026-12")
    return base, key, ledger, pubdir, first, second


def test_two_epochs_make_a_valid_history(published):
    base, key, _, pubdir, first, second = published
    facts = verify_history(pubdir, public_key_of(key))
    assert facts["epochs"] == ["2026-11", "2026-12"] and facts["log_size"] == 2
    assert second.epoch.to_json()["previous"] == {"epoch": "2026-11", "epoch_hash": hashlib.sha256(canonical.dumps(first.epoch.to_json())).hexdigest()}
    assert not any(p.name.startswith(".pending-") or p.name.startswith(".staging-") for p in pubdir.iterdir())
    assert oct(os.stat(pubdir / "2026-11" / "private").st_mode & 0o777) == "0o700"


def test_epoch_binds_commitment_ledger_digest_and_statement(published):
    _, key, ledger, pubdir, first, _ = published
    public = pubdir / "2026-11" / "public"
    commitment = read_artifact(public / "commitment.json")
    assert commitment["balance_definition"]["name"] == "customer-liabilities"
    # The digest is the ledger's at the cut-off, not the head at publication time.
    with SQLiteStore(str(ledger)) as store:
        assert commitment["ledger_digest"] == {
            "entry_count": digest_as_of(store, commitment["as_of"]).entry_count,
            "head_hash": digest_as_of(store, commitment["as_of"]).head_hash,
        }
        assert store.digest().entry_count > commitment["ledger_digest"]["entry_count"]
    assert first.epoch.solvency == first.attestation.statement.to_json()
    assert first.attestation.to_json()["commitment"]["root_sums"] == commitment["root"]["sums"]


def test_every_user_gets_a_bundle_that_verifies(published):
    _, key, _, pubdir, _, second = published
    epoch_dir = pubdir / "2026-12"
    with TreeStore(epoch_dir / "private" / "tree") as store:
        users = list(store.user_ids())
    lines = (epoch_dir / "private" / "proofs.jsonl").read_bytes().splitlines()
    assert len(lines) == len(users) == second.users
    for line, user in zip(lines[:5], users):
        facts = verify_bundle(line, public_key_of(key), expected_epoch="2026-12", expected_user=user)
        assert facts.log_head.log_size == 2 and facts.epoch.sequence == 1
    served = bundle_for_user(epoch_dir, users[3], public_key_of(key))
    assert canonical.dumps(served.to_json()) == lines[3]


def test_no_secret_or_salt_in_any_public_file(published):
    """The public part never carries the epoch secret or any user's salt, raw or hex."""
    _, _, _, pubdir, _, _ = published
    for epoch in ("2026-11", "2026-12"):
        with TreeStore(pubdir / epoch / "private" / "tree") as store:
            secrets = [store.epoch_key]
            for user in store.user_ids():
                secrets += [derive_salt(store.epoch_key, epoch, user, p) for p in range(store.split)]
        blobs = [p.read_bytes() for p in (pubdir / epoch / "public").iterdir()]
        assert len(blobs) == 5  # commitment, assets, definition, epoch, log head
        for secret in secrets:
            for blob in blobs:
                assert secret not in blob
                assert secret.hex().encode() not in blob.lower()
        # The scan the prover runs before every rename finds a planted secret.
        planted = pubdir / "planted"
        shutil.copytree(pubdir / epoch / "public", planted)
        (planted / "epoch.json").write_bytes((planted / "epoch.json").read_bytes() + secrets[-1].hex().upper().encode())
        with pytest.raises(PublishError):
            public_secret_scan(planted, secrets)
        shutil.rmtree(planted)


def test_two_phase_by_hand(tmp_path):
    """prepare -> proofs.json written by the operator -> digest -> node signature -> seal."""
    key = generate_key(tmp_path / "bank.key")
    ledger = make_ledger(tmp_path / "ledger.db", users=10)
    pubdir = tmp_path / "pub"
    prepared = prepare(pubdir, db=str(ledger), definition="customer-liabilities", as_of=now_as_of(), epoch="e1",
                       snapshots=make_snapshot(tmp_path / "snap"), private_key=key)
    assert not (pubdir / "e1").exists()
    with pytest.raises(PublishError):  # no signatures yet
        seal(pubdir, "e1", key)
    wallets = DemoWallets(SEED)
    snap = prepared.directory / "snapshot"
    proofs = [wallets.prove_control(a, prepared.challenge) for a in wallets.addresses]
    (snap / "proofs.json").write_text(json.dumps({"proofs": proofs}))
    message = node_message(load_prepared(pubdir, "e1"), key)
    (snap / "lnd_signmessage.json").write_text(json.dumps(wallets.sign_node_message(message)))
    sealed = seal(pubdir, "e1", key)
    assert sealed.epoch.sequence == 0
    verify_history(pubdir, public_key_of(key))


@pytest.mark.parametrize("mode", ["exit-1", "wrong-key", "no-output"])
def test_a_failing_signer_publishes_nothing(tmp_path, mode):
    key = generate_key(tmp_path / "bank.key")
    ledger = make_ledger(tmp_path / "ledger.db", users=10)
    pubdir = tmp_path / "pub"
    script = tmp_path / "signer.sh"
    if mode == "exit-1":
        script.write_text("#!/bin/sh\necho refused >&2\nexit 1\n")
    elif mode == "no-output":
        script.write_text("#!/bin/sh\nexit 0\n")
    else:  # Signs with another bank's demo keys: the proofs do not verify over the challenge.
        script.write_text(f"#!/bin/sh\nexec {SIGNER.replace(str(SEED), '99')}\n")
    script.chmod(0o755)
    with pytest.raises((SignerFailed, PublishError)):
        publish(pubdir, ledger, make_snapshot(tmp_path / "snap"), key, "e1", signer=str(script))
    assert not (pubdir / "e1").exists()
    assert not any(p.name.startswith(".staging-") for p in pubdir.iterdir())


def test_refusals(tmp_path):
    key = generate_key(tmp_path / "bank.key")
    ledger = make_ledger(tmp_path / "ledger.db", users=10)
    snap = make_snapshot(tmp_path / "snap")
    pubdir = tmp_path / "pub"
    kwargs = dict(db=str(ledger), definition="customer-liabilities", snapshots=snap, private_key=key)
    with pytest.raises(PublishError, match="future"):
        prepare(pubdir, as_of="2999-01-01T00:00:00Z", epoch="e1", **kwargs)
    with pytest.raises(PublishError, match="unknown balance definition"):
        prepare(pubdir, as_of=now_as_of(), epoch="e1", **{**kwargs, "definition": "nope"})
    with pytest.raises(PublishError, match="snapshot"):
        prepare(pubdir, as_of=now_as_of(), epoch="e1", **{**kwargs, "snapshots": tmp_path / "missing"})
    publish(pubdir, ledger, snap, key, "e1")
    with pytest.raises(PublishError, match="already published"):
        prepare(pubdir, as_of=now_as_of(), epoch="e1", **kwargs)
    with pytest.raises(PublishError, match="not after"):
        prepare(pubdir, as_of="2020-01-01T00:00:00Z", epoch="e2", **kwargs)
    # Another key cannot extend this bank's history.
    stranger = generate_key(tmp_path / "stranger.key")
    with pytest.raises(VerificationError):
        prepare(pubdir, as_of=now_as_of(), epoch="e2", **{**kwargs, "private_key": stranger})


def test_a_preparation_made_before_another_epoch_is_refused(tmp_path):
    key = generate_key(tmp_path / "bank.key")
    ledger = make_ledger(tmp_path / "ledger.db", users=10)
    snap = make_snapshot(tmp_path / "snap")
    pubdir = tmp_path / "pub"
    stale = prepare(pubdir, db=str(ledger), definition="customer-liabilities", as_of=now_as_of(), epoch="b",
                    snapshots=snap, private_key=key)
    sign_with(stale, SIGNER, key)
    publish(pubdir, ledger, snap, key, "a")
    with pytest.raises(PublishError, match="prepare again"):
        seal(pubdir, "b", key)
    assert not (pubdir / "b").exists()


def test_one_publisher_at_a_time(tmp_path):
    key = generate_key(tmp_path / "bank.key")
    pubdir = tmp_path / "pub"
    pubdir.mkdir()
    fd = os.open(pubdir / LOCK_FILE, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(PublishError, match="another publication"):
            prepare(pubdir, db=str(make_ledger(tmp_path / "l.db", 5)), definition="customer-liabilities",
                    as_of=now_as_of(), epoch="e1", snapshots=make_snapshot(tmp_path / "snap"), private_key=key)
    finally:
        os.close(fd)
    assert not pending_dir(pubdir, "e1").exists()


def _bundle(published, epoch="2026-12", user_index=0):
    _, key, _, pubdir, _, _ = published
    line = (pubdir / epoch / "private" / "proofs.jsonl").read_bytes().splitlines()[user_index]
    return json.loads(line), key


def test_bundle_parts_must_belong_together(published):
    _, key, _, pubdir, _, _ = published
    doc, key = _bundle(published)
    other_epoch = read_artifact(pubdir / "2026-11" / "public" / "epoch.json")
    other_head = read_artifact(pubdir / "2026-11" / "public" / "log-head.json")
    with pytest.raises(VerificationError) as exc:
        verify_bundle({**doc, "epoch": other_epoch}, public_key_of(key))
    assert exc.value.reason == "BUNDLE_MISMATCH"
    with pytest.raises(VerificationError) as exc:
        verify_bundle({**doc, "log_head": other_head}, public_key_of(key))
    assert exc.value.reason == "BUNDLE_MISMATCH"
    old, _ = _bundle(published, "2026-11")
    with pytest.raises(VerificationError) as exc:
        verify_bundle({**doc, "proof": old["proof"]}, public_key_of(key))
    assert exc.value.reason == "BUNDLE_MISMATCH"
    forged = json.loads(json.dumps(doc))
    forged["epoch"]["solvency"]["per_asset"][0]["margin"] = "1"
    with pytest.raises(VerificationError) as exc:
        verify_bundle(forged, public_key_of(key))
    assert exc.value.reason == "BAD_SIGNATURE"
    with pytest.raises(CannotVerify):
        verify_bundle({**doc, "format": "pos-proof-bundle/2"}, public_key_of(key))
    with pytest.raises(VerificationError):
        verify_bundle({**doc, "extra": 1}, public_key_of(key))
    with pytest.raises(VerificationError):
        verify_bundle(canonical.dumps(doc) + b" ", public_key_of(key))
    verify_bundle(make_bundle(Proof.parse(doc["proof"]), Epoch.parse(doc["epoch"]), LogHead.parse(doc["log_head"])), public_key_of(key))


@settings(max_examples=25)
@given(st.data())
def test_digest_as_of_is_the_chain_head_at_the_cut_off(published, data):
    _, _, ledger, _, _, _ = published
    with SQLiteStore(str(ledger)) as store:
        entries = list(store.entries())
        i = data.draw(st.integers(0, len(entries) - 1))
        cut = entries[i].committed_at
        # RFC 3339 with microseconds is accepted by the ledger's parser.
        got = digest_as_of(store, format_time(cut))
        expected = verify_chain(e for e in entries if e.committed_at <= cut)
        assert got == expected


def test_a_negative_user_balance_is_refused_by_name(tmp_path):
    from ledger.entries import JournalEntry, Posting

    key = generate_key(tmp_path / "bank.key")
    ledger = make_ledger(tmp_path / "ledger.db", users=5)
    with SQLiteStore(str(ledger)) as store:
        store.post(JournalEntry((Posting("Liabilities:overdrawn-wallet", "BTC", "debit", 7),
                                 Posting("Assets:Reserve:Lightning", "BTC", "credit", 7)), "overdraft"))
    with pytest.raises(PublishError, match="overdrawn-wallet"):
        prepare(tmp_path / "pub", db=str(ledger), definition="customer-liabilities", as_of=now_as_of(), epoch="e1",
                snapshots=make_snapshot(tmp_path / "snap"), private_key=key)
    assert not (tmp_path / "pub" / ".pending-e1").exists()


def test_a_store_that_knows_its_cut_off_digest_is_asked_directly(published):
    _, _, ledger, _, _, _ = published
    with SQLiteStore(str(ledger)) as store:
        entries = list(store.entries())
        cut = format_time(entries[len(entries) // 2].committed_at)
        expected = digest_as_of(store, cut)

        class Native:
            def __init__(self):
                self.asked = []

            def digest_as_of(self, as_of):
                self.asked.append(as_of)
                return expected

        native = Native()
        assert digest_as_of(native, cut) == expected and native.asked == [parse_time(cut)]
