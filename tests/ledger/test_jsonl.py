"""JSON Lines input: strict parsing with file, line and field in every error."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from ledger.clock import format_time, parse_time
from ledger.entries import Posting
from ledger.jsonl import entry_to_json, parse_lines

GOOD = {
    "postings": [
        {"account": "Assets:Reserve:Lightning", "currency": "BTC", "side": "debit", "amount": 1000},
        {"account": "Liabilities:w1", "currency": "BTC", "side": "credit", "amount": 1000},
    ],
    "memo": "deposit",
    "metadata": {"hash": "ab", "n": 3, "pending": False, "x": None},
    "reporting_at": "2026-11-20T12:00:00Z",
    "idempotency_key": "ln:ab",
}


def lines(*objects) -> list[bytes]:
    return [o if isinstance(o, bytes) else json.dumps(o).encode() for o in objects]


def test_good_line_round_trips():
    entries, numbers, errors = parse_lines(lines(GOOD, b"", GOOD), "in.jsonl")
    assert errors == [] and numbers == [1, 3]
    entry = entries[0]
    assert entry.postings[0] == Posting("Assets:Reserve:Lightning", "BTC", "debit", 1000)
    assert entry.reporting_at == parse_time("2026-11-20T12:00:00Z")
    assert entry.metadata == (("hash", "ab"), ("n", 3), ("pending", False), ("x", None))
    again = json.loads(json.dumps(entry_to_json(entry, format_time=format_time)))
    assert parse_lines(lines(again), "x")[0][0] == entry


def _errors(raw: bytes | dict):
    return [(e.line, e.field) for e in parse_lines(lines(raw), "in.jsonl")[2]]


def test_each_bad_line_is_reported_with_its_field():
    bad_amount = json.loads(json.dumps(GOOD))
    bad_amount["postings"][0]["amount"] = 1.0
    assert _errors(json.dumps(bad_amount).encode()) == [(1, "postings[0].amount")]
    exp = json.dumps(GOOD).replace('"amount": 1000', '"amount": 1e3', 1).encode()
    assert _errors(exp) == [(1, "postings[0].amount")]
    assert _errors(b'{"postings": [], "postings": []}') == [(1, "line")]
    assert _errors(b"[1, 2]") == [(1, "line")]
    assert _errors(b"{not json") == [(1, "line")]
    assert _errors(b"\xff\xfe") == [(1, "line")]
    assert _errors({**GOOD, "colour": "red"}) == [(1, "colour")]
    assert _errors({**GOOD, "postings": "x"}) == [(1, "postings")]
    assert _errors({**GOOD, "postings": [{"account": "Assets:X", "currency": "BTC", "side": "debit"}, 5]}) == [(1, "postings[0]"), (1, "postings[1]")]
    assert _errors({**GOOD, "postings": [{**GOOD["postings"][0], "memo": 1}, GOOD["postings"][1]]}) == [(1, "postings[0].memo")]
    assert _errors({**GOOD, "metadata": {"rate": 0.5}}) == [(1, "metadata.rate")]
    assert _errors(b'{"postings": [], "metadata": {"r": NaN}}') == [(1, "metadata.r")]
    assert _errors({**GOOD, "metadata": {"n": {"a": 1}}}) == [(1, "metadata.n")]
    assert _errors({**GOOD, "metadata": [1]}) == [(1, "metadata")]
    assert _errors({**GOOD, "reporting_at": "2026-11-20 12:00"}) == [(1, "reporting_at")]
    assert _errors({**GOOD, "reporting_at": 1700000000}) == [(1, "reporting_at")]


def test_errors_of_many_lines_are_all_collected():
    entries, numbers, errors = parse_lines(lines(GOOD, b"[]", GOOD, {"x": 1}), "f.jsonl")
    assert numbers == [1, 3]
    assert [str(e).split(":")[1] for e in errors] == ["2", "4", "4"]
    assert all(str(e).startswith("f.jsonl:") for e in errors)


@given(st.integers(min_value=0, max_value=253_402_300_799_999_999))
def test_time_text_round_trip(us):
    assert parse_time(format_time(us)) == us


def test_naive_times_are_refused():
    for text in ("2026-11-20T12:00:00", "2026-11-20", "yesterday", ""):
        try:
            parse_time(text)
        except ValueError:
            continue
        raise AssertionError(f"{text!r} was accepted")
    assert parse_time("2026-11-20T13:00:00+01:00") == parse_time("2026-11-20T12:00:00Z")
