"""A Galoy database as it is, read with the shipped defaults and no hand edits (issue 14).

Every expected figure below is worked out by hand from the fixture's story
(tests/mongo/fixtures/make_galoy_fixture.py, entries 1-21) and Galoy's rules (docs/MONGO.md):
a wallet's balance is medici's ``credit - debit`` of its legs; the bank's own wallets are those of
Galoy's bankowner, dealer and funder accounts.

Final wallet balances (sats / cents):
  alice_btc  150000 - 40000 - 10000 (-12010 + 12010 void) + 5000 - 3000 + 5000 - 2000 - 20050 + 30 = 84980
  bob_btc    498000 + 10000 - 30000 - 60500 - 5000 + 3000                                       = 415500
  alice_usd  2400 + 250 - 300 + 120                                                             = 2470
  carol_usd  1500 - 600                                                                         = 900
  dealer_btc 40000 + 25000 - 10000 + 4167 - 5000 + 2000                                         = 56167
  dealer_usd -2400 - 1500 + 600 - 250 + 300 - 120                                               = -3370
  bankowner  2000 (+10 - 10 void) - 300 + 500 + 77 + 50 - 30 - 1500 - 300 - 111                 = 386
  funder     -4167
Assets (BTC): lightning 8277, on-chain 489889, cold 49700, escrow 5000 = 552866
  = customers 500480 + dealer 56167 + owner 386 + funder -4167.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import ledger.mongo
from ledger.definitions import load_definitions
from ledger.errors import FractionalAmounts
from ledger.mongo.store import MongoStore
from solvency.books.pnl import GALOY_TYPES, TYPE_LINES, lines_for, profit_and_loss
from solvency.books.sheet import balance_sheet
from solvency.tree.ledger_cut import LedgerCutError, read_liabilities
from tests.mongo.conftest import add_legacy_fractional
from tests.mongo.medici_reference import galoy_wallet_balance

URI = "mongodb://galoy-db/galoy"
AS_OF = "2024-05-06T00:00:00Z"
END_US = 1_714_953_600_000_000  # 2024-05-06T00:00:00Z
CUSTOMERS = {"alice_btc": ("BTC", 84980), "bob_btc": ("BTC", 415500), "alice_usd": ("USD", 2470), "carol_usd": ("USD", 900)}
BANK = {"bankowner": "bankowner", "dealer_btc": "dealer", "dealer_usd": "dealer", "funder": "funder"}


@pytest.fixture
def wallets(galoy_docs):
    return galoy_docs["wallets"]


@pytest.fixture
def via_uri(galoy_db, monkeypatch):
    monkeypatch.setattr(ledger.mongo, "connect", lambda uri: galoy_db.client)
    return galoy_db


def test_roles_are_read_from_galoys_collections(galoy_store, wallets):
    roles = galoy_store.bank_roles()
    assert dict(roles.wallets) == {f"Liabilities:{wallets[n]}": role for n, role in BANK.items()}
    assert "accounts/wallets collections" in roles.source
    lines = roles.describe()
    assert any(wallets["dealer_usd"] in line and "dealer" in line for line in lines)


def test_customer_liabilities_are_the_non_bank_wallets_with_no_edits(galoy_store, galoy_docs, wallets):
    definition = galoy_store.bind_definitions(load_definitions())["customer-liabilities"]
    rows = {(u, c): a for u, c, a in galoy_store.user_balances(definition, AS_OF)}
    assert rows == {(wallets[n], c): a for n, (c, a) in CUSTOMERS.items()}
    legs = galoy_docs["medici_transactions"]
    # The same figures by an independent re-implementation of medici's balance().
    assert all(galoy_wallet_balance(legs, wallets[n]) == a for n, (_, a) in CUSTOMERS.items())
    assert galoy_store.totals(definition, AS_OF) == {"BTC": 500480, "USD": 3370}
    assert not {u for u, _ in rows} & {wallets[n] for n in BANK}


def test_the_role_resolution_is_in_the_content_hash(galoy_db, wallets):
    definitions = load_definitions()
    before = MongoStore(galoy_db).bind_definitions(definitions)["customer-liabilities"]
    assert b'"roles":[' in before.canonical() and wallets["dealer_usd"].encode() in before.canonical()
    # Carol's account becomes a second... no: her wallet is moved to the dealer's account.
    galoy_db["wallets"].update_one({"id": wallets["carol_usd"]}, {"$set": {"accountId": "acc00005-0000-4000-8000-000000000005"}})
    after = MongoStore(galoy_db).bind_definitions(definitions)["customer-liabilities"]
    assert after.content_hash != before.content_hash
    assert wallets["carol_usd"] not in {u for u, _, _ in MongoStore(galoy_db).user_balances(after)}


def test_an_override_file_replaces_the_collections(galoy_db, wallets, tmp_path):
    override = tmp_path / "roles.toml"
    override.write_text('format = "pos-ledger-roles/1"\n[roles]\n'
                        f'bankowner = ["Liabilities:{wallets["bankowner"]}"]\n'
                        f'dealer = ["Liabilities:{wallets["dealer_btc"]}", "Liabilities:{wallets["dealer_usd"]}"]\n'
                        f'funder = ["Liabilities:{wallets["funder"]}", "Liabilities:{wallets["carol_usd"]}"]\n')
    store = MongoStore(galoy_db)
    store.set_read_options(roles=str(override))
    definition = store.bind_definitions(load_definitions())["customer-liabilities"]
    assert "override file" in definition.roles.source
    assert store.totals(definition) == {"BTC": 500480, "USD": 2470}


def test_two_accounts_with_one_bank_role_are_refused(galoy_db):
    galoy_db["accounts"].insert_one({"id": "acc00099-0000-4000-8000-000000000099", "role": "dealer", "defaultWalletId": "x"})
    with pytest.raises(Exception, match="2 accounts have role 'dealer'"):
        MongoStore(galoy_db).bank_roles()


def test_tree_reading_succeeds_although_the_dealer_is_negative(via_uri, wallets):
    liabilities = read_liabilities(URI, "customer-liabilities", AS_OF, ("BTC", "USD"))
    assert sorted(liabilities.balances.user_ids) == sorted(wallets[n] for n in CUSTOMERS)
    assert any("dealer" in note and wallets["dealer_usd"] in note for note in liabilities.notes)
    assert liabilities.balance_definition.content_hash.hex() == liabilities.definition.content_hash


def test_balance_sheet_puts_bank_wallets_under_equity_and_dealer(galoy_store):
    sheet = balance_sheet(galoy_store, load_definitions(), AS_OF)
    assert sheet.balanced
    assert sheet.line("customer-liabilities").amounts == (("BTC", 500480), ("USD", 3370))
    assert sheet.line("dealer-position").amounts == (("BTC", 56167), ("USD", -3370))
    assert sheet.line("bankowner-equity").amounts == (("BTC", 386),)
    assert sheet.line("funder-equity").amounts == (("BTC", -4167),)
    assert sheet.line("other liabilities") is None
    assert sheet.total("assets", "BTC") == 552866


def test_pnl_lines_by_galoys_entry_types_and_the_void_nets_to_zero(galoy_store):
    pnl = profit_and_loss(galoy_store, load_definitions(), None, END_US)
    revenue = {name: dict(a) for name, a in pnl.revenue}
    expenses = {name: dict(a) for name, a in pnl.expenses}
    # bank fees: deposit 2000 + on-chain send 500 + Lightning fee 50; the voided 10 nets out
    # (it would show as 2560 revenue and 10 expense if the void were not a reversal).
    assert revenue == {"bank fees": {"BTC": 2550}, "routing fees": {"BTC": 77}}
    assert expenses == {
        "cold-storage rebalancing fees": {"BTC": 300 + 300},
        "intraledger payments by the bank": {"BTC": 4167},
        "fee reimbursements": {"BTC": 30},
        "channel open/close fees": {"BTC": 1500},
        "reconciliation losses": {"BTC": 111},
    }
    assert pnl.net("BTC") == 386 - 4167 and pnl.reconciled("BTC")


def test_every_galoy_entry_type_is_in_the_fixture_and_has_a_documented_line(galoy_store):
    found = {dict(p.entry.metadata).get("type") for p in galoy_store.entries()}
    assert set(GALOY_TYPES) <= found
    assert all(kind in TYPE_LINES for kind in GALOY_TYPES)
    docs = (Path(__file__).parents[2] / "docs" / "MONGO.md").read_text()
    for kind in GALOY_TYPES:
        revenue, expense = TYPE_LINES[kind]
        assert f"| `{kind}` | {revenue} | {expense} |" in docs, kind
    assert lines_for("bridge_swap") == ("unknown type 'bridge_swap' (revenue)", "unknown type 'bridge_swap' (expenses)")


def test_an_unknown_type_is_listed_by_name(galoy_db):
    galoy_db["medici_transactions"].update_many({"type": "reconciliation"}, {"$set": {"type": "bridge_swap"}})
    pnl = profit_and_loss(MongoStore(galoy_db), load_definitions(), None, END_US)
    assert dict(dict(pnl.expenses)["unknown type 'bridge_swap' (expenses)"]) == {"BTC": 111}


def test_an_unbalanced_journal_is_named_and_refused_unless_waived(galoy_db, via_uri):
    assert MongoStore(galoy_db).unbalanced_journals() == []
    leg = galoy_db["medici_transactions"].find_one({"type": "escrow", "debit": {"$gt": 0}})
    galoy_db["medici_transactions"].delete_one({"_id": leg["_id"]})
    assert MongoStore(galoy_db).unbalanced_journals() == [(str(leg["_journal"]), "BTC", "5000.0")]
    with pytest.raises(LedgerCutError, match=f"journal {leg['_journal']} BTC"):
        read_liabilities(URI, "customer-liabilities", AS_OF, ("BTC", "USD"))
    waived = read_liabilities(URI + "?journal_check=waived", "customer-liabilities", AS_OF, ("BTC", "USD"))
    assert b'"policies":{"journal_check":"waived"}' in waived.definition.canonical()
    assert any(str(leg["_journal"]) in note for note in waived.notes)


def test_fractional_legs_are_refused_by_default_naming_every_document(galoy_db, galoy_docs, via_uri):
    add_legacy_fractional(galoy_db, galoy_docs)
    fractional = [leg for leg in galoy_docs["legacy_fractional"]["medici_transactions"] if leg["credit"] % 1]
    with pytest.raises(FractionalAmounts) as info:
        list(MongoStore(galoy_db).user_balances(load_definitions()["customer-liabilities"]))
    # Every fractional leg of the book is named, the bank owner's too, with its exact value.
    assert {leg for leg, _, _ in info.value.legs} == {str(leg["_id"]) for leg in fractional}
    assert "= 3.702" in str(info.value) and "= 1230.298" in str(info.value)
    with pytest.raises(LedgerCutError, match="not a whole number"):
        read_liabilities(URI, "customer-liabilities", AS_OF, ("BTC", "USD"))


def test_the_floor_policy_is_galoys_rule_reported_and_committed(galoy_db, galoy_docs, via_uri, wallets):
    add_legacy_fractional(galoy_db, galoy_docs)
    strict = MongoStore(galoy_db).bind_definitions(load_definitions())["customer-liabilities"]
    liabilities = read_liabilities(URI + "?fractional=floor", "customer-liabilities", AS_OF, ("BTC", "USD"))
    # bob: 415500 + 1230.298 floored; the bank owner's 3.702 is not a customer's.
    store = MongoStore(galoy_db)
    store.set_read_options(fractional="floor")
    floored = store.bind_definitions(load_definitions())["customer-liabilities"]
    rows = {(u, c): a for u, c, a in store.user_balances(floored)}
    assert rows[(wallets["bob_btc"], "BTC")] == 416730
    assert store.fractional_adjustments() == [(f"Liabilities:{wallets['bob_btc']}", "BTC", "416730.298", 416730)]
    assert b'"policies":{"fractional":"floor"}' in floored.canonical()
    assert floored.content_hash != strict.content_hash == MongoStore(galoy_db).bind_definitions(load_definitions())["customer-liabilities"].content_hash
    assert liabilities.definition.content_hash == floored.content_hash
    assert any("416730.298 -> 416730" in note for note in liabilities.notes)
    assert store.unbalanced_journals() == []  # exact: 3.702 + 1230.298 = 1234


def test_the_fixture_generator_is_reproducible():
    path = Path(__file__).parent / "fixtures" / "make_galoy_fixture.py"
    spec = importlib.util.spec_from_file_location("make_galoy_fixture", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.legacy_fractional().transactions[1]["credit"] == 3.702


def test_publish_from_the_galoy_database_and_every_verifier_passes(via_uri, tmp_path, wallets):
    """`solvency publish` with the shipped defaults straight from the Galoy database, then the
    verifiers: the history, every user's bundle, and the auditor's full check list with the
    ledger (its definition hash, digest, sums and leaves against the same database)."""
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "publish"))
    from publish_helpers import SIGNER, make_snapshot, now_as_of

    from solvency.auditor.checks import assert_passed, audit_epoch
    from solvency.keys import generate_key, public_key_of
    from solvency.publish.pipeline import prepare, seal, sign_with
    from verifier.history import verify_history

    key = generate_key(tmp_path / "bank.key")
    pubdir = tmp_path / "pub"
    prepared = prepare(pubdir, db=URI, definition="customer-liabilities", as_of=now_as_of(), epoch="g1",
                       snapshots=make_snapshot(tmp_path / "snap"), private_key=key)
    sign_with(prepared, SIGNER, key)
    sealed = seal(pubdir, "g1", key)
    assert sealed.epoch.sequence == 0
    verify_history(pubdir, public_key_of(key))
    published = (pubdir / "g1" / "public" / "definition.json").read_bytes()
    assert wallets["dealer_usd"].encode() in published  # the bank's own wallets are named publicly
    table, _ = audit_epoch(pubdir, public_key_of(key), "g1", ledger=URI, sample=4, seed=1)
    assert_passed(table)
