"""A Galoy-shaped medici database: our balances equal what medici computes by its own rules.

The reference (`medici_reference`) re-implements medici's ``Book.balance`` over the raw documents
and shares no code with ``ledger.mongo``.
"""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bson import ObjectId

from ledger.clock import to_us
from ledger.entries import transfer
from ledger.errors import MediciDocumentError, ReadOnlyLedger
from ledger.mongo.store import MongoStore
from tests.mongo.medici_reference import galoy_wallet_balance, medici_balance

ASSET_ACCOUNTS = ("Assets:Reserve:Lightning", "Assets:OnChain", "Assets:Reserve:Bitcoind", "Assets:Reserve:Escrow")
BANK_WALLETS = ("bankowner", "dealer_btc", "dealer_usd", "funder")
FIXTURES = Path(__file__).parent / "fixtures"
WALLET_CURRENCY = {
    "alice_btc": "BTC", "alice_usd": "USD", "bob_btc": "BTC", "carol_usd": "USD",
    "bankowner": "BTC", "dealer_btc": "BTC", "dealer_usd": "USD", "funder": "BTC",
}


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2024, 5, day, hour, minute, second, tzinfo=UTC)


def exact(value: float) -> int:
    assert value == int(value), value
    return int(value)


def test_fixture_file_is_what_the_generator_writes():
    spec = importlib.util.spec_from_file_location("make_galoy_fixture", FIXTURES / "make_galoy_fixture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (FIXTURES / "galoy_medici.json").read_text() == module.render()


def test_fixture_has_the_shapes_the_issue_asks_for(galoy_docs):
    legs = galoy_docs["medici_transactions"]
    wallets = galoy_docs["wallets"]
    assert {leg["currency"] for leg in legs} == {"BTC", "USD"}
    assert all(isinstance(leg["credit"], float) and isinstance(leg["debit"], float) for leg in legs)
    voided = [leg for leg in legs if leg.get("voided")]
    reversal = [leg for leg in legs if "_original_journal" in leg]
    assert voided and len(voided) == len(reversal)
    assert {leg["_journal"] for leg in voided} == {leg["_original_journal"] for leg in reversal}
    assert any(leg["pending"] and not leg.get("voided") for leg in legs)
    dealer = {f"Liabilities:{wallets['dealer_btc']}", f"Liabilities:{wallets['dealer_usd']}"}
    assert any(leg["accounts"] in dealer for leg in legs)
    assert any(leg["datetime"] < datetime.fromtimestamp(leg["_id"].generation_time.timestamp() - 3600, tz=UTC) for leg in legs)


def test_opened_read_only_and_refuses_posting(galoy_store):
    assert not galoy_store.owned
    with pytest.raises(ReadOnlyLedger, match="read-only"):
        galoy_store.post(transfer("Assets:Reserve:Lightning", "Liabilities:x", "BTC", 1))
    assert galoy_store.digest().entry_count == 23


def test_every_wallet_balance_equals_galoys_medici_balance(galoy_store, galoy_docs, galoy_definitions):
    legs = galoy_docs["medici_transactions"]
    ours = {(user, code): amount for user, code, amount in galoy_store.user_balances(galoy_definitions["all-wallets"])}
    expected = {}
    for name, wallet in galoy_docs["wallets"].items():
        value = exact(galoy_wallet_balance(legs, wallet))
        if value:
            expected[(wallet, WALLET_CURRENCY[name])] = value
    assert ours == expected
    # Spot values worked out by hand from the fixture's story.
    wallets = galoy_docs["wallets"]
    assert ours[(wallets["alice_btc"], "BTC")] == 150000 - 40000 - 10000 + 5000 - 3000 + 5000 - 2000 - 20050 + 30  # the void nets out
    assert ours[(wallets["bob_btc"], "BTC")] == 498000 + 10000 - 30000 - 60500 - 5000 + 3000  # pending sends count
    assert ours[(wallets["dealer_usd"], "USD")] == -2400 - 1500 + 600 - 250 + 300 - 120


def test_customer_liabilities_exclude_the_banks_own_wallets(galoy_store, galoy_docs, galoy_definitions):
    wallets = galoy_docs["wallets"]
    rows = list(galoy_store.user_balances(galoy_definitions["customer-liabilities"]))
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    assert {r[0] for r in rows} == {wallets[n] for n in ("alice_btc", "alice_usd", "bob_btc", "carol_usd")}
    assert not {r[0] for r in rows} & {wallets[n] for n in BANK_WALLETS}


def test_asset_accounts_equal_medici_with_the_normal_side(galoy_store, galoy_docs, galoy_definitions):
    legs = galoy_docs["medici_transactions"]
    reserves = galoy_definitions["bitcoin-reserves"]
    total = 0
    for account in ASSET_ACCOUNTS:
        medici, _ = medici_balance(legs, account=account)
        ours = galoy_store.balance(reserves, account)
        assert ours == {"BTC": -exact(medici)}  # medici reports credit - debit; assets are debit-normal
        total += ours["BTC"]
    assert galoy_store.totals(reserves) == {"BTC": total}
    liabilities = galoy_store.totals(galoy_definitions["all-wallets"])
    assert liabilities["BTC"] == total == exact(medici_balance(legs, account="Liabilities", currency="BTC")[0])
    assert galoy_store.trial_balance() == {"BTC": 0, "USD": 0}


@pytest.mark.parametrize(
    "cut",
    [at(1, 9), at(1, 10), at(1, 12, 30), at(1, 15, 2), at(1, 15, 10), at(1, 23, 59), at(2, 12), at(3, 8, 30), at(4, 0)],
)
def test_reporting_axis_as_of_equals_medici_end_date(galoy_store, galoy_docs, galoy_definitions, cut):
    legs = galoy_docs["medici_transactions"]
    ours = {(u, c): a for u, c, a in galoy_store.user_balances(galoy_definitions["all-wallets-reporting"], as_of=cut)}
    expected = {}
    for name, wallet in galoy_docs["wallets"].items():
        value = exact(galoy_wallet_balance(legs, wallet, end_date=cut))
        if value:
            expected[(wallet, WALLET_CURRENCY[name])] = value
    assert ours == expected


def test_void_between_original_and_reversal(galoy_store, galoy_docs, galoy_definitions):
    alice = galoy_docs["wallets"]["alice_btc"]
    definition = galoy_definitions["customer-liabilities-reporting"]
    before = galoy_store.balance(definition, f"Liabilities:{alice}", as_of=at(1, 14, 30))["BTC"]
    during = galoy_store.balance(definition, f"Liabilities:{alice}", as_of=at(1, 15, 2))["BTC"]
    after = galoy_store.balance(definition, f"Liabilities:{alice}", as_of=at(1, 15, 10))["BTC"]
    assert during == before - 12010  # the payment as initiated
    assert after == before  # original (voided: true) and reversal both count and cancel


def _committed_reference(legs, wallet, cut):
    """medici's balance over the legs whose server ObjectId second started at or before `cut`."""
    subset = [leg for leg in legs if leg["_id"].generation_time <= cut]
    return exact(galoy_wallet_balance(subset, wallet))


@pytest.mark.parametrize("cut", [at(1, 10), at(1, 23, 59, 59), at(2, 23), at(3, 8, 30), at(5, 0)])
def test_committed_axis_as_of_uses_server_object_ids(galoy_store, galoy_docs, galoy_definitions, cut):
    legs = galoy_docs["medici_transactions"]
    ours = {(u, c): a for u, c, a in galoy_store.user_balances(galoy_definitions["all-wallets"], as_of=cut)}
    expected = {}
    for name, wallet in galoy_docs["wallets"].items():
        value = _committed_reference(legs, wallet, cut)
        if value:
            expected[(wallet, WALLET_CURRENCY[name])] = value
    assert ours == expected


def test_backdated_entry_moves_the_reporting_axis_only(galoy_store, galoy_docs, galoy_definitions):
    bankowner = f"Liabilities:{galoy_docs['wallets']['bankowner']}"
    cut = at(2, 0)
    committed = galoy_store.balance(galoy_definitions["all-wallets"], bankowner, as_of=cut)["BTC"]
    reporting = galoy_store.balance(galoy_definitions["all-wallets-reporting"], bankowner, as_of=cut)["BTC"]
    assert reporting - committed == 77  # the routing fee dated day 1, written on day 3


def test_committed_cut_off_is_reproducible_after_later_writes(galoy_db, galoy_definitions):
    store = MongoStore(galoy_db)
    definition = galoy_definitions["customer-liabilities"]
    cut = at(2, 23)
    before = list(store.user_balances(definition, as_of=cut))
    late = {
        "_id": ObjectId.from_datetime(at(6, 12)), "_journal": ObjectId.from_datetime(at(6, 12)),
        "accounts": "Liabilities:0b6b8d4e-3c1f-4d7a-9a55-5f3f6c1e2a01", "account_path": ["Liabilities", "0b6b8d4e-3c1f-4d7a-9a55-5f3f6c1e2a01"],
        "book": "MainBook", "credit": 5.0, "debit": 0.0, "currency": "BTC", "datetime": at(1, 0), "timestamp": at(6, 12),
        "memo": "backdated", "pending": False, "type": "reconciliation",
    }
    galoy_db["medici_transactions"].insert_one(late)
    assert list(store.user_balances(definition, as_of=cut)) == before
    assert list(store.user_balances(galoy_definitions["customer-liabilities-reporting"], as_of=cut)) != before


def test_entries_are_the_journals_in_server_order_and_verify(galoy_store, galoy_docs):
    posted = list(galoy_store.entries())
    assert [p.seq for p in posted] == list(range(1, 24))
    assert [p.committed_at for p in posted] == sorted(p.committed_at for p in posted)
    journals = [dict(p.entry.metadata)["medici_journal"] for p in posted]
    assert journals == [str(j["_id"]) for j in galoy_docs["medici_journals"]]
    reversal = next(p for p in posted if "medici_original_journal" in dict(p.entry.metadata))
    assert reversal.entry.memo == "Payment canceled"
    assert sum(len(p.entry.postings) for p in posted) == len(galoy_docs["medici_transactions"])
    assert galoy_store.verify() == galoy_store.digest()
    assert list(galoy_store.entries(after_seq=12)) == posted[12:]
    assert galoy_store.get_entry(posted[3].entry_id) == posted[3]


def test_digest_ignores_galoys_in_place_updates_but_not_tampering(galoy_db):
    store = MongoStore(galoy_db)
    original = store.digest()
    legs = galoy_db["medici_transactions"]
    # Galoy settles a pending send in place, and updates pubkeys by hash: not part of the chain.
    legs.update_many({"pending": True}, {"$set": {"pending": False}})
    legs.update_many({"type": "payment"}, {"$set": {"pubkey": "03" + "cd" * 32}})
    assert store.digest() == original
    # Changing an amount, an account or a date is tampering.
    for change in ({"credit": 150001.0}, {"accounts": "Liabilities:someone-else"}, {"currency": "USD"}):
        one = legs.find_one({"credit": {"$gt": 0}}, sort=[("_id", 1)])
        legs.update_one({"_id": one["_id"]}, {"$set": change})
        assert store.digest() != original
        legs.replace_one({"_id": one["_id"]}, one)
        assert store.digest() == original
    # Re-dating a whole journal changes the chain; re-dating one leg breaks medici's invariant.
    first = legs.find_one(sort=[("_id", 1)])
    legs.update_many({"_journal": first["_journal"]}, {"$set": {"datetime": at(1, 9)}})
    assert store.digest() != original
    legs.update_one({"_id": first["_id"]}, {"$set": {"datetime": first["datetime"]}})
    with pytest.raises(MediciDocumentError, match=f"{first['_journal']}"):
        store.digest()
    legs.update_many({"_journal": first["_journal"]}, {"$set": {"datetime": first["datetime"]}})
    assert store.digest() == original
    # Deleting a leg is tampering too.
    legs.delete_one({"_id": legs.find_one(sort=[("_id", -1)])["_id"]})
    assert store.digest() != original


def test_as_of_values_in_all_accepted_forms_agree(galoy_store, galoy_definitions):
    definition = galoy_definitions["customer-liabilities"]
    cut = at(2, 12)
    forms = [cut, to_us(cut), "2024-05-02T12:00:00Z", "2024-05-02T14:00:00+02:00"]
    results = [list(galoy_store.user_balances(definition, as_of=form)) for form in forms]
    assert all(r == results[0] for r in results)
    assert results[0] != list(galoy_store.user_balances(definition))


def test_digest_as_of_is_the_digest_of_the_derived_prefix(galoy_store):
    from ledger.chain import verify_chain

    entries = list(galoy_store.entries())
    assert galoy_store.digest_as_of(entries[0].committed_at - 1) == verify_chain([])
    for i, entry in enumerate(entries):
        assert galoy_store.digest_as_of(entry.committed_at) == verify_chain(entries[: i + 1])
    assert galoy_store.digest_as_of(None) == galoy_store.digest()
