"""Fixtures for the MongoDB store: mongomock databases, the Galoy fixture, the real-server switch.

The real-server tests run whenever ``SOLVENCY_TEST_MONGO_URI`` is set (e.g.
``mongodb://localhost:27017/solvency_test?replicaSet=rs0``). When it is not set they are skipped
with an explicit reason (shown by ``-ra``), and the terminal summary says so in one line, so a
green run can never be mistaken for a run against a real server.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import mongomock
import pytest
from bson import json_util
from bson.json_util import JSONOptions

from ledger.definitions import load_definitions
from ledger.mongo.store import MongoStore

FIXTURES = Path(__file__).parent / "fixtures"
MONGO_URI_ENV = "SOLVENCY_TEST_MONGO_URI"
REAL_SERVER_SKIP_REASON = (
    f"{MONGO_URI_ENV} is not set: the MongoDB store ran against mongomock only, not a real server "
    f"(set e.g. {MONGO_URI_ENV}=mongodb://localhost:27017/solvency_test?replicaSet=rs0)"
)


def load_galoy_fixture() -> dict:
    text = (FIXTURES / "galoy_medici.json").read_text()
    return json_util.loads(text, json_options=JSONOptions(tz_aware=True))


@pytest.fixture(scope="session")
def galoy_docs() -> dict:
    return load_galoy_fixture()


@pytest.fixture
def galoy_db(galoy_docs):
    """A mongomock database holding the Galoy fixture, as Galoy's production database would."""
    client = mongomock.MongoClient(tz_aware=True)
    db = client["galoy"]
    db["medici_transactions"].insert_many([dict(d) for d in galoy_docs["medici_transactions"]])
    db["medici_journals"].insert_many([dict(d) for d in galoy_docs["medici_journals"]])
    db["accounts"].insert_many([dict(d) for d in galoy_docs["accounts"]])
    db["wallets"].insert_many([dict(d) for d in galoy_docs["wallet_documents"]])
    return db


def add_legacy_fractional(db, galoy_docs) -> None:
    """Add the fixture's legacy journal with fractional amounts (tests of the fractional policy)."""
    legacy = galoy_docs["legacy_fractional"]
    db["medici_transactions"].insert_many([dict(d) for d in legacy["medici_transactions"]])
    db["medici_journals"].insert_many([dict(d) for d in legacy["medici_journals"]])


@pytest.fixture
def galoy_store(galoy_db) -> MongoStore:
    return MongoStore(galoy_db)


@pytest.fixture(scope="session")
def galoy_definitions():
    return load_definitions(str(FIXTURES / "galoy_definitions.toml"))


@pytest.fixture
def mongomock_store() -> MongoStore:
    return MongoStore(mongomock.MongoClient(tz_aware=True)["ledger"])


def real_server_uri() -> str | None:
    return os.environ.get(MONGO_URI_ENV) or None


@pytest.fixture
def real_mongo_database():
    """A fresh, uniquely named database on the real server; dropped afterwards."""
    uri = real_server_uri()
    if uri is None:
        pytest.skip(REAL_SERVER_SKIP_REASON)
    from ledger.mongo import connect, split_uri

    clean, database, _ = split_uri(uri)
    client = connect(clean)
    name = f"{database}_{uuid.uuid4().hex[:12]}"
    try:
        yield client[name]
    finally:
        client.drop_database(name)
        client.close()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    ran_mongo = any("tests/mongo" in str(getattr(r, "nodeid", "")) for key in ("passed", "failed", "skipped") for r in terminalreporter.stats.get(key, []))
    if not ran_mongo:
        return
    if real_server_uri() is None:
        terminalreporter.write_line(f"MongoDB real-server tests SKIPPED: {REAL_SERVER_SKIP_REASON}", yellow=True)
    else:
        terminalreporter.write_line(f"MongoDB real-server tests ran against {MONGO_URI_ENV} (database name randomised per test)")
