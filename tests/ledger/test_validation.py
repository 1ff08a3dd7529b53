"""Every validation rule of an entry, one bad input each, and the money conversions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.accounts import AccountType, Address, account_type, path_problem, user_id_of
from ledger.entries import JournalEntry, Posting, batch_problems, certainly_valid, entry_problems
from ledger.errors import BatchRejected
from ledger.money import BTC, USD, amount_problem, format_minor_units, to_minor_units
from ledger.sqlite.store import SQLiteStore

A, L = "Assets:Reserve:Lightning", "Liabilities:w1"


def ok(amount=100, currency="BTC") -> tuple[Posting, Posting]:
    return Posting(A, currency, "debit", amount), Posting(L, currency, "credit", amount)


def entry(*postings, **kw) -> JournalEntry:
    return JournalEntry(tuple(postings) if postings else ok(), **kw)


BAD = [
    ("float amount", entry(Posting(A, "BTC", "debit", 1.5), Posting(L, "BTC", "credit", 1.5)), "postings[0].amount", "float"),
    ("bool amount", entry(Posting(A, "BTC", "debit", True), Posting(L, "BTC", "credit", True)), "postings[0].amount", "boolean"),
    ("Decimal amount", entry(Posting(A, "BTC", "debit", Decimal("1")), Posting(L, "BTC", "credit", Decimal("1"))), "postings[0].amount", "Decimal"),
    ("string amount", entry(Posting(A, "BTC", "debit", "5"), Posting(L, "BTC", "credit", "5")), "postings[0].amount", "str"),
    ("zero amount", entry(*ok(0)), "postings[0].amount", "> 0"),
    ("negative amount", entry(*ok(-5)), "postings[0].amount", "> 0"),
    ("above BTC supply", entry(*ok(21_000_000 * 10**8 + 1)), "postings[0].amount", "out of range"),
    ("above the I-JSON range", entry(*ok(2**53, "USD")), "postings[0].amount", "out of range"),
    ("one posting", entry(Posting(A, "BTC", "debit", 5)), "postings", "at least 2"),
    ("no postings", JournalEntry(()), "postings", "at least 2"),
    ("unbalanced", entry(Posting(A, "BTC", "debit", 5), Posting(L, "BTC", "credit", 4)), "postings", "unbalanced in BTC"),
    ("balanced across currencies only", entry(Posting(A, "BTC", "debit", 5), Posting(L, "USD", "credit", 5)), "postings", "unbalanced"),
    ("unknown currency", entry(*ok(5, "EUR")), "postings[0].currency", "unknown currency"),
    ("bad side", entry(Posting(A, "BTC", "dr", 5), Posting(L, "BTC", "credit", 5)), "postings[0].side", "debit"),
    ("bad account type", entry(Posting("Asset:X", "BTC", "debit", 5), Posting(L, "BTC", "credit", 5)), "postings[0].account", "must start with"),
    ("type only", entry(Posting("Assets", "BTC", "debit", 5), Posting(L, "BTC", "credit", 5)), "postings[0].account", "at least one segment"),
    ("empty segment", entry(Posting("Assets::X", "BTC", "debit", 5), Posting(L, "BTC", "credit", 5)), "postings[0].account", "segment"),
    ("space in account", entry(Posting("Assets:X Y", "BTC", "debit", 5), Posting(L, "BTC", "credit", 5)), "postings[0].account", "segment"),
    ("account not a string", entry(Posting(7, "BTC", "debit", 5), Posting(L, "BTC", "credit", 5)), "postings[0].account", "string"),
    ("account too long", entry(Posting("Assets:" + "x" * 300, "BTC", "debit", 5), Posting(L, "BTC", "credit", 5)), "postings[0].account", "longer"),
    ("posting not a Posting", entry(("Assets:X", "BTC", "debit", 5), Posting(L, "BTC", "credit", 5)), "postings[0]", "Posting"),
    ("postings a list", JournalEntry(list(ok())), "postings", "tuple"),
    ("memo not text", entry(memo=5), "memo", "string"),
    ("memo too long", entry(memo="x" * 2000), "memo", "longer"),
    ("metadata float", entry(metadata=(("rate", 1.5),)), "metadata.rate", "float"),
    ("metadata nested", entry(metadata=(("x", {"a": 1}),)), "metadata.x", "value must be"),
    ("metadata duplicate key", entry(metadata=(("x", "1"), ("x", "2"))), "metadata.x", "duplicate"),
    ("metadata big int", entry(metadata=(("x", 2**60),)), "metadata.x", "I-JSON"),
    ("metadata not pairs", entry(metadata=("x",)), "metadata", "pair"),
    ("metadata a dict", entry(metadata={"x": "y"}), "metadata", "tuple"),
    ("reporting_at float", entry(reporting_at=1.0), "reporting_at", "integer microseconds"),
    ("reporting_at bool", entry(reporting_at=True), "reporting_at", "integer microseconds"),
    ("reporting_at negative", entry(reporting_at=-1), "reporting_at", "outside"),
    ("empty idempotency key", entry(idempotency_key=""), "idempotency_key", "1-128"),
    ("idempotency key with space", entry(idempotency_key="a b"), "idempotency_key", "1-128"),
    ("idempotency key too long", entry(idempotency_key="k" * 129), "idempotency_key", "1-128"),
    ("reverses not an id", entry(reverses="nope"), "reverses", "entry id"),
    ("not an entry", {"postings": []}, "entry", "JournalEntry"),
]


@pytest.mark.parametrize("bad, field, reason", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_each_rule_reports_field_and_reason(bad, field, reason, tmp_path):
    problems = entry_problems(bad, 3)
    assert any(p.field == field and reason in p.reason and p.index == 3 for p in problems), problems
    with SQLiteStore(str(tmp_path / "l.db")) as store:
        store.post(entry())
        before = store.digest()
        with pytest.raises(BatchRejected) as caught:
            store.post_batch([entry(), bad])
        assert any(e.index == 1 and e.field == field for e in caught.value.errors)
        assert all(e.index == 1 for e in caught.value.errors)
        assert store.digest() == before


def test_valid_entry_has_no_problems():
    assert entry_problems(entry(metadata=(("n", 1), ("ok", True), ("none", None), ("s", "x"))), 0) == []


def test_batch_collects_every_bad_entry():
    batch = [entry(), entry(*ok(0)), entry(), entry(*ok(5, "XYZ"), memo=1)]
    problems = batch_problems(batch)
    assert {(p.index, p.field) for p in problems} == {(1, "postings[0].amount"), (1, "postings[1].amount"), (3, "postings[0].currency"), (3, "postings[1].currency"), (3, "memo")}
    assert batch_problems([])[0].field == "batch"


def test_amount_problem_accepts_only_positive_ints_in_range():
    assert amount_problem(1, BTC) is None
    assert amount_problem(BTC.max_amount, BTC) is None
    assert amount_problem(BTC.max_amount + 1, BTC)
    for bad in (0, -1, 1.0, True, False, Decimal(1), "1", None):
        assert amount_problem(bad, BTC)


def test_decimal_major_units_are_converted_exactly():
    assert to_minor_units(Decimal("0.00012345"), BTC) == 12345
    assert to_minor_units("21000000", BTC) == 21_000_000 * 10**8
    assert to_minor_units("-1.5", USD) == -150
    for bad in ("0.000000001", Decimal("1.005"), 0.1, True, "NaN", "Infinity", "x"):
        with pytest.raises(ValueError):
            to_minor_units(bad, BTC if bad != Decimal("1.005") else USD)


@given(st.integers(min_value=-(10**17), max_value=10**17))
def test_format_and_parse_round_trip(amount):
    assert to_minor_units(format_minor_units(amount, BTC), BTC) == amount
    assert to_minor_units(format_minor_units(amount, USD), USD) == amount


def test_account_model_paths_and_addresses():
    assert account_type("Liabilities:w1") is AccountType.LIABILITIES
    assert AccountType.ASSETS.normal_side == "debit" and AccountType.EQUITY.normal_side == "credit"
    assert AccountType.EXPENSES.normal_sign == -1 and AccountType.REVENUE.normal_sign == 1
    address = Address.from_path("Assets:Reserve:Lightning", "BTC")
    assert (address.namespace, address.name, address.legal_entity, address.currency) == ("Assets:Reserve", "Lightning", "bank", "BTC")
    assert address.path == address.account_id == "Assets:Reserve:Lightning"
    assert Address("Liabilities", "w1", "bank-uk", "USD").path == "Liabilities:w1"
    assert Address("Liabilities", "w 1", "bank", "USD").problem()
    assert Address("Liabilities", "w1", "", "USD").problem()
    with pytest.raises(ValueError):
        Address.from_path("Nope:x", "BTC")
    assert user_id_of("Liabilities:abc") == "abc"
    assert user_id_of("Assets:Reserve:Cold") == "Assets:Reserve:Cold"
    assert path_problem("Liabilities:3fa85f64-5717-4562-b3fc-2c963f66afa6") is None


@pytest.mark.parametrize("bad", [b[1] for b in BAD], ids=[b[0] for b in BAD])
def test_fast_path_never_accepts_a_bad_entry(bad):
    assert not certainly_valid(bad, {A: 1, L: 2})


def test_fast_path_accepts_the_common_case():
    assert certainly_valid(entry(), {})
    assert certainly_valid(entry(reporting_at=5, idempotency_key="k"), {A: 1})
    # Unusual but valid entries take the slow path, which accepts them.
    unusual = entry(metadata=(("a", "b"),))
    assert not certainly_valid(unusual, {}) and entry_problems(unusual, 0) == []
    unhashable = JournalEntry((Posting(A, ["BTC"], "debit", 5), Posting(L, "BTC", "credit", 5)))
    assert not certainly_valid(unhashable, {}) and entry_problems(unhashable, 0)
