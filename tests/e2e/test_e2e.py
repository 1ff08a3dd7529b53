"""End to end through the command lines (subprocesses): two epochs published (one with the
--control-signer hook, one in phases by hand), proofs and history verified with solvency-verify,
any tampering with a public file or a rewritten first epoch caught, SIGKILL during publish
leaving no partial epoch, and the demo."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "publish"))
from publish_helpers import SEED, SIGNER, make_ledger, make_snapshot, now_as_of  # noqa: E402

from ledger.sqlite.store import SQLiteStore  # noqa: E402
from solvency.demo.bank import BankDay  # noqa: E402
from solvency.demo.wallets import DemoWallets  # noqa: E402
from verifier import canonical  # noqa: E402

SOLVENCY = [sys.executable, "-m", "solvency"]
VERIFY = [sys.executable, "-m", "verifier"]


def run(argv, env=None, check=True):
    done = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if check and done.returncode != 0:
        raise AssertionError(f"{argv[2:]} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def publish_cli(base: Path, epoch: str, snap: Path, as_of: str, env=None, check=True):
    return run(SOLVENCY + ["publish", "--db", str(base / "ledger.db"), "--as-of", as_of, "--snapshots", str(snap),
                           "--key", str(base / "bank.key"), "--out", str(base / "pub"), "--epoch", epoch,
                           "--control-signer", SIGNER], env=env, check=check)


@pytest.fixture(scope="module")
def two_epochs(tmp_path_factory):
    base = tmp_path_factory.mktemp("e2e")
    run(SOLVENCY + ["keys", "generate", "--out", str(base / "bank.key")])
    make_ledger(base / "ledger.db", users=30)
    out = publish_cli(base, "2026-11", make_snapshot(base / "snap1", "e1", 871_000, 1), now_as_of())
    assert "published epoch 2026-11 (sequence 0)" in out.stdout
    with SQLiteStore(str(base / "ledger.db")) as store:
        store.post_batch(BankDay(30, 9).events()[:150])
    # Epoch 2 in phases, signed "by hand" as an operator with offline keys would.
    pub = str(base / "pub")
    prepared = run(SOLVENCY + ["publish", "prepare", "--db", str(base / "ledger.db"), "--as-of", now_as_of(), "--snapshots",
                               str(make_snapshot(base / "snap2", "e2", 875_000, 2)), "--key", str(base / "bank.key"),
                               "--out", pub, "--epoch", "2026-12"])
    challenge = prepared.stdout.rstrip("\n")
    assert challenge.startswith("pos-assets/2 proof of control\nepoch: 2026-12\n")
    wallets = DemoWallets(SEED)
    snap = base / "pub" / ".pending-2026-12" / "snapshot"
    (snap / "proofs.json").write_text(json.dumps({"proofs": [wallets.prove_control(a, challenge) for a in wallets.addresses]}))
    message = run(SOLVENCY + ["publish", "digest", "--out", pub, "--epoch", "2026-12", "--key", str(base / "bank.key")]).stdout.strip()
    (snap / "lnd_signmessage.json").write_text(json.dumps(wallets.sign_node_message(message)))
    sealed = run(SOLVENCY + ["publish", "seal", "--out", pub, "--epoch", "2026-12", "--key", str(base / "bank.key")])
    assert "published epoch 2026-12 (sequence 1)" in sealed.stdout
    return base


def test_history_and_a_user_bundle_verify(two_epochs, tmp_path):
    base = two_epochs
    key = str(base / "bank.key.pub")
    history = run(VERIFY + ["history", str(base / "pub"), "--key", key, "--json"])
    assert json.loads(history.stdout)["facts"]["epochs"] == ["2026-11", "2026-12"]
    users = (base / "pub" / "2026-12" / "private" / "tree" / "private" / "users.ids").read_text().splitlines()
    user = random.Random(1).choice(users)
    bundle = tmp_path / "bundle.json"
    run(SOLVENCY + ["publish", "proof", "--out", str(base / "pub"), "--epoch", "2026-12", "--user", user, "--key", key, "--to", str(bundle)])
    result = json.loads(run(VERIFY + ["proof", str(bundle), "--key", key, "--epoch", "2026-12", "--user", user, "--json"]).stdout)
    assert result["verdict"] == "valid" and result["facts"]["log_size"] == 2 and result["facts"]["epoch_sequence"] == 1
    # The bare proof inside still verifies on its own, with a caveat that it is not bound to the log.
    (tmp_path / "proof.json").write_bytes(canonical.dump_file_bytes(json.loads(bundle.read_text())["proof"]))
    bare = json.loads(run(VERIFY + ["proof", str(tmp_path / "proof.json"), "--key", key, "--json"]).stdout)
    assert bare["verdict"] == "valid" and any("bare proof" in c for c in bare["caveats"])
    assets = run(VERIFY + ["assets", str(base / "pub" / "2026-12" / "public" / "assets.json"), "--key", key, "--commitment",
                           str(base / "pub" / "2026-12" / "public" / "commitment.json"), "--epoch", "2026-12",
                           "--network", "regtest"])
    assert "VALID" in assets.stdout
    missing = run(SOLVENCY + ["publish", "proof", "--out", str(base / "pub"), "--epoch", "2026-12", "--user", "nobody", "--key", key], check=False)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr


def _mutations(doc):
    """Ways a forger may change a public document: every top-level scalar and one nested value."""
    for name, value in doc.items():
        if name in ("format", "type"):
            continue
        if isinstance(value, str):
            yield name, {**doc, name: value[:-1] + ("0" if value[-1:] != "0" else "1")}
        elif isinstance(value, int) and not isinstance(value, bool):
            yield name, {**doc, name: value + 1}
        elif isinstance(value, dict) and value:
            inner = next(iter(sorted(value)))
            if isinstance(value[inner], str) and value[inner]:
                yield f"{name}.{inner}", {**doc, name: {**value, inner: value[inner][:-1] + ("0" if value[inner][-1] != "0" else "1")}}


@pytest.mark.parametrize("epoch", ["2026-11", "2026-12"])
@pytest.mark.parametrize("name", ["commitment.json", "assets.json", "epoch.json", "log-head.json"])
def test_tampering_with_any_public_file_is_caught(two_epochs, tmp_path, epoch, name):
    from verifier.history import verify_history
    from verifier.signature import load_public_key

    key = load_public_key(str(two_epochs / "bank.key.pub"))
    pub = tmp_path / "pub"
    shutil.copytree(two_epochs / "pub", pub, ignore=shutil.ignore_patterns("private"))
    path = pub / epoch / "public" / name
    original = path.read_bytes()
    doc = json.loads(original)
    tried = 0
    for where, forged in _mutations(doc):
        path.write_bytes(canonical.dump_file_bytes(forged))
        with pytest.raises(Exception) as exc:
            verify_history(pub, key)
        assert getattr(exc.value, "reason", None), (where, exc.value)
        tried += 1
    assert tried >= 3
    # A byte flip and a truncation, and the command line says invalid (exit 1) for both.
    for data in (original[:40] + bytes([original[40] ^ 1]) + original[41:], original[: len(original) // 2]):
        path.write_bytes(data)
        done = run(VERIFY + ["history", str(pub), "--key", str(two_epochs / "bank.key.pub")], check=False)
        assert done.returncode == 1, done.stdout
    path.write_bytes(original)
    run(VERIFY + ["history", str(pub), "--key", str(two_epochs / "bank.key.pub")])


def test_rewriting_epoch_1_after_epoch_2_is_caught(two_epochs, tmp_path):
    """The bank republishes 2026-11 with other liabilities (same key) after 2026-12 is out."""
    base = tmp_path
    shutil.copy(two_epochs / "bank.key", base / "bank.key")
    shutil.copy(two_epochs / "bank.key.pub", base / "bank.key.pub")
    make_ledger(base / "ledger.db", users=12, seed=99)
    publish_cli(base, "2026-11", make_snapshot(base / "snap", "x", 871_000, 5), now_as_of())
    pub = tmp_path / "mixed"
    shutil.copytree(two_epochs / "pub", pub, ignore=shutil.ignore_patterns("private"))
    shutil.rmtree(pub / "2026-11")
    shutil.copytree(base / "pub" / "2026-11", pub / "2026-11", ignore=shutil.ignore_patterns("private"))
    done = run(VERIFY + ["history", str(pub), "--key", str(base / "bank.key.pub"), "--json"], check=False)
    assert done.returncode == 1 and json.loads(done.stdout)["reason"] == "EPOCH_CHAIN_BROKEN"
    # A rewritten *whole* history is caught by a head the user kept.
    saved = two_epochs / "pub" / "2026-11" / "public" / "log-head.json"
    done = run(VERIFY + ["history", str(base / "pub"), "--key", str(base / "bank.key.pub"), "--trusted-head", str(saved), "--json"], check=False)
    assert done.returncode == 1 and json.loads(done.stdout)["reason"] == "LOG_FORKED"


def _only_whole_epochs(pub: Path, epoch: str, key: Path) -> bool:
    """Invariant after any crash: the epoch is absent, or present and valid."""
    if not (pub / epoch).exists():
        return False
    run(VERIFY + ["history", str(pub), "--key", str(key)])
    return True


@pytest.fixture(scope="module")
def crash_bank(tmp_path_factory):
    base = tmp_path_factory.mktemp("crash")
    run(SOLVENCY + ["keys", "generate", "--out", str(base / "bank.key")])
    make_ledger(base / "ledger.db", users=25)
    publish_cli(base, "e0", make_snapshot(base / "snap0", "e0", 870_000, 3), now_as_of())
    return base, make_snapshot(base / "snap", "e1", 871_000, 4)


@pytest.mark.parametrize("point", ["prepared-staging", "prepared", "sealed-staging", "before-rename", "after-rename"])
def test_sigkill_at_each_step_leaves_no_partial_epoch(crash_bank, tmp_path, point):
    base, snap = crash_bank
    work = tmp_path / "bank"
    shutil.copytree(base, work)
    as_of = now_as_of()
    done = publish_cli(work, "e1", snap, as_of, env={"SOLVENCY_CRASH_AT": point}, check=False)
    assert done.returncode == -signal.SIGKILL, (done.stdout, done.stderr)
    present = _only_whole_epochs(work / "pub", "e1", work / "bank.key.pub")
    assert present == (point == "after-rename")
    rerun = publish_cli(work, "e1", snap, as_of)
    assert rerun.returncode == 0
    assert _only_whole_epochs(work / "pub", "e1", work / "bank.key.pub")
    assert not [p.name for p in (work / "pub").iterdir() if p.name.startswith((".pending-", ".staging-"))]


def test_sigkill_at_a_random_moment(crash_bank, tmp_path):
    base, snap = crash_bank
    rng = random.Random(5)
    for attempt in range(3):
        work = tmp_path / f"bank{attempt}"
        shutil.copytree(base, work)
        as_of = now_as_of()
        argv = SOLVENCY + ["publish", "--db", str(work / "ledger.db"), "--as-of", as_of, "--snapshots", str(snap),
                           "--key", str(work / "bank.key"), "--out", str(work / "pub"), "--epoch", "e1", "--control-signer", SIGNER]
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.3, 2.0))
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        _only_whole_epochs(work / "pub", "e1", work / "bank.key.pub")
        done = publish_cli(work, "e1", snap, as_of, check=False)
        if done.returncode != 0:  # only if the killed run had already published the epoch
            assert "already published" in done.stderr and (work / "pub" / "e1").exists()
        assert _only_whole_epochs(work / "pub", "e1", work / "bank.key.pub")


def test_demo_end_to_end(tmp_path):
    done = run(SOLVENCY + ["demo", "--out", str(tmp_path / "demo"), "--users", "60", "--json"])
    summary = json.loads(done.stdout)
    assert summary["checks"] == {"proof": 0, "assets": 0, "history": 0}
    assert summary["balanced"] and summary["pnl_reconciled"]
    # Each epoch is named from its real cut-off (committed axis, now), as `solvency publish` names one.
    assert len(summary["as_of"]) == 2 and summary["as_of"][0] < summary["as_of"][1]
    assert summary["epochs"] == [a.replace("-", "").replace(":", "") for a in summary["as_of"]]
    assert summary["reconciliation"]["difference_sat"] == "-1850"  # the unbooked on-chain fee
    items = {i["line"]: i for i in summary["reconciliation"]["items"]}
    assert int(items["channel-escrow"]["difference_sat"]) == -int(items["lightning-reserve"]["difference_sat"])
    again = run(SOLVENCY + ["demo", "--out", str(tmp_path / "demo"), "--users", "60", "--json"])
    assert json.loads(again.stdout)["checks"] == summary["checks"]
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "precious.txt").write_text("x")
    refused = run(SOLVENCY + ["demo", "--out", str(tmp_path / "other"), "--users", "60"], check=False)
    assert refused.returncode == 1 and (tmp_path / "other" / "precious.txt").exists()
