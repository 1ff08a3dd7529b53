"""The ordinary ledger commands with ``--db mongodb://...`` on Galoy's medici database.

In-process (CliRunner) with `ledger.mongo.connect` returning a seeded mongomock client; see
test_import.py for why.
"""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

import ledger.mongo
from solvency.cli.main import cli
from tests.mongo.medici_reference import galoy_wallet_balance

URI = "mongodb://galoy.example/galoy"
DEFINITIONS = "tests/mongo/fixtures/galoy_definitions.toml"


@pytest.fixture
def galoy_uri(galoy_db, monkeypatch):
    monkeypatch.setattr(ledger.mongo, "connect", lambda uri: galoy_db.client)
    return URI


def test_check_prints_the_read_time_digest(galoy_uri, galoy_store):
    result = CliRunner().invoke(cli, ["ledger", "check", "--db", galoy_uri, "--json"])
    assert result.exit_code == 0, result.output
    digest = galoy_store.digest()
    assert str(digest.entry_count) in result.output and digest.head_hash in result.output


def test_balances_csv_equals_medici(galoy_uri, galoy_docs, tmp_path):
    out = tmp_path / "users.csv"
    result = CliRunner().invoke(
        cli,
        ["ledger", "balances", "--db", galoy_uri, "--definitions", DEFINITIONS, "--definition", "customer-liabilities", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    with out.open() as handle:
        rows = list(csv.reader(handle))
    from ledger.frames import COLUMNS

    assert tuple(rows[0]) == tuple(COLUMNS)
    got = {r[0]: int(r[2]) for r in rows[1:]}
    wallets = galoy_docs["wallets"]
    expected = {wallets[n]: int(galoy_wallet_balance(galoy_docs["medici_transactions"], wallets[n])) for n in ("alice_btc", "alice_usd", "bob_btc", "carol_usd")}
    assert got == expected


def test_posting_to_galoys_database_is_refused_cleanly(galoy_uri, tmp_path):
    entry = {
        "postings": [
            {"account": "Assets:OnChain", "currency": "BTC", "side": "debit", "amount": 5},
            {"account": "Liabilities:x", "currency": "BTC", "side": "credit", "amount": 5},
        ]
    }
    path = tmp_path / "e.jsonl"
    path.write_text(json.dumps(entry) + "\n")
    result = CliRunner().invoke(cli, ["ledger", "post", "--db", galoy_uri, str(path)])
    assert result.exit_code == 1
    assert "read-only" in result.output and "Traceback" not in result.output


def test_bad_document_is_reported_by_id(galoy_uri, galoy_db):
    leg = galoy_db["medici_transactions"].find_one({"credit": {"$gt": 0}})
    galoy_db["medici_transactions"].update_one({"_id": leg["_id"]}, {"$set": {"credit": 1.5}})
    result = CliRunner().invoke(cli, ["ledger", "check", "--db", galoy_uri])
    assert result.exit_code == 1
    assert str(leg["_id"]) in result.output and "Traceback" not in result.output


def test_check_names_an_unbalanced_journal_and_its_currency(galoy_uri, galoy_db):
    leg = galoy_db["medici_transactions"].find_one({"type": "routing_fee", "credit": {"$gt": 0}})
    galoy_db["medici_transactions"].update_one({"_id": leg["_id"]}, {"$set": {"credit": 78.0}})
    result = CliRunner().invoke(cli, ["ledger", "check", "--db", galoy_uri])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"journal {leg['_journal']} BTC: credit - debit = 1" in result.output


def test_check_prints_the_roles_and_lists_fractional_legs_under_the_floor_policy(galoy_uri, galoy_db, galoy_docs):
    from tests.mongo.conftest import add_legacy_fractional

    add_legacy_fractional(galoy_db, galoy_docs)
    refused = CliRunner().invoke(cli, ["ledger", "check", "--db", galoy_uri])
    assert refused.exit_code == 1 and "= 3.702" in refused.output and "= 1230.298" in refused.output
    result = CliRunner().invoke(cli, ["ledger", "check", "--db", galoy_uri, "--fractional", "floor", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    wallets = galoy_docs["wallets"]
    assert [leg["credit_minus_debit"] for leg in body["fractional_legs"]] == ["3.702", "1230.298"]
    # Galoy floors each wallet's balance: 0.702 off the bank owner's, 0.298 off Bob's.
    assert {a["account"]: a["floored_by"] for a in body["fractional_adjustments"]} == {
        f"Liabilities:{wallets['bankowner']}": "0.702", f"Liabilities:{wallets['bob_btc']}": "0.298"}
    assert body["fractional_adjustment_total"] == "1.000"
    assert [f"Liabilities:{wallets['dealer_usd']}", "dealer"] in body["roles"]
    text = CliRunner().invoke(cli, ["ledger", "check", "--db", galoy_uri, "--fractional", "floor"]).output
    assert "bank roles from Galoy's accounts/wallets collections" in text and "total adjustment 1.000" in text


def test_report_pnl_on_galoys_database_with_no_definitions_file(galoy_uri):
    result = CliRunner().invoke(cli, ["report", "pnl", "--db", galoy_uri, "--as-of", "2024-05-06T00:00:00Z", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["revenue"]["bank fees"] == {"BTC": "2550"} and body["currencies"]["BTC"]["reconciled"]


def test_tree_build_from_galoys_database_prints_the_roles_and_takes_the_policies(galoy_uri, galoy_db, galoy_docs, tmp_path):
    from solvency.keys import generate_key
    from tests.mongo.conftest import add_legacy_fractional

    add_legacy_fractional(galoy_db, galoy_docs)
    generate_key(tmp_path / "bank.key")
    key = tmp_path / "bank.key"
    args = ["tree", "build", "--db", galoy_uri, "--definition", "customer-liabilities", "--as-of", "2024-05-06T00:00:00Z",
            "--epoch", "g1", "--key", str(key), "--min-leaves", "16"]
    refused = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "t0")])
    assert refused.exit_code == 1 and "not a whole number" in refused.output and "Traceback" not in refused.output
    result = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "t1"), "--fractional", "floor"])
    assert result.exit_code == 0, result.output
    wallets = galoy_docs["wallets"]
    assert "BTC: 501710" in result.output and "USD: 3370" in result.output  # 84980 + 416730 (floored), 2470 + 900
    assert "bank roles from Galoy's accounts/wallets collections" in result.output and wallets["dealer_usd"] in result.output
    assert f"fractional balance floored: Liabilities:{wallets['bob_btc']} BTC 416730.298 -> 416730" in result.output
