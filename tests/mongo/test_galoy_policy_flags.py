"""The read policies as flags of `solvency publish` (and its prepare phase), like `tree build`, and
the floor policy's adjustment as its own checked line of the balance sheet (issue 14).

On the Galoy fixture with its 2021 legacy receipt: bob's wallet 416730.298 and the bank owner's
389.702 floor to 416730 and 389, so the floored books lack exactly 0.298 + 0.702 = 1 sat on the
liabilities-and-equity side: assets 554100 = liabilities 557877 + equity -3778 + adjustment 1.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import ledger.mongo
from ledger.definitions import load_definitions
from ledger.mongo.store import MongoStore
from solvency.books.sheet import ADJUSTMENT, balance_sheet
from solvency.cli.main import cli
from tests.mongo.conftest import add_legacy_fractional
from tests.publish.publish_helpers import make_snapshot, now_as_of

URI = "mongodb://galoy-db/galoy"
AS_OF = "2024-05-06T00:00:00Z"


@pytest.fixture
def legacy_uri(galoy_db, galoy_docs, monkeypatch):
    add_legacy_fractional(galoy_db, galoy_docs)
    monkeypatch.setattr(ledger.mongo, "connect", lambda uri: galoy_db.client)
    return URI


def _prepare(tmp_path, uri, *flags):
    key = tmp_path / "bank.key"
    tmp_path.mkdir(parents=True, exist_ok=True)
    if not key.exists():
        assert CliRunner().invoke(cli, ["keys", "generate", "--out", str(key)]).exit_code == 0
    return CliRunner().invoke(cli, ["publish", "prepare", "--db", uri, "--as-of", now_as_of(), "--epoch", "g1", "--key", str(key),
                                    "--snapshots", str(make_snapshot(tmp_path / f"snap{len(flags)}")), "--out", str(tmp_path / "pub"),
                                    *flags])


def test_publish_prepare_takes_the_fractional_flag_and_records_it(legacy_uri, tmp_path, galoy_docs):
    refused = _prepare(tmp_path, legacy_uri)
    assert refused.exit_code == 1 and "not a whole number" in refused.output
    result = _prepare(tmp_path, legacy_uri, "--fractional", "floor")
    assert result.exit_code == 0, result.output
    assert "fractional balance floored" in result.output and "416730.298 -> 416730" in result.output
    definition = json.loads((tmp_path / "pub" / ".pending-g1" / "definition.json").read_text())
    assert definition["policies"] == {"fractional": "floor"}


def test_the_flag_and_the_uri_option_are_the_same_policy(legacy_uri, tmp_path):
    by_flag = _prepare(tmp_path / "a", legacy_uri, "--fractional", "floor")
    by_uri = _prepare(tmp_path / "b", legacy_uri + "?fractional=floor")
    both = _prepare(tmp_path / "c", legacy_uri + "?fractional=floor", "--fractional", "floor")
    assert by_flag.exit_code == by_uri.exit_code == both.exit_code == 0, (by_flag.output, by_uri.output, both.output)
    hashes = {json.loads((tmp_path / d / "pub" / ".pending-g1" / "tree" / "commitment.json").read_text())["balance_definition"]["content_hash"]
              for d in "abc"}
    assert len(hashes) == 1


@pytest.mark.parametrize("command", ["publish", "tree"])
def test_a_flag_contradicting_the_uri_option_is_refused_in_one_line(legacy_uri, tmp_path, command):
    conflicting = legacy_uri + "?fractional=refuse"
    if command == "publish":
        result = _prepare(tmp_path, conflicting, "--fractional", "floor")
    else:
        assert CliRunner().invoke(cli, ["keys", "generate", "--out", str(tmp_path / "k")]).exit_code == 0
        result = CliRunner().invoke(cli, ["tree", "build", "--db", conflicting, "--definition", "customer-liabilities", "--as-of", AS_OF,
                                          "--epoch", "t1", "--key", str(tmp_path / "k"), "--out", str(tmp_path / "t"), "--fractional", "floor"])
    assert result.exit_code == 1
    lines = [line for line in result.output.strip().splitlines() if line.startswith("Error")]
    assert len(lines) == 1 and "--fractional says 'floor', the ledger URI option fractional=refuse" in lines[0]


def test_publish_prepare_allow_unbalanced_journals_is_recorded(galoy_db, monkeypatch, tmp_path):
    monkeypatch.setattr(ledger.mongo, "connect", lambda uri: galoy_db.client)
    leg = galoy_db["medici_transactions"].find_one({"type": "escrow", "debit": {"$gt": 0}})
    galoy_db["medici_transactions"].delete_one({"_id": leg["_id"]})
    refused = _prepare(tmp_path, URI)
    assert refused.exit_code == 1 and f"journal {leg['_journal']} BTC" in refused.output and "--allow-unbalanced-journals" in refused.output
    result = _prepare(tmp_path, URI, "--allow-unbalanced-journals")
    assert result.exit_code == 0, result.output
    assert f"journal check waived: journal {leg['_journal']}" in result.output
    definition = json.loads((tmp_path / "pub" / ".pending-g1" / "definition.json").read_text())
    assert definition["policies"] == {"journal_check": "waived"}


def test_the_balance_sheet_names_the_floor_adjustment_and_balances_with_it(galoy_db, galoy_docs):
    add_legacy_fractional(galoy_db, galoy_docs)
    store = MongoStore(galoy_db)
    store.set_read_options(fractional="floor")
    sheet = balance_sheet(store, load_definitions(), AS_OF)
    assert (sheet.total("assets", "BTC"), sheet.total("liabilities", "BTC"), sheet.total("equity", "BTC")) == (554100, 557877, -3778)
    assert sheet.adjustment == (("BTC", 1),) and sheet.balanced
    assert [(a.split(":")[1], e, f) for a, _, e, f in sheet.floored] == [
        (galoy_docs["wallets"]["bob_btc"], "416730.298", 416730), (galoy_docs["wallets"]["bankowner"], "389.702", 389)]
    assert sheet.to_json()["currencies"]["BTC"]["fractional_adjustment"] == "1"


def test_the_adjustment_is_checked_not_a_residue(galoy_db, galoy_docs):
    """A ledger that is off by something else stays out of balance: the adjustment line is what the
    store floored, not whatever difference is left."""
    add_legacy_fractional(galoy_db, galoy_docs)
    galoy_db["medici_transactions"].delete_one({"type": "escrow", "debit": {"$gt": 0}})
    store = MongoStore(galoy_db)
    store.set_read_options(fractional="floor")
    sheet = balance_sheet(store, load_definitions(), AS_OF)
    assert sheet.adjustment == (("BTC", 1),)
    assert not sheet.balanced and sheet.difference("BTC") == -5000


def test_report_balance_sheet_prints_the_line_and_exits_0(legacy_uri):
    result = CliRunner().invoke(cli, ["report", "balance-sheet", "--db", legacy_uri, "--as-of", AS_OF, "--fractional", "floor"])
    assert result.exit_code == 0, result.output
    assert ADJUSTMENT in result.output and "assets = liabilities + equity + fractional adjustment" in result.output
    assert "389.702 -> 389" in result.output
