"""The MongoDB store against a real server (SOLVENCY_TEST_MONGO_URI).

Run: ``SOLVENCY_TEST_MONGO_URI=mongodb://localhost:27017/solvency_test?replicaSet=rs0 make test``.
Writing needs transactions, so the server must be a replica set (a single-node one is enough) or
a sharded cluster. Every test uses a fresh database named ``<dbname>_<random>`` and drops it.
Without the variable these tests are skipped with that reason (``-ra`` shows it) and the terminal
summary prints a line saying the real-server run did not happen.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from ledger.entries import transfer
from ledger.mongo.store import MongoStore
from solvency.cli.ledger_import import import_ledger
from tests.mongo.medici_reference import galoy_wallet_balance

pytestmark = pytest.mark.mongo


def _seed(database, docs) -> None:
    database["medici_transactions"].insert_many([dict(d) for d in docs["medici_transactions"]])
    database["medici_journals"].insert_many([dict(d) for d in docs["medici_journals"]])


def test_galoy_balances_on_a_real_server_equal_medici(real_mongo_database, galoy_docs, galoy_definitions):
    _seed(real_mongo_database, galoy_docs)
    store = MongoStore(real_mongo_database)
    assert not store.owned
    ours = {(u, c): a for u, c, a in store.user_balances(galoy_definitions["all-wallets"])}
    for wallet in galoy_docs["wallets"].values():
        expected = galoy_wallet_balance(galoy_docs["medici_transactions"], wallet)
        assert sum(a for (u, _), a in ours.items() if u == wallet) == int(expected)
    assert store.trial_balance() == {"BTC": 0, "USD": 0}
    assert store.verify() == store.digest()
    cut = datetime(2024, 5, 2, 0, tzinfo=UTC)
    committed = store.balance(galoy_definitions["all-wallets"], f"Liabilities:{galoy_docs['wallets']['bankowner']}", as_of=cut)
    reporting = store.balance(galoy_definitions["all-wallets-reporting"], f"Liabilities:{galoy_docs['wallets']['bankowner']}", as_of=cut)
    assert reporting["BTC"] - committed["BTC"] == 77


def test_bad_amount_on_a_real_server_names_the_id(real_mongo_database, galoy_docs, galoy_definitions):
    _seed(real_mongo_database, galoy_docs)
    leg = real_mongo_database["medici_transactions"].find_one({"credit": {"$gt": 0}})
    real_mongo_database["medici_transactions"].update_one({"_id": leg["_id"]}, {"$set": {"credit": float("nan")}})
    with pytest.raises(Exception, match=str(leg["_id"])):
        list(MongoStore(real_mongo_database).user_balances(galoy_definitions["all-wallets"]))


def test_owned_store_writes_in_transactions(real_mongo_database):
    store = MongoStore(real_mongo_database)
    assert store.owned and store._transactions
    posted = store.post_batch(
        [transfer("Assets:Reserve:Lightning", "Liabilities:w1", "BTC", 1000), transfer("Liabilities:w1", "Liabilities:w2", "BTC", 400)]
    )
    store.reverse(posted[1].entry_id)
    assert store.verify().entry_count == 3
    names = {index["name"] for index in real_mongo_database["medici_journals"].list_indexes()}
    assert {"solvency_idempotency", "solvency_reverses", "solvency_entry_id"} <= names


def test_concurrent_writers_with_one_idempotency_key_record_it_once(real_mongo_database):
    MongoStore(real_mongo_database)  # initialise
    results, errors = [], []

    def writer(n: int) -> None:
        try:
            store = MongoStore(real_mongo_database)
            for i in range(10):
                results.append(store.post(transfer("Assets:OnChain", "Liabilities:w", "BTC", 5, idempotency_key=f"k{i}")))
                store.post(transfer("Assets:OnChain", f"Liabilities:u{n}", "BTC", 1))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store = MongoStore(real_mongo_database)
    assert len({p.entry_id for p in results}) == 10
    assert store.verify().entry_count == 10 + 30


def test_cli_import_through_a_real_uri(real_mongo_database, galoy_docs, tmp_path):
    _seed(real_mongo_database, galoy_docs)
    from ledger.mongo import split_uri
    from tests.mongo.conftest import real_server_uri

    base, _, query = real_server_uri().partition("?")
    _, database, _ = split_uri(real_server_uri())
    uri = base.removesuffix(database) + real_mongo_database.name + (f"?{query}" if query else "")
    result = CliRunner().invoke(import_ledger, ["--from", uri, "--to", str(tmp_path / "bank.db")])
    assert result.exit_code == 0, result.output
    assert "imported 14 entries (41 postings)" in result.output
