"""The contract every `ledger.store.Store` implementation must meet.

Subclass `StoreContract` in a test module and provide a ``store`` fixture that yields a fresh,
empty store per test (tests/ledger/test_sqlite_store.py does it for SQLite). Only the public Store
API is used here, so the same tests run against any backend.
"""

from __future__ import annotations

import pytest

from ledger.chain import verify_chain
from ledger.definitions import BalanceDefinition, Selector, load_definitions
from ledger.entries import JournalEntry, Posting, transfer
from ledger.errors import BatchRejected, UnknownEntry

LN = "Assets:Reserve:Lightning"
COLD = "Assets:Reserve:Cold"
DEFS = load_definitions()
CUSTOMERS = DEFS["customer-liabilities"]
ANY_ACCOUNT = BalanceDefinition("everything", "committed", (Selector(path="**"),))
T0 = 1_700_000_000_000_000  # 2023-11-14T22:13:20Z, in microseconds


def deposit(wallet: str, amount: int, currency: str = "BTC", **kw) -> JournalEntry:
    return transfer(LN, f"Liabilities:{wallet}", currency, amount, "deposit", **kw)


def conversion(wallet_btc: str, wallet_usd: str, sats: int, cents: int) -> JournalEntry:
    return JournalEntry(
        (
            Posting(f"Liabilities:{wallet_btc}", "BTC", "debit", sats),
            Posting("Liabilities:dealer:BTC", "BTC", "credit", sats),
            Posting("Liabilities:dealer:USD", "USD", "debit", cents),
            Posting(f"Liabilities:{wallet_usd}", "USD", "credit", cents),
        ),
        "BTC -> USD",
    )


class StoreContract:
    """Tests of the Store contract (docs/LEDGER.md). Needs a ``store`` fixture."""

    # Writing and reading back.

    def test_empty_store(self, store):
        digest = store.digest()
        assert digest.entry_count == 0
        assert digest.head_hash == "00" * 32
        assert list(store.entries()) == []
        assert set(store.trial_balance().values()) <= {0}

    def test_post_returns_assigned_fields_and_reads_back(self, store):
        entry = JournalEntry(
            (Posting(LN, "BTC", "debit", 1500), Posting("Liabilities:w1", "BTC", "credit", 1500)),
            "deposit",
            (("hash", "ab12"), ("pending", False)),
            T0,
            "ln:ab12",
        )
        posted = store.post(entry)
        assert posted.seq == 1
        assert posted.entry == entry
        assert posted.reporting_at == T0
        assert posted.prev_hash == "00" * 32
        assert store.get_entry(posted.entry_id) == posted
        assert list(store.entries()) == [posted]
        assert store.digest().head_hash == posted.entry_hash

    def test_batch_keeps_order_and_chains(self, store):
        posted = store.post_batch([deposit(f"w{i}", 100 + i) for i in range(5)])
        assert [p.seq for p in posted] == [1, 2, 3, 4, 5]
        for before, after in zip(posted, posted[1:]):
            assert after.prev_hash == before.entry_hash
            assert after.committed_at > before.committed_at
            assert after.entry_id > before.entry_id
        assert verify_chain(store.entries()) == store.digest()

    def test_reporting_at_defaults_to_committed_at(self, store):
        posted = store.post(deposit("w1", 10))
        assert posted.entry.reporting_at is None
        assert posted.reporting_at == posted.committed_at

    def test_unknown_entry(self, store):
        with pytest.raises(UnknownEntry):
            store.get_entry("01890000-0000-7000-8000-000000000001")

    # All-or-nothing batches that report every problem.

    def test_rejected_batch_writes_nothing_and_lists_every_problem(self, store):
        store.post(deposit("w0", 5))
        before = store.digest()
        bad = [
            deposit("w1", 10),
            transfer(LN, "Liabilities:w2", "BTC", 0),
            deposit("w3", 10),
            JournalEntry((Posting(LN, "EUR", "debit", 5), Posting("Liabilities:w4", "EUR", "credit", 5))),
            JournalEntry((Posting(LN, "BTC", "debit", 5), Posting("Liabilities:w5", "BTC", "credit", 4))),
        ]
        with pytest.raises(BatchRejected) as caught:
            store.post_batch(bad)
        indexes = sorted({e.index for e in caught.value.errors})
        assert indexes == [1, 3, 4]
        assert store.digest() == before
        assert len(list(store.entries())) == 1
        assert "Liabilities:w1" not in {a.path for a in store.accounts()}

    def test_empty_batch_rejected(self, store):
        with pytest.raises(BatchRejected):
            store.post_batch([])

    # Idempotency.

    def test_idempotent_replay_returns_the_original(self, store):
        first = store.post(deposit("w1", 10, idempotency_key="k1"))
        again = store.post(deposit("w1", 10, idempotency_key="k1"))
        assert again == first
        assert store.digest().entry_count == 1

    def test_same_key_different_content_is_rejected(self, store):
        store.post(deposit("w1", 10, idempotency_key="k1"))
        with pytest.raises(BatchRejected) as caught:
            store.post_batch([deposit("w2", 7), deposit("w1", 11, idempotency_key="k1")])
        assert [(e.index, e.field) for e in caught.value.errors] == [(1, "idempotency_key")]
        assert store.digest().entry_count == 1

    def test_same_key_twice_in_one_batch(self, store):
        posted = store.post_batch([deposit("w1", 10, idempotency_key="k"), deposit("w1", 10, idempotency_key="k")])
        assert posted[0] == posted[1]
        assert store.digest().entry_count == 1
        with pytest.raises(BatchRejected):
            store.post_batch([deposit("w1", 10, idempotency_key="j"), deposit("w1", 12, idempotency_key="j")])

    def test_replay_inside_a_mixed_batch(self, store):
        first = store.post(deposit("w1", 10, idempotency_key="k1"))
        posted = store.post_batch([deposit("w2", 3), deposit("w1", 10, idempotency_key="k1")])
        assert posted[1] == first
        assert posted[0].seq == 2
        assert store.digest().entry_count == 2

    # Reversals.

    def test_reversal_nets_to_zero_and_links(self, store):
        original = store.post(deposit("w1", 1000))
        reversal = store.reverse(original.entry_id)
        assert reversal.entry.reverses == original.entry_id
        assert store.balance(ANY_ACCOUNT, "Liabilities:w1") == {"BTC": 0}
        assert list(store.user_balances(CUSTOMERS)) == []

    def test_entry_is_reversed_at_most_once(self, store):
        original = store.post(deposit("w1", 1000))
        store.reverse(original.entry_id)
        with pytest.raises(BatchRejected) as caught:
            store.reverse(original.entry_id)
        assert caught.value.errors[0].field == "reverses"
        assert store.digest().entry_count == 2

    def test_reversal_cannot_be_reversed(self, store):
        original = store.post(deposit("w1", 1000))
        reversal = store.reverse(original.entry_id)
        with pytest.raises(BatchRejected):
            store.reverse(reversal.entry_id)

    def test_reversing_an_unknown_entry(self, store):
        with pytest.raises((UnknownEntry, BatchRejected)):
            store.reverse("01890000-0000-7000-8000-000000000009")

    def test_reversal_must_mirror_the_original(self, store):
        original = store.post(deposit("w1", 1000))
        wrong = JournalEntry(
            (Posting("Liabilities:w1", "BTC", "debit", 999), Posting(LN, "BTC", "credit", 999)),
            reverses=original.entry_id,
        )
        with pytest.raises(BatchRejected) as caught:
            store.post(wrong)
        assert caught.value.errors[0].field == "postings"

    def test_two_reversals_of_one_entry_in_one_batch(self, store):
        original = store.post(deposit("w1", 1000))
        mirror = tuple(p.mirrored() for p in original.entry.postings)
        with pytest.raises(BatchRejected):
            store.post_batch([JournalEntry(mirror, reverses=original.entry_id), JournalEntry(mirror, reverses=original.entry_id)])
        assert store.digest().entry_count == 1

    # Balances and definitions.

    def test_normal_sides_and_trial_balance(self, store):
        store.post_batch([deposit("w1", 700), transfer("Liabilities:w1", "Revenue:Fees:Service", "BTC", 20)])
        assert store.balance(ANY_ACCOUNT, LN) == {"BTC": 700}
        assert store.balance(ANY_ACCOUNT, "Liabilities:w1") == {"BTC": 680}
        assert store.balance(ANY_ACCOUNT, "Revenue:Fees:Service") == {"BTC": 20}
        assert all(v == 0 for v in store.trial_balance().values())
        assert store.trial_balance()["BTC"] == 0

    def test_customer_liabilities_exclude_the_banks_wallets(self, store):
        store.post_batch(
            [
                deposit("w1", 500),
                deposit("bankowner", 40),
                deposit("funder", 30),
                deposit("w2", 200),
                conversion("w2", "u2", 100, 95),
            ]
        )
        assert list(store.user_balances(CUSTOMERS)) == [("u2", "USD", 95), ("w1", "BTC", 500), ("w2", "BTC", 100)]
        assert store.totals(CUSTOMERS) == {"BTC": 600, "USD": 95}
        assert store.totals(DEFS["bankowner-equity"]) == {"BTC": 40}
        assert store.totals(DEFS["dealer-position"]) == {"BTC": 100, "USD": -95}
        assert store.totals(DEFS["lightning-reserve"]) == {"BTC": 770}
        assert store.balance(CUSTOMERS, "Liabilities:bankowner") == {}

    def test_currency_selector(self, store):
        store.post_batch([deposit("w1", 500), deposit("w2", 300, "USD")])
        btc_only = BalanceDefinition("btc", "committed", (Selector(path="Liabilities:*", currency=("BTC",)),))
        assert list(store.user_balances(btc_only)) == [("w1", "BTC", 500)]
        assert store.totals(DEFS["lightning-reserve"]) == {"BTC": 500}

    def test_zero_balances_are_omitted(self, store):
        store.post_batch([deposit("w1", 500), transfer("Liabilities:w1", "Liabilities:w2", "BTC", 500)])
        assert list(store.user_balances(CUSTOMERS)) == [("w2", "BTC", 500)]

    def test_committed_axis_is_reproducible_after_backdated_entries(self, store):
        first = store.post_batch([deposit("w1", 500), deposit("w2", 70)])
        cut = first[-1].committed_at
        before = list(store.user_balances(CUSTOMERS, cut))
        store.post(deposit("w1", 33, reporting_at=T0))  # booked with an accounting time long ago
        assert list(store.user_balances(CUSTOMERS, cut)) == before
        assert store.balance(CUSTOMERS, "Liabilities:w1", cut) == {"BTC": 500}
        assert store.balance(CUSTOMERS, "Liabilities:w1") == {"BTC": 533}
        assert list(store.user_balances(CUSTOMERS, first[0].committed_at)) == [("w1", "BTC", 500)]
        assert list(store.user_balances(CUSTOMERS, first[0].committed_at - 1)) == []

    def test_reporting_axis_sees_backdated_entries(self, store):
        on_reporting = BalanceDefinition("rep", "reporting", CUSTOMERS.include, CUSTOMERS.exclude)
        store.post(deposit("w1", 500, reporting_at=T0 + 10))
        assert list(store.user_balances(on_reporting, T0 + 5)) == []
        store.post(deposit("w1", 7, reporting_at=T0))
        assert list(store.user_balances(on_reporting, T0 + 5)) == [("w1", "BTC", 7)]
        assert list(store.user_balances(on_reporting, T0 + 10)) == [("w1", "BTC", 507)]

    def test_trial_balance_as_of(self, store):
        posted = store.post(deposit("w1", 500))
        store.post(deposit("w1", 5))
        assert store.trial_balance(posted.committed_at)["BTC"] == 0

    def test_accounts_sorted(self, store):
        store.post_batch([deposit("w2", 5), deposit("w1", 5)])
        assert [a.path for a in store.accounts()] == [LN, "Liabilities:w1", "Liabilities:w2"]

    def test_check_batch_reports_what_post_batch_would_and_writes_nothing(self, store):
        original = store.post(deposit("w1", 10, idempotency_key="k1"))
        head = store.digest()
        good = [deposit("w2", 5), deposit("w1", 10, idempotency_key="k1")]
        assert store.check_batch(good) is None
        bad = [deposit("w3", 1), deposit("w1", 11, idempotency_key="k1"), transfer(LN, "Liabilities:w4", "BTC", 0, "zero")]
        with pytest.raises(BatchRejected) as caught:
            store.check_batch(bad)
        assert [(e.index, e.field) for e in caught.value.errors] == [
            (1, "idempotency_key"), (2, "postings[0].amount"), (2, "postings[1].amount")]
        with pytest.raises(BatchRejected) as posted:
            store.post_batch(bad)
        assert posted.value.errors == caught.value.errors
        assert store.digest() == head and list(store.entries()) == [original]
        assert store.post_batch(good)[1] == original

    def test_digest_as_of_is_the_digest_of_the_committed_prefix(self, store):
        assert store.digest_as_of(T0) == verify_chain([])
        posted = list(store.post_batch([deposit(f"w{i}", 100 + i) for i in range(3)]))
        posted += [store.post(deposit("w9", 7)), store.post(deposit("w8", 8, reporting_at=T0))]
        entries = list(store.entries())
        assert [e.entry_id for e in entries] == [p.entry_id for p in posted]
        assert store.digest_as_of(entries[0].committed_at - 1) == verify_chain([])
        for i, entry in enumerate(entries):
            assert store.digest_as_of(entry.committed_at) == verify_chain(entries[: i + 1])
        assert store.digest_as_of(None) == store.digest() == verify_chain(entries)

    def test_verify_returns_the_digest(self, store):
        store.post_batch([deposit("w1", 5), deposit("w2", 9, "USD")])
        assert store.verify() == store.digest()
