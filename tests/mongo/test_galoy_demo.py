"""`solvency demo --galoy`: publication end to end from a Galoy-shaped MongoDB book (issue 14).

The demo runs in-process (CliRunner) on mongomock with a small user count; the verifier commands
it runs (``solvency-verify proof``, ``assets``, ``history``) are real subprocesses, the auditor's
check list reads the same mongomock database. A tampered publication step (a user dropped from
the balances the tree is built from) must make a check fail and the demo exit 1.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

import mongomock
import pytest
from click.testing import CliRunner

import ledger.mongo
import solvency.tree.ledger_cut
from ledger.definitions import load_definitions
from ledger.mongo.store import MongoStore
from solvency.books.pnl import GALOY_TYPES
from solvency.cli.main import cli
from solvency.demo.galoy import write_database
from solvency.demo.galoy_book import build_galoy_database

USERS = "16"


def _json(output: str) -> dict:
    return json.loads(output[output.index("{"):])


def test_the_galoy_demo_publishes_and_every_check_passes(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", "--galoy", "--out", str(out), "--users", USERS, "--json"])
    assert result.exit_code == 0, result.output
    summary = _json(result.output)
    assert summary["checks"] == {"proof": 0, "assets": 0, "history": 0, "audit": 0}
    assert summary["balanced"] is True
    # The 2021 receipt's 3.702 (owner) and 1230.298 (a customer) floor to one satoshi in all.
    assert summary["fractional_adjustment"] == {"BTC": 1}
    assert summary["dealer_position"]["USD"] < 0 < summary["dealer_position"]["BTC"]
    assert summary["owner_equity"]["BTC"] > 0 and summary["pnl_reconciled"] is True
    definition = json.loads((out / "publication" / summary["epochs"][0] / "public" / "definition.json").read_text())
    assert definition["policies"] == {"fractional": "floor"} and len(definition["roles"]) == 4
    assert (out / "galoy-db.json").is_file()


def test_a_dropped_user_fails_a_check_and_the_demo_exits_1(tmp_path, monkeypatch):
    real = solvency.tree.ledger_cut.from_ledger_rows

    def drop_first_user(rows, *args, **kwargs):
        rows = list(rows)
        dropped = rows[0][0]
        return real([r for r in rows if r[0] != dropped], *args, **kwargs)

    monkeypatch.setattr(solvency.tree.ledger_cut, "from_ledger_rows", drop_first_user)
    result = CliRunner().invoke(cli, ["demo", "--galoy", "--out", str(tmp_path / "demo"), "--users", USERS])
    assert result.exit_code == 1, result.output
    assert "FAIL liabilities total = ledger" in result.output
    assert result.output.strip().splitlines()[-1] == "Error: verifier check(s) failed: audit"


def test_mongo_uri_writes_a_fresh_database_and_refuses_a_non_empty_one(tmp_path, monkeypatch):
    client = mongomock.MongoClient(tz_aware=True)
    monkeypatch.setattr(ledger.mongo, "connect", lambda uri: client)
    uri = "mongodb://galoy.example/galoy_demo"
    result = CliRunner().invoke(cli, ["demo", "--galoy", "--mongo", uri, "--out", str(tmp_path / "a"), "--users", USERS])
    assert result.exit_code == 0, result.output
    assert {"medici_journals", "medici_transactions", "accounts", "wallets"} <= set(client["galoy_demo"].list_collection_names())
    again = CliRunner().invoke(cli, ["demo", "--galoy", "--mongo", uri, "--out", str(tmp_path / "b"), "--users", USERS])
    assert again.exit_code == 1
    assert again.output.strip().splitlines() == [
        "Error: MongoDB database 'galoy_demo' is not empty (accounts, medici_journals, medici_transactions, wallets): "
        "the demo writes a fresh Galoy-shaped book; give a new database name"]


def test_without_mongomock_the_error_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "mongomock", None)  # `import mongomock` raises ImportError
    result = CliRunner().invoke(cli, ["demo", "--galoy", "--out", str(tmp_path / "d"), "--users", USERS])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1 and "needs mongomock" in result.output


def test_usage_errors(tmp_path):
    runner = CliRunner()
    assert runner.invoke(cli, ["demo", "--mongo", "mongodb://h/d", "--out", str(tmp_path / "x")]).exit_code == 2
    assert runner.invoke(cli, ["demo", "--galoy", "--ledger-only", "--out", str(tmp_path / "x")]).exit_code == 2
    assert runner.invoke(cli, ["demo", "--galoy", "--users", "8", "--out", str(tmp_path / "x")]).exit_code == 2


@pytest.mark.parametrize("users", [16, 57])
def test_the_book_is_galoys_shape_and_reads_right_with_the_shipped_definitions(users):
    book = build_galoy_database(users, 2026, datetime(2026, 11, 1, tzinfo=UTC))
    assert set(GALOY_TYPES) <= set(book.types)
    db = mongomock.MongoClient(tz_aware=True)["galoy"]
    write_database(db, book)
    store = MongoStore(db)
    store.set_read_options(fractional="floor")
    assert store.unbalanced_journals() == []
    voided = db["medici_journals"].find_one({"voided": True})
    assert str(voided["_id"]) == book.voided and db["medici_transactions"].count_documents({"_original_journal": voided["_id"]}) == 3
    assert len(store.fractional_legs()) == 2
    leg = db["medici_transactions"].find_one({"type": "invoice"})
    assert {"currency", "pending", "type", "_journal", "account_path", "timestamp"} <= set(leg) and leg["book"] == "MainBook"
    roles = store.bank_roles()
    bank = {path.split(":", 1)[1] for path, _ in roles.wallets}
    assert bank == {w for ids in book.roles.values() for w in ids}
    definitions = store.bind_definitions(load_definitions())
    customers = {u for u, _, _ in store.user_balances(definitions["customer-liabilities"])}
    assert customers and not customers & bank
    dealer = dict(store.totals(definitions["dealer-position"]))
    assert dealer["USD"] < 0 < dealer["BTC"]
    # Every customer wallet is non-negative (a customer never overdraws in the story).
    assert all(amount >= 0 for _, _, amount in store.user_balances(definitions["customer-liabilities"]))


def test_the_galoy_demo_attests_bria_and_reconciles_with_the_galoy_bria_layout(tmp_path, monkeypatch):
    """Galoy since mid-2023: Assets:OnChain is bria's wallet, lnd's on-chain wallet is in the
    lightning reserve. The demo's attestation is pos-assets/3 with bria's UTXOs (proofs by the demo
    signer), and its books reconcile to the sat under galoy-bria, by the demo and by `solvency
    report reconcile --layout galoy-bria` on the same database and snapshot; under galoy-lnd the
    on-chain line would be compared with lnd's wallet and miss bria's coins."""
    client = mongomock.MongoClient(tz_aware=True)
    monkeypatch.setattr(ledger.mongo, "connect", lambda uri: client)
    uri, out = "mongodb://galoy.example/galoy_bria", tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", "--galoy", "--mongo", uri, "--out", str(out), "--users", USERS, "--json"])
    assert result.exit_code == 0, result.output
    summary = _json(result.output)
    assert summary["checks"] == {"proof": 0, "assets": 0, "history": 0, "audit": 0} and summary["layout"] == "galoy-bria"
    public = out / "publication" / summary["epochs"][0] / "public"
    assets = json.loads((public / "assets.json").read_text())
    assert assets["format"] == "pos-assets/3"
    bria = assets["bria"]
    confirmed = sum(u["amount"] for u in bria["utxos"] if u["height"] is not None)
    assert len(bria["utxos"]) >= 2 and confirmed == assets["totals"]["bria_confirmed"] > 0
    assert bria["utxo_settled"] + bria["utxo_pending_incoming"] == sum(u["amount"] for u in bria["utxos"])
    proven = {p["address"] for p in assets["proofs"]}
    assert {u["address"] for u in bria["utxos"]} <= proven
    # The ledger's Assets:OnChain is bria's confirmed UTXOs, to the sat; lnd's wallet is lightning.
    with MongoStore(client["galoy_bria"]) as store:
        store.set_read_options(fractional="floor")
        definitions = store.bind_definitions(load_definitions())
        onchain = dict(store.totals(definitions["onchain-hot"])).get("BTC", 0)
    assert onchain == confirmed
    items = {i["line"]: i for i in summary["reconciliation"]["items"]}
    assert items["onchain-hot"]["categories"] == ["bria_confirmed"] and items["onchain-hot"]["difference_sat"] == "0"
    assert "onchain_confirmed" in items["lightning-reserve"]["categories"]
    assert all(i["difference_sat"] == "0" for i in items.values())
    assert "Books layout galoy-bria" not in result.output  # --json prints the document only
    args = ["report", "reconcile", "--db", uri, "--fractional", "floor", "--as-of", summary["as_of"][0],
            "--snapshots", str(out / "snapshots" / "galoy"), "--json"]
    bria_layout = CliRunner().invoke(cli, [*args, "--layout", "galoy-bria"])
    assert bria_layout.exit_code == 0, bria_layout.output
    report = {i["line"]: i for i in _json(bria_layout.output)["items"]}
    assert report["onchain-hot"]["ledger_sat"] == report["onchain-hot"]["node_sat"] == str(onchain)
    assert report["onchain-hot"]["difference_sat"] == "0" and _json(bria_layout.output)["difference_sat"] == "0"
    lnd_layout = CliRunner().invoke(cli, args)  # galoy-lnd, the default: lnd's wallet against Assets:OnChain
    assert lnd_layout.exit_code == 0, lnd_layout.output
    assert {i["line"]: i for i in _json(lnd_layout.output)["items"]}["onchain-hot"]["difference_sat"] != "0"
