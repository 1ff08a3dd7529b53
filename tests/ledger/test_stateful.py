"""A Hypothesis state machine against a simple reference model of the ledger.

The model is a list of recorded entries (seq, signed postings, reporting time, key, content,
reversal link). After every step: the trial balance is zero, the chain verifies to the store's
digest, and every committed-axis snapshot taken earlier still gives exactly the balances it gave
then (reproducible, and the set of entries counted only grows with the cut-off). Rules post valid
and invalid batches (invalid ones must write nothing), replay idempotency keys with the same and
with different content, and reverse entries (legal and illegal reversals).
"""

from __future__ import annotations

import tempfile

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ledger.chain import content_hash, verify_chain
from ledger.definitions import BalanceDefinition, Selector
from ledger.entries import JournalEntry, Posting
from ledger.errors import BatchRejected
from ledger.sqlite.store import SQLiteStore

ACCOUNTS = ["Assets:Reserve:Lightning", "Liabilities:u1", "Liabilities:u2", "Liabilities:u3", "Revenue:Fees:Service", "Expenses:Fees:Onchain"]
EVERYTHING = BalanceDefinition("all", "committed", (Selector(path="**"),))
EVERYTHING_REPORTING = BalanceDefinition("all-r", "reporting", (Selector(path="**"),))
T0 = 1_700_000_000_000_000
KEYS = st.none() | st.sampled_from(["k1", "k2", "k3", "k4"])


@st.composite
def entries(draw, valid=True):
    currency = draw(st.sampled_from(["BTC", "USD"]))
    a, b, c = draw(st.permutations(ACCOUNTS))[:3]
    x = draw(st.integers(1, 10**6))
    if draw(st.booleans()):
        y = draw(st.integers(1, 10**6))
        postings = (Posting(a, currency, "debit", x + y), Posting(b, currency, "credit", x), Posting(c, currency, "credit", y))
    else:
        postings = (Posting(a, currency, "debit", x), Posting(b, currency, "credit", x))
    if not valid:
        broken = draw(st.sampled_from(["zero", "unbalanced", "float", "currency"]))
        p = postings[0]
        replacement = {
            "zero": Posting(p.account, p.currency, p.side, 0),
            "unbalanced": Posting(p.account, p.currency, p.side, p.amount + 1),
            "float": Posting(p.account, p.currency, p.side, float(p.amount)),
            "currency": Posting(p.account, "XXX", p.side, p.amount),
        }[broken]
        postings = (replacement, *postings[1:])
    reporting = draw(st.none() | st.integers(T0 - 10**9, T0 + 10**9))
    return JournalEntry(postings, draw(st.sampled_from(["", "memo"])), (), reporting, draw(KEYS))


def _normal(account: str, signed: int) -> int:
    return -signed if account.startswith(("Assets:", "Expenses:")) else signed


def _user(account: str) -> str:
    return account[len("Liabilities:"):] if account.startswith("Liabilities:") else account


class LedgerMachine(RuleBasedStateMachine):
    @initialize()
    def open(self):
        self.dir = tempfile.TemporaryDirectory()
        self.store = SQLiteStore(f"{self.dir.name}/l.db")
        self.store.merge_entries = 4  # exercise the per-account index and the unmerged tail
        # Reference model.
        self.recorded: list[dict] = []  # index = seq - 1
        self.by_key: dict[str, int] = {}
        self.reversed: set[int] = set()
        self.snapshots: list[tuple[int, int, list]] = []  # (committed_at cut, seq, expected rows)

    def teardown(self):
        self.store.close()
        self.dir.cleanup()

    # Model helpers.

    def expected_rows(self, seq_cut: int | None = None, reporting_cut: int | None = None) -> list:
        sums: dict[tuple[str, str], int] = {}
        for rec in self.recorded:
            if seq_cut is not None and rec["seq"] > seq_cut:
                continue
            if reporting_cut is not None and rec["reporting_at"] > reporting_cut:
                continue
            for p in rec["entry"].postings:
                sums[(p.account, p.currency)] = sums.get((p.account, p.currency), 0) + p.signed
        return sorted((_user(a), c, _normal(a, v)) for (a, c), v in sums.items() if v)

    def record(self, posted) -> None:
        assert posted.seq == len(self.recorded) + 1
        self.recorded.append({"seq": posted.seq, "entry": posted.entry, "reporting_at": posted.reporting_at, "id": posted.entry_id})
        if posted.entry.idempotency_key is not None:
            self.by_key[posted.entry.idempotency_key] = posted.seq
        if posted.entry.reverses is not None:
            self.reversed.add(next(r["seq"] for r in self.recorded if r["id"] == posted.entry.reverses))

    # Rules.

    @rule(batch=st.lists(entries(), min_size=1, max_size=6), bad=st.lists(entries(valid=False), max_size=1), where=st.integers(0, 6))
    def post(self, batch, bad, where):
        batch = list(batch)
        for b in bad:
            batch.insert(min(where, len(batch)), b)
        # What the model expects: a conflict or a bad entry rejects the whole batch.
        seen: dict[str, bytes] = {}
        reject = bool(bad)
        for e in batch:
            if e.idempotency_key is None or bad:
                continue
            digest = content_hash(e)
            if e.idempotency_key in self.by_key:
                stored = self.recorded[self.by_key[e.idempotency_key] - 1]["entry"]
                reject |= content_hash(stored) != digest
            elif e.idempotency_key in seen:
                reject |= seen[e.idempotency_key] != digest
            seen[e.idempotency_key] = digest
        before = self.store.digest()
        try:
            posted = self.store.post_batch(batch)
        except BatchRejected as exc:
            assert reject, exc.errors
            assert self.store.digest() == before
            return
        assert not reject
        for entry, result in zip(batch, posted):
            if result.seq > len(self.recorded):
                self.record(result)
            else:
                assert entry.idempotency_key is not None
                assert result.seq == self.by_key[entry.idempotency_key]
                assert content_hash(self.recorded[result.seq - 1]["entry"]) == content_hash(entry)

    @precondition(lambda self: self.recorded)
    @rule(data=st.data())
    def reverse(self, data):
        rec = data.draw(st.sampled_from(self.recorded))
        legal = rec["entry"].reverses is None and rec["seq"] not in self.reversed
        before = self.store.digest()
        try:
            posted = self.store.reverse(rec["id"])
        except BatchRejected:
            assert not legal
            assert self.store.digest() == before
            return
        assert legal
        self.record(posted)

    @rule()
    def merge_index(self):
        self.store.merge_index()

    @rule()
    def snapshot(self):
        head = self.store.digest().entry_count
        cut = self.store.get_entry(self.recorded[-1]["id"]).committed_at if self.recorded else T0
        self.snapshots.append((cut, head, self.expected_rows(seq_cut=head)))

    @rule(at=st.integers(T0 - 10**9, T0 + 10**9))
    def reporting_axis(self, at):
        assert list(self.store.user_balances(EVERYTHING_REPORTING, at)) == self.expected_rows(reporting_cut=at)

    # Invariants.

    @invariant()
    def trial_balance_is_zero(self):
        assert all(v == 0 for v in self.store.trial_balance().values())

    @invariant()
    def chain_verifies(self):
        assert verify_chain(self.store.entries()) == self.store.digest()
        assert self.store.digest().entry_count == len(self.recorded)

    @invariant()
    def committed_snapshots_are_reproducible_and_monotone(self):
        heads = [head for _, head, _ in self.snapshots]
        assert heads == sorted(heads)
        for cut, _head, rows in self.snapshots:
            assert list(self.store.user_balances(EVERYTHING, cut)) == rows
        assert list(self.store.user_balances(EVERYTHING)) == self.expected_rows()

    @invariant()
    def reversals_net_to_zero(self):
        for rec in self.recorded:
            if rec["entry"].reverses is not None:
                original = next(r for r in self.recorded if r["id"] == rec["entry"].reverses)
                net: dict = {}
                for p in original["entry"].postings + rec["entry"].postings:
                    net[(p.account, p.currency)] = net.get((p.account, p.currency), 0) + p.signed
                assert set(net.values()) == {0}


LedgerMachine.TestCase.settings = settings(max_examples=30, stateful_step_count=15, deadline=None)
TestLedgerMachine = LedgerMachine.TestCase
