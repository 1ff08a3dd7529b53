"""A toolkit-owned MongoDB ledger: medici-readable documents, tamper evidence, serialised writers."""

from __future__ import annotations

import threading

import mongomock
import pytest

from ledger.definitions import BalanceDefinition, Selector
from ledger.entries import JournalEntry, Posting, transfer
from ledger.errors import ChainBroken
from ledger.mongo import layout
from ledger.mongo.store import MongoStore
from tests.mongo.medici_reference import medici_balance

EVERYTHING = BalanceDefinition("everything", "committed", (Selector(path="**"),))


@pytest.fixture
def owned():
    store = MongoStore(mongomock.MongoClient(tz_aware=True)["bank"])
    store.post_batch(
        [
            transfer("Assets:Reserve:Lightning", "Liabilities:w1", "BTC", 150_000, metadata=(("type", "invoice"),)),
            JournalEntry(
                (
                    Posting("Liabilities:w1", "BTC", "debit", 40_000),
                    Posting("Liabilities:dealer", "BTC", "credit", 40_000),
                    Posting("Liabilities:dealer", "USD", "debit", 2_400),
                    Posting("Liabilities:u1", "USD", "credit", 2_400),
                ),
                "conversion",
            ),
        ]
    )
    return store


def test_documents_are_medici_shaped_and_medici_computes_the_same_balances(owned):
    legs = list(owned._db[layout.TRANSACTIONS].find({}))
    journals = list(owned._db[layout.JOURNALS].find({}))
    assert len(legs) == 6 and len(journals) == 2
    for leg in legs:
        assert {"_journal", "accounts", "account_path", "book", "credit", "debit", "datetime", "timestamp", "memo", "currency", "pending"} <= set(leg)
        assert leg["account_path"] == leg["accounts"].split(":")
    assert [leg["_id"] for leg in legs if leg["_journal"] == journals[0]["_id"]] == journals[0]["_transactions"]
    assert legs[0]["type"] == "invoice"
    for account in ("Liabilities:w1", "Liabilities:u1", "Liabilities:dealer", "Assets:Reserve:Lightning"):
        ours = owned.balance(EVERYTHING, account)
        sign = -1 if account.startswith("Assets") else 1
        for code, amount in ours.items():
            medici, _ = medici_balance(legs, book="MainBook", account=account, currency=code)
            assert amount == sign * int(medici)
    # ObjectId order is commit order.
    ids = [leg["_id"] for leg in sorted(legs, key=lambda d: (d["solvency"]["seq"], d["_id"]))]
    assert ids == sorted(ids)


@pytest.mark.parametrize("change", [{"credit": 150_001}, {"accounts": "Liabilities:w9"}, {"currency": "USD"}])
def test_editing_a_leg_breaks_the_chain(owned, change):
    legs = owned._db[layout.TRANSACTIONS]
    first = legs.find_one({"credit": {"$gt": 0}}, sort=[("_id", 1)])
    legs.update_one({"_id": first["_id"]}, {"$set": change})
    with pytest.raises(ChainBroken, match="content hash"):
        owned.verify()


def test_deleting_a_journal_breaks_the_chain(owned):
    owned._db[layout.JOURNALS].delete_one({"solvency.seq": 1})
    with pytest.raises(ChainBroken):
        owned.verify()


def test_threads_posting_one_key_record_it_once():
    store = MongoStore(mongomock.MongoClient(tz_aware=True)["bank"])
    results, errors = [], []

    def writer() -> None:
        try:
            for i in range(20):
                results.append(store.post(transfer("Assets:OnChain", "Liabilities:w", "BTC", 5, idempotency_key=f"k{i}")))
        except Exception as exc:  # pragma: no cover - reported by the assertion
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({p.entry_id for p in results}) == 20
    assert store.verify().entry_count == 20


def test_failed_write_leaves_nothing_without_transactions(owned, monkeypatch):
    """mongomock has no transactions: a failure after the legs were inserted removes them again."""
    before = owned.digest()
    legs_before = owned._db[layout.TRANSACTIONS].count_documents({})

    def broken_insert(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(owned._journals, "insert_many", broken_insert)
    with pytest.raises(RuntimeError):
        owned.post(transfer("Assets:OnChain", "Liabilities:w", "BTC", 5))
    assert owned._db[layout.TRANSACTIONS].count_documents({}) == legs_before
    assert owned.digest() == before
