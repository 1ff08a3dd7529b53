"""Selecting the MongoDB store by URI through `ledger.open.open_store`."""

from __future__ import annotations

import mongomock
import pytest

import ledger.mongo
from ledger.mongo import split_uri
from ledger.mongo.store import MongoStore
from ledger.open import open_store


@pytest.mark.parametrize(
    "uri,expected",
    [
        ("mongodb://h/db", ("mongodb://h/db", "db", None)),
        ("mongodb://u:p@h1,h2/db?replicaSet=rs0&book=B2", ("mongodb://u:p@h1,h2/db?replicaSet=rs0", "db", "B2")),
        ("mongodb+srv://cluster.example/galoy?book=MainBook", ("mongodb+srv://cluster.example/galoy", "galoy", "MainBook")),
    ],
)
def test_split_uri(uri, expected):
    assert split_uri(uri) == expected


@pytest.mark.parametrize("uri", ["mongodb://h", "mongodb://h/", "mongodb://h/a/b", "mongodb://h/db?book=", "mongodb://h/db?book=a&book=b", "sqlite:///x"])
def test_split_uri_refuses(uri):
    with pytest.raises(ValueError):
        split_uri(uri)


def test_open_store_selects_mongo_by_uri(monkeypatch):
    client = mongomock.MongoClient(tz_aware=True)
    monkeypatch.setattr(ledger.mongo, "connect", lambda uri: client)
    store = open_store("mongodb://bank.example/ledger?book=Bank")
    assert isinstance(store, MongoStore) and store.owned and store.book == "Bank"
    assert client["ledger"]["solvency_meta"].find_one({"_id": "store"})["format"] == "pos-ledger-mongo/1"
    # Reopening finds the marker and keeps the book it was created with.
    again = open_store("mongodb://bank.example/ledger")
    assert again.owned and again.book == "Bank"


def test_open_store_on_a_medici_database_is_read_only(monkeypatch, galoy_db):
    monkeypatch.setattr(ledger.mongo, "connect", lambda uri: galoy_db.client)
    store = open_store("mongodb://galoy.example/galoy")
    assert not store.owned and store.book == "MainBook"
    assert galoy_db["solvency_meta"].count_documents({}) == 0  # reading never writes


def test_importing_ledger_mongo_does_not_import_pymongo():
    import subprocess
    import sys

    code = "import sys, ledger.mongo; print('pymongo' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_unreachable_server_is_a_ledger_error_without_credentials():
    from ledger.errors import MongoUnavailable

    with pytest.raises(MongoUnavailable) as info:
        open_store("mongodb://user:s3cret@127.0.0.1:9/db?serverSelectionTimeoutMS=300")
    assert "s3cret" not in str(info.value) and "'db'" in str(info.value)
