"""Bad medici documents are refused with an error naming the document ``_id`` and the field."""

from __future__ import annotations

import math

import mongomock
import pytest
from bson import Decimal128, Int64, ObjectId
from hypothesis import given
from hypothesis import strategies as st

from ledger.entries import transfer
from ledger.errors import LedgerError, MediciDocumentError, ReadOnlyLedger, StoreFormatError
from ledger.mongo import layout
from ledger.mongo.store import MongoStore

BAD_AMOUNTS = [
    (0.5, "not a whole number"),
    (150000.25, "not a whole number"),
    (float("nan"), "not finite"),
    (float("inf"), "not finite"),
    (-1.0, "outside"),
    (float(2**53 + 2), "outside"),
    ("100", "type str"),
    (True, "boolean"),
    (None, "missing or null"),
]


def _first_credit_leg(db):
    return db["medici_transactions"].find_one({"credit": {"$gt": 0}}, sort=[("_id", 1)])


@pytest.mark.parametrize("value,reason", BAD_AMOUNTS)
def test_bad_amount_is_refused_by_every_query_naming_the_id(galoy_db, galoy_definitions, value, reason):
    leg = _first_credit_leg(galoy_db)
    galoy_db["medici_transactions"].update_one({"_id": leg["_id"]}, {"$set": {"credit": value}})
    store = MongoStore(galoy_db)
    queries = [
        lambda: list(store.user_balances(galoy_definitions["all-wallets"])),
        lambda: store.trial_balance(),
        lambda: store.balance(galoy_definitions["all-wallets"], leg["accounts"]),
        lambda: list(store.entries()),
        lambda: store.digest(),
    ]
    for query in queries:
        with pytest.raises(MediciDocumentError) as info:
            query()
        assert str(leg["_id"]) in str(info.value)
        assert info.value.field == "credit"
        assert reason in info.value.reason


def test_missing_debit_field_is_refused(galoy_db, galoy_definitions):
    leg = _first_credit_leg(galoy_db)
    galoy_db["medici_transactions"].update_one({"_id": leg["_id"]}, {"$unset": {"debit": ""}})
    with pytest.raises(MediciDocumentError, match=f"{leg['_id']}: debit: amount is missing"):
        list(MongoStore(galoy_db).user_balances(galoy_definitions["all-wallets"]))


@pytest.mark.parametrize("currency,reason", [("EUR", "unknown currency 'EUR'"), (None, "missing"), (7, "unknown currency 7")])
def test_unknown_or_missing_currency_is_refused(galoy_db, galoy_definitions, currency, reason):
    leg = _first_credit_leg(galoy_db)
    change = {"$unset": {"currency": ""}} if currency is None else {"$set": {"currency": currency}}
    galoy_db["medici_transactions"].update_one({"_id": leg["_id"]}, change)
    store = MongoStore(galoy_db)
    for query in (lambda: list(store.user_balances(galoy_definitions["all-wallets"])), store.trial_balance, lambda: list(store.entries())):
        with pytest.raises(MediciDocumentError) as info:
            query()
        assert str(leg["_id"]) in str(info.value) and info.value.field == "currency" and reason in info.value.reason


def test_integer_typed_amounts_are_accepted(galoy_db, galoy_definitions):
    store = MongoStore(galoy_db)
    before = list(store.user_balances(galoy_definitions["all-wallets"]))
    for leg in galoy_db["medici_transactions"].find({}):
        galoy_db["medici_transactions"].update_one(
            {"_id": leg["_id"]}, {"$set": {"credit": Int64(int(leg["credit"])), "debit": int(leg["debit"])}}
        )
    assert list(store.user_balances(galoy_definitions["all-wallets"])) == before


@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(2**63), 2**63 - 1) | st.booleans() | st.text(max_size=3) | st.none())
def test_python_and_server_side_amount_checks_agree(value):
    """The pipeline's validity expression and `layout.amount_problem` accept exactly the same values."""
    client = mongomock.MongoClient()
    legs = client["t"]["medici_transactions"]
    legs.insert_one({"_id": ObjectId(), "book": "MainBook", "accounts": "Liabilities:w", "currency": "BTC", "credit": value, "debit": 0})
    from ledger.mongo import pipelines

    row = next(legs.aggregate(pipelines.per_currency_pipeline({"book": "MainBook"})))
    server_ok = row["bad"] == 0
    python_ok = layout.amount_problem(value) is None
    assert server_ok == python_ok
    if python_ok:
        assert row["credit"] == int(value)


def test_amount_problem_unit_cases():
    assert layout.amount_problem(3.0) is None
    assert layout.amount_problem(Int64(7)) is None
    assert layout.amount_problem(Decimal128("12")) is None
    assert "whole" in layout.amount_problem(Decimal128("1.5"))
    assert layout.amount_problem(float(2**53 - 1)) is None
    assert "outside" in layout.amount_problem(2**53)
    assert "finite" in layout.amount_problem(-math.inf)


def test_unknown_store_format_is_refused():
    db = mongomock.MongoClient()["x"]
    db[layout.META].insert_one({"_id": layout.STORE_DOC, "format": "pos-ledger-mongo/99", "book": "MainBook"})
    with pytest.raises(StoreFormatError, match="pos-ledger-mongo/99"):
        MongoStore(db)


def test_empty_database_is_not_created_when_create_is_false():
    with pytest.raises(StoreFormatError, match="holds no ledger"):
        MongoStore(mongomock.MongoClient()["empty"], create=False)


def test_journal_legs_with_different_dates_are_refused(galoy_db):
    leg = _first_credit_leg(galoy_db)
    galoy_db["medici_transactions"].update_one({"_id": leg["_id"]}, {"$set": {"datetime": leg["timestamp"].replace(year=2023)}})
    with pytest.raises(MediciDocumentError, match=f"{leg['_id']}: datetime: differs"):
        list(MongoStore(galoy_db).entries())


def test_cut_off_that_splits_a_journal_is_refused(galoy_db, galoy_definitions):
    legs = galoy_db["medici_transactions"]
    journal = legs.find_one(sort=[("_id", 1)])["_journal"]
    pair = list(legs.find({"_journal": journal}).sort("_id", 1))
    # Re-insert the second leg with an ObjectId one second later, as a server could generate it.
    second = pair[1]
    legs.delete_one({"_id": second["_id"]})
    later = ObjectId((int.from_bytes(second["_id"].binary[:4], "big") + 1).to_bytes(4, "big") + second["_id"].binary[4:])
    legs.insert_one({**second, "_id": later})
    store = MongoStore(galoy_db)
    cut = pair[0]["_id"].generation_time
    with pytest.raises(LedgerError, match=f"splits medici journal {journal}"):
        list(store.user_balances(galoy_definitions["all-wallets"], as_of=cut))
    with pytest.raises(LedgerError, match="splits"):
        store.trial_balance(as_of=cut)
    # One second later the journal is whole again.
    assert store.trial_balance(as_of=later.generation_time) == {"BTC": 0, "USD": 0}


def test_reverse_and_post_on_a_medici_database_are_refused(galoy_store):
    first = next(galoy_store.entries())
    with pytest.raises(ReadOnlyLedger):
        galoy_store.reverse(first.entry_id)
    with pytest.raises(ReadOnlyLedger):
        galoy_store.post_batch([transfer("Assets:OnChain", "Liabilities:a", "BTC", 5)])
