"""The read policies as flags of `solvency publish` (and its prepare phase), like `tree build`, and
the floor policy's adjustment as its own checked line of the balance sheet (issue 14).

On the Galoy fixture with its 2021 legacy receipt: bob's wallet 416730.298 and the bank owner's
389.702 floor to 416730 and 389, so the floored books lack exactly 0.298 + 0.702 = 1 sat on the
liabilities-and-equity side: assets 554100 = liabilities 557877 + equity -3778 + adjustment 1.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from bson import ObjectId
from click.testing import CliRunner

import ledger.mongo
from ledger.definitions import load_definitions
from ledger.mongo.store import MongoStore
from solvency.books.pnl import profit_and_loss
from solvency.books.sheet import ADJUSTMENT, balance_sheet
from solvency.cli.main import cli
from tests.mongo.conftest import add_legacy_fractional
from tests.publish.publish_helpers import make_snapshot, now_as_of

URI = "mongodb://galoy-db/galoy"
AS_OF = "2024-05-06T00:00:00Z"
END_US = 1_714_953_600_000_000  # AS_OF in microseconds


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


def _legacy_receipt(galoy_db, galoy_docs, day: int) -> None:
    """One more 2021 on-chain receipt of 1000 sats whose deposit fee was 0.5 sat: the owner's leg
    floors to nothing, bob's 999.5 to 999."""
    wallets = galoy_docs["wallets"]
    when = datetime(2021, 3, day, 12, tzinfo=UTC)
    prefix = f"{int(when.timestamp()):08x}"
    journal = ObjectId(prefix + "67616c6f79" + "0000aa")
    legs = [{"_id": ObjectId(prefix + "6d6f6e676f" + f"0000a{k}"), "_journal": journal, "accounts": account,
             "account_path": account.split(":"), "book": "MainBook", "credit": credit, "debit": debit, "datetime": when,
             "memo": "onchain receipt", "timestamp": when, "currency": "BTC", "type": "onchain_receipt", "pending": False}
            for k, (account, credit, debit) in enumerate((("Assets:OnChain", 0.0, 1000.0), (f"Liabilities:{wallets['bankowner']}", 0.5, 0.0),
                                                          (f"Liabilities:{wallets['bob_btc']}", 999.5, 0.0)))]
    galoy_db["medici_transactions"].insert_many(legs)
    galoy_db["medici_journals"].insert_one({"_id": journal, "datetime": when, "memo": "onchain receipt", "book": "MainBook",
                                            "_transactions": [leg["_id"] for leg in legs]})


def test_the_pnl_names_the_floor_adjustment_when_leg_and_balance_flooring_differ(legacy_uri, galoy_db, galoy_docs):
    """The owner's legs: 3.702 -> 3, 0.5 -> 0, 0.5 -> 0 (3 in all); its balance 386 + 4.702 floors
    to 390: the P&L's net (with the funder's -4167) misses 1 sat, shown as the adjustment line."""
    _legacy_receipt(galoy_db, galoy_docs, 2)
    _legacy_receipt(galoy_db, galoy_docs, 3)
    store = MongoStore(galoy_db)
    store.set_read_options(fractional="floor")
    pnl = profit_and_loss(store, load_definitions(), None, END_US)
    assert pnl.net("BTC") == 386 + 3 - 4167 and dict(pnl.change)["BTC"] == 390 - 4167
    assert pnl.adjustment == (("BTC", 1),) and pnl.reconciled("BTC")
    assert pnl.to_json()["currencies"]["BTC"]["fractional_adjustment"] == "1"
    result = CliRunner().invoke(cli, ["report", "pnl", "--db", legacy_uri, "--as-of", AS_OF, "--fractional", "floor"])
    assert result.exit_code == 0, result.output
    assert "fractional adjustment (floor policy)" in result.output
    assert "check: net + capital + fractional adjustment = change of the owner's balances: yes" in result.output
    # A period without fractional legs has no such line.
    later = profit_and_loss(store, load_definitions(), 1_700_000_000_000_000, END_US)
    assert later.adjustment == () and later.reconciled("BTC")


def test_a_leg_floored_to_nothing_does_not_break_the_pnl(galoy_db, galoy_docs):
    """The owner bears 0.3 sat of dust against the on-chain wallet: the node's leg floors to
    nothing, so the entry looks internal to the owner; its exact change is the adjustment."""
    owner = f"Liabilities:{galoy_docs['wallets']['bankowner']}"
    when = datetime(2021, 3, 4, 12, tzinfo=UTC)
    prefix = f"{int(when.timestamp()):08x}"
    journal = ObjectId(prefix + "67616c6f79" + "0000bb")
    legs = [{"_id": ObjectId(prefix + "6d6f6e676f" + f"0000b{k}"), "_journal": journal, "accounts": account,
             "account_path": account.split(":"), "book": "MainBook", "credit": credit, "debit": debit, "datetime": when,
             "memo": "dust", "timestamp": when, "currency": "BTC", "type": "reconciliation", "pending": False}
            for k, (account, credit, debit) in enumerate(((owner, 0.0, 0.3), ("Assets:OnChain", 0.3, 0.0)))]
    galoy_db["medici_transactions"].insert_many(legs)
    add_legacy_fractional(galoy_db, galoy_docs)
    store = MongoStore(galoy_db)
    store.set_read_options(fractional="floor")
    pnl = profit_and_loss(store, load_definitions(), None, END_US)
    # Owner: 386 + 3.702 - 0.3 = 389.402 -> 389; counted legs 386 + 3: no adjustment is needed.
    assert dict(pnl.change)["BTC"] == 389 - 4167 and pnl.reconciled("BTC") and pnl.adjustment == ()
