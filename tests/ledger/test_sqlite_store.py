"""The store contract on SQLite, plus what is specific to the SQLite file: append-only triggers,
format markers, tamper evidence, durability and multi-process safety."""

from __future__ import annotations

import os
import sqlite3
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from store_contract import CUSTOMERS, LN, StoreContract, deposit  # noqa: E402

from ledger.entries import JournalEntry, Posting  # noqa: E402
from ledger.errors import ChainBroken, StoreFormatError, TrialBalanceNotZero  # noqa: E402
from ledger.open import open_store  # noqa: E402
from ledger.sqlite.store import SQLiteStore  # noqa: E402


@pytest.fixture(params=[1, 3, 10**9], ids=["all-indexed", "index-and-tail", "all-tail"])
def store(tmp_path, request):
    # Queries read the per-account index and the unmerged tail; run the contract with everything
    # merged after each batch, with a mix, and with nothing merged.
    with SQLiteStore(str(tmp_path / "ledger.db")) as s:
        s.merge_entries = request.param
        yield s


class TestSQLiteStoreContract(StoreContract):
    pass


def test_open_store_uris(tmp_path):
    path = tmp_path / "a.db"
    with open_store(f"sqlite:///{path}") as s:
        s.post(deposit("w1", 5))
    with open_store(str(path)) as s:
        assert s.digest().entry_count == 1
    with pytest.raises(ValueError):
        open_store("postgres://x/y")
    with pytest.raises(StoreFormatError):
        open_store(str(tmp_path / "missing.db"), create=False)


def test_update_and_delete_are_refused_by_the_database(store):
    store.post(deposit("w1", 5))
    store.merge_index()
    for statement in (
        "UPDATE postings SET amount = 6",
        "DELETE FROM postings",
        "UPDATE entries SET memo = 'x'",
        "DELETE FROM entries",
        "UPDATE posting_index SET amount = 6",
        "DELETE FROM posting_index",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store._db.execute(statement)
    assert store.verify().entry_count == 1


def _tamper(path, statement):
    db = sqlite3.connect(path, isolation_level=None)
    for trigger in ("postings_no_update", "entries_no_update", "postings_no_delete", "entries_no_delete", "posting_index_no_update", "posting_index_no_delete"):
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    db.execute(statement)
    db.close()


@pytest.mark.parametrize(
    "statement, error",
    [
        ("UPDATE postings SET amount = amount * 2 WHERE entry_seq = 2", ChainBroken),
        ("UPDATE entries SET memo = 'edited' WHERE seq = 1", ChainBroken),
        ("UPDATE entries SET reporting_at = reporting_at - 1 WHERE seq = 2", ChainBroken),
        ("DELETE FROM entries WHERE seq = 2", ChainBroken),
        ("UPDATE entries SET entry_hash = zeroblob(32) WHERE seq = 2", ChainBroken),
        ("UPDATE entries SET committed_at = committed_at + 1 WHERE seq = 3", ChainBroken),
        ("UPDATE entries SET reverses = 1 WHERE seq = 3", ChainBroken),
    ],
)
def test_tampering_is_detected(tmp_path, statement, error):
    path = str(tmp_path / "t.db")
    with SQLiteStore(path) as s:
        s.post_batch([deposit("w1", 5), deposit("w2", 6), deposit("w3", 7)])
    _tamper(path, statement)
    with SQLiteStore(path) as s, pytest.raises(error):
        s.verify()


def test_unbalanced_postings_fail_the_trial_balance(tmp_path):
    path = str(tmp_path / "t.db")
    with SQLiteStore(path) as s:
        s.post(deposit("w1", 5))
    # A posting that no entry owns is outside the chain; the trial balance and verify see it.
    _tamper(path, "INSERT INTO postings VALUES (99, 0, 1, 1, 5, 0)")
    with SQLiteStore(path) as s:
        assert s.trial_balance()["BTC"] == 5
        with pytest.raises((TrialBalanceNotZero, ChainBroken)):
            s.verify()


def test_unknown_format_is_refused(tmp_path):
    path = str(tmp_path / "t.db")
    with SQLiteStore(path):
        pass
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("UPDATE meta SET value = 'pos-ledger-sqlite/9' WHERE key = 'format'")
    db.close()
    with pytest.raises(StoreFormatError, match="unknown ledger format"):
        SQLiteStore(path)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x (y)").connection.commit()
    with pytest.raises(StoreFormatError):
        SQLiteStore(str(other))


def test_merge_index_keeps_every_answer(tmp_path):
    with SQLiteStore(str(tmp_path / "l.db")) as s:
        first = s.post_batch([deposit(f"w{i}", 10 + i) for i in range(20)])
        s.post_batch([deposit(f"w{i}", 1) for i in range(0, 20, 3)])
        cut = first[-1].committed_at
        before = (list(s.user_balances(CUSTOMERS)), list(s.user_balances(CUSTOMERS, cut)), s.totals(CUSTOMERS), s.balance(CUSTOMERS, "Liabilities:w3"))
        assert s.merge_index() == 27
        assert s._db.execute("SELECT count(*) FROM posting_index").fetchone()[0] == 54
        after = (list(s.user_balances(CUSTOMERS)), list(s.user_balances(CUSTOMERS, cut)), s.totals(CUSTOMERS), s.balance(CUSTOMERS, "Liabilities:w3"))
        assert after == before
        assert s.merge_index() == 0
        assert s.verify().entry_count == 27


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE posting_index SET amount = amount + 1 WHERE entry_seq = 2",
        "DELETE FROM posting_index WHERE entry_seq = 2",
        "INSERT INTO posting_index VALUES (1, 1, 2, 9, 5, 0)",
        "UPDATE meta SET value = '99' WHERE key = 'indexed_to'",
    ],
)
def test_a_tampered_index_fails_verify(tmp_path, statement):
    path = str(tmp_path / "t.db")
    with SQLiteStore(path) as s:
        s.merge_entries = 1
        s.post_batch([deposit("w1", 5), deposit("w2", 6), deposit("w3", 7)])
    _tamper(path, statement)
    with SQLiteStore(path) as s, pytest.raises(ChainBroken):
        s.verify()


def test_wal_mode(store):
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_user_balances_streams_a_snapshot(store):
    store.post_batch([deposit(f"w{i:03d}", 10 + i) for i in range(50)])
    stream = store.user_balances(CUSTOMERS)
    first = next(stream)
    store.post(deposit("w000", 1000))  # committed while the stream is open
    rest = list(stream)
    assert first == ("w000", "BTC", 10)
    assert len(rest) == 49


def test_user_balances_frame_and_files(store, tmp_path):
    from ledger.frames import user_balances_frame
    from solvency.ledger_files import write_balances  # the file is put in place by the prover side

    store.post_batch([deposit("w2", 5), deposit("w1", 7), deposit("u", 3, "USD")])
    frame = user_balances_frame(store, CUSTOMERS)
    assert list(frame.columns) == ["user_id", "currency", "amount"]
    assert str(frame["amount"].dtype) == "int64"
    assert frame.values.tolist() == [["u", "USD", 3], ["w1", "BTC", 7], ["w2", "BTC", 5]]
    count, totals = write_balances(store.user_balances(CUSTOMERS), str(tmp_path / "b.csv"))
    assert (count, totals) == (3, {"BTC": 12, "USD": 3})
    assert (tmp_path / "b.csv").read_text() == "user_id,currency,amount\nu,USD,3\nw1,BTC,7\nw2,BTC,5\n"
    with pytest.raises(ValueError):
        write_balances(iter([]), str(tmp_path / "b.txt"))
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".balances-")) == []


def test_index_and_tail_are_merged_in_user_order(tmp_path):
    with SQLiteStore(str(tmp_path / "l.db")) as s:
        s.merge_entries = 10**9
        s.post_batch([deposit("w1", 10), deposit("w3", 30), deposit("w5", 50), deposit("w7", 70, "USD")])
        s.merge_index()
        s.post_batch([deposit("w0", 1), deposit("w1", 1), deposit("w2", 1), deposit("w5", 1), deposit("w7", 1), deposit("w9", 1)])
        s.post(JournalEntry((Posting("Liabilities:w3", "BTC", "debit", 30), Posting(LN, "BTC", "credit", 30))))
        assert list(s.user_balances(CUSTOMERS)) == [
            ("w0", "BTC", 1), ("w1", "BTC", 11), ("w2", "BTC", 1), ("w5", "BTC", 51),
            ("w7", "BTC", 1), ("w7", "USD", 70), ("w9", "BTC", 1),
        ]
        assert s.totals(CUSTOMERS) == {"BTC": 66, "USD": 70}
        assert s.balance(CUSTOMERS, "Liabilities:w3") == {"BTC": 0}


def test_accounts_opened_for_another_legal_entity(store):
    from ledger.accounts import AccountInfo
    from ledger.definitions import BalanceDefinition, Selector
    from ledger.errors import LedgerError

    store.open_accounts([AccountInfo("Liabilities:uk1", "bank-uk"), AccountInfo("Assets:Reserve:UK", "bank-uk")])
    store.open_accounts([AccountInfo("Liabilities:uk1", "bank-uk")])  # idempotent
    with pytest.raises(LedgerError, match="already open"):
        store.open_accounts([AccountInfo("Liabilities:uk2", "bank-uk"), AccountInfo("Liabilities:uk1", "bank")])
    with pytest.raises(LedgerError):
        store.open_accounts([AccountInfo("Nope:x", "bank-uk")])
    assert "Liabilities:uk2" not in {a.path for a in store.accounts()}
    store.post_batch([deposit("uk1", 5), deposit("w1", 7)])
    uk = BalanceDefinition("uk", "committed", (Selector(path="Liabilities:*", legal_entity="bank-uk"),))
    assert list(store.user_balances(uk)) == [("uk1", "BTC", 5)]
    assert {a.path: a.legal_entity for a in store.accounts()}["Liabilities:w1"] == "bank"
