"""The ledger's store contract (tests/ledger/store_contract.py) on the MongoDB store.

`TestMongomockStoreContract` runs in every CI run (mongomock: no sessions, writers serialised by a
lock). `TestRealMongoStoreContract` runs the same tests against a real server (transactions)
whenever SOLVENCY_TEST_MONGO_URI is set, and is skipped with that reason otherwise.
"""

from __future__ import annotations

import os
import sys

import mongomock
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "ledger"))
from store_contract import StoreContract  # noqa: E402

from ledger.mongo.store import MongoStore  # noqa: E402


class TestMongomockStoreContract(StoreContract):
    @pytest.fixture
    def store(self):
        store = MongoStore(mongomock.MongoClient(tz_aware=True)["ledger"])
        assert store.owned and not store._transactions
        yield store
        store.close()


@pytest.mark.mongo
class TestRealMongoStoreContract(StoreContract):
    @pytest.fixture
    def store(self, real_mongo_database):
        store = MongoStore(real_mongo_database)
        assert store.owned and store._transactions
        yield store
