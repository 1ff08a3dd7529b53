"""``solvency ledger import`` and `ledger.mongo.importer`: a medici ledger copied into SQLite.

The CLI is tested in-process (click's CliRunner) with `ledger.mongo.connect` replaced by a function
returning a seeded mongomock client: mongomock cannot be reached through a URI from another
process. The same command runs against a real server in `test_real_server.py` when
SOLVENCY_TEST_MONGO_URI is set.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import mongomock
import pytest
from click.testing import CliRunner

import ledger.mongo
from ledger.entries import transfer
from ledger.errors import ImportMismatch
from ledger.mongo.importer import copy_ledger
from ledger.mongo.store import MongoStore
from ledger.sqlite.store import SQLiteStore
from solvency.cli.ledger_import import import_ledger

URI = "mongodb://galoy.example:27017/galoy"


def at(day: int, hour: int) -> datetime:
    return datetime(2024, 5, day, hour, tzinfo=UTC)


@pytest.fixture
def via_uri(galoy_db, monkeypatch):
    seen = []

    def fake_connect(uri):
        seen.append(uri)
        return galoy_db.client

    monkeypatch.setattr(ledger.mongo, "connect", fake_connect)
    return seen


def test_copy_preserves_balances_on_both_axes(galoy_store, galoy_definitions, tmp_path):
    target = SQLiteStore(str(tmp_path / "copy.db"))
    report = copy_ledger(galoy_store, target, batch_size=4)
    assert (report.entries, report.postings) == (23, 65)
    assert report.source_digest == galoy_store.digest()
    assert report.target_digest == target.verify()
    for name in ("customer-liabilities", "all-wallets", "bitcoin-reserves"):
        assert list(target.user_balances(galoy_definitions[name])) == list(galoy_store.user_balances(galoy_definitions[name]))
    reporting = galoy_definitions["all-wallets-reporting"]
    for cut in (at(1, 12), at(1, 16), at(2, 0), at(3, 12)):
        assert list(target.user_balances(reporting, as_of=cut)) == list(galoy_store.user_balances(reporting, as_of=cut))
    void = [p for p in target.entries() if "medici_original_journal" in dict(p.entry.metadata)]
    assert len(void) == 1 and void[0].entry.reverses is None


def test_copy_as_of_a_committed_cut_off(galoy_store, galoy_definitions, tmp_path):
    cut = at(2, 10)
    target = SQLiteStore(str(tmp_path / "copy.db"))
    report = copy_ledger(galoy_store, target, as_of=cut)
    assert report.entries == 11
    definition = galoy_definitions["all-wallets"]
    assert list(target.user_balances(definition)) == list(galoy_store.user_balances(definition, as_of=cut))


class _MisroutingStore(SQLiteStore):
    """A broken target that books the first posting of every batch to a different account."""

    def post_batch(self, entries):
        first = entries[0]
        moved = first.postings[0].__class__("Liabilities:misrouted", *(
            getattr(first.postings[0], f) for f in ("currency", "side", "amount")
        ))
        entries = [first.__class__(postings=(moved, *first.postings[1:]), memo=first.memo, metadata=first.metadata,
                                   reporting_at=first.reporting_at), *entries[1:]]
        return super().post_batch(entries)


def test_copy_check_catches_a_target_that_books_elsewhere(galoy_store, tmp_path):
    with pytest.raises(ImportMismatch) as info:
        copy_ledger(galoy_store, _MisroutingStore(str(tmp_path / "bad.db")))
    assert any("misrouted" in p for p in info.value.problems)


def test_copy_refuses_a_non_empty_target(galoy_store, tmp_path):
    target = SQLiteStore(str(tmp_path / "copy.db"))
    target.post(transfer("Assets:Reserve:Lightning", "Liabilities:x", "BTC", 1))
    with pytest.raises(Exception, match="not empty"):
        copy_ledger(galoy_store, target)


def test_copy_from_a_toolkit_owned_mongo_ledger_keeps_reversals(tmp_path):
    source = MongoStore(mongomock.MongoClient(tz_aware=True)["owned"])
    first = source.post(transfer("Assets:Reserve:Lightning", "Liabilities:w1", "BTC", 500, reporting_at=1_700_000_000_000_000))
    source.post(transfer("Liabilities:w1", "Liabilities:w2", "BTC", 200))
    source.reverse(first.entry_id)
    target = SQLiteStore(str(tmp_path / "copy.db"))
    report = copy_ledger(source, target)
    assert report.entries == 3
    copied = list(target.entries())
    assert copied[2].entry.reverses == copied[0].entry_id
    assert copied[0].reporting_at == 1_700_000_000_000_000


def test_cli_imports_and_checks(via_uri, tmp_path):
    target = tmp_path / "bank.db"
    result = CliRunner().invoke(import_ledger, ["--from", URI + "?book=MainBook", "--to", f"sqlite:///{target}", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["entries"] == 23 and body["postings"] == 65
    assert body["accounts_by_type"]["liabilities"] == 8
    assert via_uri == [URI]  # the toolkit's own `book` option never reaches pymongo
    assert target.exists() and not [p for p in os.listdir(tmp_path) if p.startswith(".")]
    with SQLiteStore(str(target), create=False) as copy:
        assert str(copy.verify()) == body["target_digest"]


def test_cli_as_of(via_uri, tmp_path):
    result = CliRunner().invoke(import_ledger, ["--from", URI, "--to", str(tmp_path / "a.db"), "--as-of", "2024-05-02T10:00:00Z"])
    assert result.exit_code == 0, result.output
    assert "imported 11 entries" in result.output


def test_cli_bad_document_fails_loudly_and_writes_nothing(via_uri, galoy_db, tmp_path):
    leg = galoy_db["medici_transactions"].find_one({"credit": {"$gt": 0}})
    galoy_db["medici_transactions"].update_one({"_id": leg["_id"]}, {"$set": {"credit": 0.5}})
    result = CliRunner().invoke(import_ledger, ["--from", URI, "--to", str(tmp_path / "a.db")])
    assert result.exit_code == 1
    assert str(leg["_id"]) in result.output and "not a whole number" in result.output
    assert "Traceback" not in result.output
    assert os.listdir(tmp_path) == []


def test_cli_orphan_legs_are_rejected(via_uri, galoy_db, tmp_path):
    # medici's gap: legs written without their journal (and without their other side).
    leg = galoy_db["medici_transactions"].find_one({"credit": {"$gt": 0}})
    galoy_db["medici_transactions"].delete_one({"_id": leg["_id"]})
    result = CliRunner().invoke(import_ledger, ["--from", URI, "--to", str(tmp_path / "a.db")])
    assert result.exit_code == 1
    assert "unbalanced" in result.output and str(leg["_journal"]) in result.output
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "args,message",
    [
        (["--from", "sqlite:///x.db", "--to", "y.db"], "--from must be a mongodb:// URI"),
        (["--from", URI, "--to", "mongodb://h/db"], "--to must be a SQLite ledger"),
        (["--from", "mongodb://host", "--to", "y.db"], "must name a database"),
        (["--from", URI, "--to", "y.db", "--as-of", "yesterday"], "not an RFC 3339 time"),
    ],
)
def test_cli_usage_errors_exit_2(via_uri, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(import_ledger, args)
    assert result.exit_code == 2
    assert message in result.output


def test_cli_refuses_an_existing_target(via_uri, tmp_path):
    target = tmp_path / "exists.db"
    target.write_bytes(b"")
    result = CliRunner().invoke(import_ledger, ["--from", URI, "--to", str(target)])
    assert result.exit_code == 2 and "already exists" in result.output
