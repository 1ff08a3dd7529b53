"""Differential property test: the MongoDB store (owned, mongomock) and the SQLite store give the
same answers for the same random history: entries, rejections, balances on both axes at every
prefix, totals, trial balance, chain verification."""

from __future__ import annotations

import mongomock
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.definitions import BalanceDefinition, Selector, load_definitions
from ledger.entries import JournalEntry, Posting, transfer
from ledger.errors import BatchRejected
from ledger.mongo.store import MongoStore
from ledger.sqlite.store import SQLiteStore

DEFS = load_definitions()
T0 = 1_700_000_000_000_000
WALLETS = ["w1", "w2", "u1", "bankowner", "dealer:BTC", "dealer:USD"]
COMMITTED = [DEFS["customer-liabilities"], DEFS["dealer-position"], BalanceDefinition("all", "committed", (Selector(path="**"),))]
REPORTING = [BalanceDefinition("rep", "reporting", DEFS["customer-liabilities"].include, DEFS["customer-liabilities"].exclude)]

amounts = st.integers(1, 10_000)
reporting = st.none() | st.integers(T0, T0 + 1_000_000)


@st.composite
def entry(draw):
    kind = draw(st.sampled_from(["deposit", "move", "convert", "bad", "keyed"]))
    when = draw(reporting)
    if kind == "deposit":
        return transfer("Assets:Reserve:Lightning", f"Liabilities:{draw(st.sampled_from(WALLETS))}", draw(st.sampled_from(["BTC", "USD"])), draw(amounts), reporting_at=when)
    if kind == "move":
        a, b = draw(st.lists(st.sampled_from(WALLETS), min_size=2, max_size=2, unique=True))
        return transfer(f"Liabilities:{a}", f"Liabilities:{b}", "BTC", draw(amounts), reporting_at=when)
    if kind == "convert":
        sats, cents = draw(amounts), draw(amounts)
        return JournalEntry(
            (
                Posting("Liabilities:w1", "BTC", "debit", sats),
                Posting("Liabilities:dealer:BTC", "BTC", "credit", sats),
                Posting("Liabilities:dealer:USD", "USD", "debit", cents),
                Posting("Liabilities:u1", "USD", "credit", cents),
            ),
            "convert",
            (("type", "self_trade"),),
            when,
        )
    if kind == "bad":
        return transfer("Assets:Reserve:Lightning", "Liabilities:w1", "BTC", 0)
    return transfer("Assets:Reserve:Lightning", "Liabilities:w2", "BTC", draw(st.sampled_from([5, 6])), idempotency_key=f"key-{draw(st.integers(0, 2))}")


operations = st.lists(
    st.one_of(
        st.tuples(st.just("batch"), st.lists(entry(), min_size=1, max_size=4)),
        st.tuples(st.just("reverse"), st.integers(0, 50)),
    ),
    min_size=1,
    max_size=8,
)


def _apply(store, op, posted):
    kind, arg = op
    try:
        if kind == "batch":
            result = store.post_batch(arg)
        else:
            if not posted:
                return "noop"
            result = (store.reverse(posted[arg % len(posted)].entry_id),)
    except BatchRejected as exc:
        return ("rejected", tuple((e.index, e.field) for e in exc.errors))
    for p in result:
        if p.seq > len(posted):
            posted.append(p)
    return ("ok", tuple(p.seq for p in result))


def _normalised(entries):
    """Entry contents with each store's own entry ids replaced by sequence numbers."""
    seq_of = {p.entry_id: p.seq for p in entries}
    out = []
    for p in entries:
        memo = p.entry.memo
        for entry_id, seq in seq_of.items():
            memo = memo.replace(entry_id, f"#{seq}")
        e = p.entry
        out.append((e.postings, memo, e.metadata, e.reporting_at, e.idempotency_key, seq_of.get(e.reverses), p.seq))
    return out


@settings(max_examples=40, deadline=None)
@given(ops=operations)
def test_mongo_and_sqlite_agree(tmp_path_factory, ops):
    sqlite = SQLiteStore(str(tmp_path_factory.mktemp("diff") / "l.db"))
    mongo = MongoStore(mongomock.MongoClient(tz_aware=True)["l"])
    posted_s: list = []
    posted_m: list = []
    for op in ops:
        assert _apply(sqlite, op, posted_s) == _apply(mongo, op, posted_m)
    entries_s, entries_m = list(sqlite.entries()), list(mongo.entries())
    assert _normalised(entries_s) == _normalised(entries_m)
    assert [p.reporting_at for p in entries_s if p.entry.reporting_at is not None] == [
        p.reporting_at for p in entries_m if p.entry.reporting_at is not None
    ]
    assert mongo.verify().entry_count == sqlite.verify().entry_count == len(entries_s)
    assert mongo.trial_balance() == sqlite.trial_balance()
    assert [a.path for a in mongo.accounts()] == [a.path for a in sqlite.accounts()]
    for k in range(len(entries_s) + 1):
        cut_s = entries_s[k - 1].committed_at if k else entries_s[0].committed_at - 1 if entries_s else None
        cut_m = entries_m[k - 1].committed_at if k else entries_m[0].committed_at - 1 if entries_m else None
        for definition in COMMITTED:
            assert list(mongo.user_balances(definition, cut_m)) == list(sqlite.user_balances(definition, cut_s))
            assert mongo.totals(definition, cut_m) == sqlite.totals(definition, cut_s)
    for cut in (None, T0 - 1, T0 + 500_000, T0 + 1_000_000):
        for definition in REPORTING:
            if cut is not None and cut > T0 + 1_000_000:
                continue
            assert list(mongo.user_balances(definition, cut)) == list(sqlite.user_balances(definition, cut))
    for wallet in WALLETS:
        assert mongo.balance(COMMITTED[2], f"Liabilities:{wallet}") == sqlite.balance(COMMITTED[2], f"Liabilities:{wallet}")
    sqlite.close()
