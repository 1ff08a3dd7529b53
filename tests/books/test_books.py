"""The bank's books (solvency/books): balance sheet identity, the owner's P&L by category with
reversals and losses, reconciliation with a node snapshot, layout errors; on Galoy's real
account names (tests/books/galoy_real.toml) and on the packaged layout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.clock import parse_time
from ledger.definitions import load_definitions
from ledger.entries import JournalEntry, Posting
from ledger.sqlite.store import SQLiteStore
from solvency.books.pnl import profit_and_loss
from solvency.books.reconcile import reconcile
from solvency.books.sheet import BooksError, balance_sheet

HERE = Path(__file__).parent
REAL = str(HERE / "galoy_real.toml")
OWNER = "Liabilities:c0ffee00-0000-4000-8000-00000000b0b1"
LND, ONCHAIN, COLD, ESCROW = "Assets:Reserve:Lightning", "Assets:OnChain", "Assets:Reserve:Bitcoind", "Assets:Reserve:Escrow"
ALICE, BOB = "Liabilities:a11ce000-0000-4000-8000-000000000001", "Liabilities:b0b00000-0000-4000-8000-000000000002"
DAY = parse_time("2026-11-20T00:00:00Z")
HOUR = 3_600_000_000


def d(account, amount, currency="BTC"):
    return Posting(account, currency, "debit", amount)


def c(account, amount, currency="BTC"):
    return Posting(account, currency, "credit", amount)


def entry(kind, *postings, at=0, key=None):
    return JournalEntry(tuple(postings), kind or "transfer", (("type", kind),) if kind else (), DAY + at * HOUR, key)


def galoy_period(store):
    """A Galoy-shaped period: fees go to the bank owner's wallet, costs come out of it."""
    posted = store.post_batch([
        entry("capital", d(COLD, 10**8), c(OWNER, 10**8), at=-48),
        entry("onchain_receipt", d(ONCHAIN, 50_000), c(ALICE, 48_000), c(OWNER, 2_000), at=1),  # deposit fee 2000
        entry("invoice", d(LND, 30_000), c(BOB, 30_000), at=2),
        entry("routing_fee", d(LND, 77), c(OWNER, 77), at=3),
        entry("payment", d(ALICE, 10_010), c(LND, 10_000), c(OWNER, 10), at=4),  # fee 10, later refunded
        entry("to_cold_storage", d(COLD, 20_000), d(OWNER, 300), c(ONCHAIN, 20_300), at=5),
        entry("escrow", d(ESCROW, 3_470), c(LND, 3_470), at=6),
        entry("channel_open", d(LND, 500_000), d(OWNER, 2_810), c(ONCHAIN, 502_810), at=7),  # onchain leg comes from the owner
        entry("loop_out", d(OWNER, 1_500), c(LND, 1_500), at=8),
        entry("onchain_payment", d(BOB, 12_000), c(ONCHAIN, 11_500), c(OWNER, 500), at=9),
    ])
    # funding for the channel open: the hot wallet had too little, the owner's capital covers it
    store.post_batch([entry("from_cold_storage", d(ONCHAIN, 600_000), d(OWNER, 400), c(COLD, 600_400), at=1)])
    failed = posted[4]
    store.reverse(failed.entry_id, memo="payment failed", reporting_at=DAY + 10 * HOUR)
    return posted


@pytest.fixture
def galoy(tmp_path):
    store = SQLiteStore(str(tmp_path / "ledger.db"), create=True)
    galoy_period(store)
    yield store
    store.close()


def test_balance_sheet_balances_and_lines_match_the_store(galoy):
    definitions = load_definitions(REAL)
    sheet = balance_sheet(galoy, definitions)
    assert sheet.balanced
    for name in ("lightning-reserve", "onchain-hot", "cold-storage", "channel-escrow", "customer-liabilities", "bankowner-equity"):
        assert dict(sheet.line(name).amounts) == {k: v for k, v in galoy.totals(definitions[name]).items() if v}, name
    assert sheet.total("assets", "BTC") == sum(galoy.totals(definitions["bitcoin-reserves"]).values())
    assert sheet.line("customer-liabilities").amount("BTC") == 48_000 - 10_010 + 10_010 + 30_000 - 12_000


def test_pnl_by_category_with_a_refund(galoy):
    result = profit_and_loss(galoy, load_definitions(REAL), DAY, DAY + 24 * HOUR)
    revenue = {name: dict(v)["BTC"] for name, v in result.revenue}
    expenses = {name: dict(v)["BTC"] for name, v in result.expenses}
    # The refunded payment fee (10) is gone from bank fees; it is not a cost.
    assert revenue == {"bank fees": 2_000 + 500, "routing fees": 77}
    assert expenses == {"cold-storage rebalancing fees": 300 + 400, "channel open/close fees": 2_810, "loop and pool costs": 1_500}
    assert result.net("BTC") == 2_577 - 5_010
    assert result.reconciled("BTC")
    assert result.to_json()["currencies"]["BTC"]["equity_consumed"] == str(5_010 - 2_577)
    # The paid-in capital lies before the period; over the whole ledger it is a capital move,
    # never revenue, although it is credited to the owner's wallet (a Liabilities account).
    whole = profit_and_loss(galoy, load_definitions(REAL), None, DAY + 24 * HOUR)
    assert whole.reconciled("BTC") and dict(whole.capital) == {"BTC": 10**8}
    assert {name: dict(v)["BTC"] for name, v in whole.revenue} == revenue


def test_reconcile_itemises_escrow_drift_and_unrecorded_fees(galoy):
    sheet = balance_sheet(galoy, load_definitions(REAL))
    ledger = {name: sheet.line(name).amount("BTC") for name in ("lightning-reserve", "channel-escrow", "onchain-hot", "cold-storage")}
    drift, fee = 640, 1_234
    node = dict.fromkeys(("channel_local", "channel_escrow", "pending_open_local", "waiting_close", "force_close_limbo",
                          "onchain_confirmed", "cold_storage", "onchain_unconfirmed", "onchain_locked", "channel_unsettled"), 0)
    node["channel_local"] = ledger["lightning-reserve"] - drift
    node["channel_escrow"] = ledger["channel-escrow"] + drift
    node["onchain_confirmed"] = ledger["onchain-hot"] - fee
    node["cold_storage"] = ledger["cold-storage"]
    node["onchain_unconfirmed"] = 999
    result = reconcile(sheet, node)
    by_line = {i.line: i for i in result.items}
    assert by_line["channel-escrow"].difference == drift and "escrow drift" in by_line["channel-escrow"].explanation
    assert by_line["lightning-reserve"].difference == -drift and "other side of the escrow drift" in by_line["lightning-reserve"].explanation
    assert by_line["onchain-hot"].difference == -fee and "unrecorded fees" in by_line["onchain-hot"].explanation
    assert by_line["cold-storage"].explanation == "agrees"
    assert result.difference == -fee
    assert ("onchain_unconfirmed", 999) in result.uncounted


def test_overlapping_or_misplaced_definitions_are_refused(galoy, tmp_path):
    text = Path(REAL).read_text()
    overlapping = tmp_path / "overlap.toml"
    overlapping.write_text(text.replace('include = [{ path = "Assets:Reserve:Escrow", currency = ["BTC"] }]',
                                        'include = [{ namespace = "Assets:Reserve", currency = ["BTC"] }]'))
    with pytest.raises(BooksError, match="counted twice"):
        balance_sheet(galoy, load_definitions(str(overlapping)))
    misplaced = tmp_path / "misplaced.toml"
    misplaced.write_text(text.replace('include = [{ path = "Assets:OnChain", currency = ["BTC"] }]',
                                      'include = [{ path = "Liabilities:b0b*", currency = ["BTC"] }]')
                         .replace('exclude = [\n    { path = "Liabilities:c0ffee00', 'exclude = [\n    { path = "Liabilities:b0b*" },\n    { path = "Liabilities:c0ffee00'))
    with pytest.raises(BooksError, match="type Liabilities"):
        balance_sheet(galoy, load_definitions(str(misplaced)))


ACCOUNTS = [LND, ONCHAIN, COLD, ESCROW, ALICE, BOB, OWNER, "Equity:Capital", "Revenue:Fees:Routing", "Expenses:Fees:Onchain"]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(ACCOUNTS), st.sampled_from(ACCOUNTS), st.integers(1, 10**9),
                          st.sampled_from(["BTC", "USD"]), st.sampled_from([None, "payment", "routing_fee", "escrow", "loop_in"]),
                          st.integers(0, 47)), min_size=1, max_size=30))
def test_any_ledger_balances_and_its_pnl_reconciles(tmp_path_factory, moves):
    store = SQLiteStore(str(tmp_path_factory.mktemp("prop") / "l.db"), create=True)
    with store:
        entries = [entry(kind, d(a, amount, cur), c(b, amount, cur), at=at) for a, b, amount, cur, kind, at in moves if a != b]
        if entries:
            store.post_batch(entries)
        definitions = load_definitions(REAL)
        assert balance_sheet(store, definitions).balanced
        result = profit_and_loss(store, definitions, DAY + 10 * HOUR, DAY + 30 * HOUR)
        assert all(result.reconciled(cur) for cur in ("BTC", "USD"))


def test_packaged_layout_on_the_demo_bank(tmp_path):
    from solvency.demo.bank import post_bank_day

    with SQLiteStore(str(tmp_path / "l.db"), create=True) as store:
        post_bank_day(store, users=30, seed=3)
        definitions = load_definitions()
        sheet = balance_sheet(store, definitions)
        assert sheet.balanced and not sheet.missing_definitions
        result = profit_and_loss(store, definitions, None, parse_time("2030-01-01T00:00:00Z"))
        assert result.reconciled("BTC")
        names = {n for n, _ in result.revenue} | {n for n, _ in result.expenses}
        assert {"routing fees", "bank fees", "on-chain fees", "channel open/close fees"} <= names


def test_report_cli(tmp_path):
    db = tmp_path / "l.db"
    with SQLiteStore(str(db), create=True) as store:
        galoy_period(store)
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "solvency", "report", *args], capture_output=True, text=True)

    out = run("balance-sheet", "--db", str(db), "--as-of", "2030-01-01T00:00:00Z", "--definitions", REAL, "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["balanced"] and doc["currencies"]["BTC"]["difference"] == "0"
    out = run("pnl", "--db", str(db), "--as-of", "2026-11-21T00:00:00Z", "--from", "2026-11-20T00:00:00Z", "--definitions", REAL)
    assert out.returncode == 0 and "equity consumed" in out.stdout and "routing fees" in out.stdout
    out = run("pnl", "--db", str(db), "--as-of", "2026-11-20T00:00:00Z", "--from", "2026-11-21T00:00:00Z")
    assert out.returncode == 2
    out = run("balance-sheet", "--db", str(tmp_path / "missing.db"), "--as-of", "2030-01-01T00:00:00Z")
    assert out.returncode == 1 and "Traceback" not in out.stderr
