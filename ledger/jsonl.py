"""JSON Lines input of journal entries (``solvency ledger post``), format ``pos-ledger-entry/1``.

One entry per line, a JSON object (blank lines are skipped)::

    {"postings": [{"account": "Assets:Reserve:Lightning", "currency": "BTC", "side": "debit", "amount": 150000},
                  {"account": "Liabilities:7f6c...", "currency": "BTC", "side": "credit", "amount": 150000}],
     "memo": "lightning deposit", "metadata": {"hash": "ab12..."},
     "reporting_at": "2026-11-20T12:00:00Z", "idempotency_key": "ln:ab12..."}

Only ``postings`` is required. Amounts are JSON integers in minor units (sats, cents); a number
with a fraction or exponent (``1.5``, ``1e3``) is refused, not rounded. Unknown keys, duplicate
keys, non-UTF-8 bytes and non-object lines are refused. Parsing collects every problem with its
file, line and field; `ledger.entries.entry_problems` then applies the ledger's own rules.

Bounds (docs/LEDGER.md, "Input limits"), so that no line can crash or stall the reader: a line is
at most `MAX_LINE_BYTES` bytes; an integer has at most `MAX_INT_DIGITS` digits (checked before it
is converted); nesting deeper than the parser's recursion limit is a line error (a valid entry
nests 3 levels); a string holding a lone surrogate (``"\\ud800"``), which SQLite, the hash chain and
the terminal could not encode, is refused naming its field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ledger.clock import parse_time
from ledger.entries import JournalEntry, MetadataValue, Posting

ENTRY_KEYS = ("postings", "memo", "metadata", "reporting_at", "idempotency_key", "reverses")
POSTING_KEYS = ("account", "currency", "side", "amount")
MAX_LINE_BYTES = 1 << 20
MAX_INT_DIGITS = 40
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


@dataclass(frozen=True, slots=True)
class LineError:
    """A problem at one line of an input file."""

    source: str
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.field}: {self.reason}"


class _Float:
    """Marker for a JSON number with a fraction or exponent, reported instead of rounded."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _pairs(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer has {len(text.lstrip('-'))} digits (at most {MAX_INT_DIGITS})")
    return int(text)


def _surrogate_field(value: object, path: str) -> str | None:
    """The field of the first string (or key) in `value` holding a lone surrogate, or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "line"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _surrogate_field(key, f"{path} (a key)" if path else "a key") or _surrogate_field(item, f"{path}.{key}" if path else key)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _surrogate_field(item, f"{path}[{index}]")
            if found:
                return found
    return None


def parse_line(text: str, source: str, line: int) -> tuple[JournalEntry | None, list[LineError]]:
    errors: list[LineError] = []

    def err(field: str, reason: str) -> None:
        errors.append(LineError(source, line, field, reason))

    try:
        raw = json.loads(text, object_pairs_hook=_pairs, parse_float=_Float, parse_constant=_Float, parse_int=_int)
    except ValueError as exc:
        err("line", f"not valid JSON: {exc}")
        return None, errors
    except RecursionError:
        err("line", "nested too deeply (an entry nests 3 levels)")
        return None, errors
    if _ESCAPED_SURROGATE.search(text):
        where = _surrogate_field(raw, "")
        if where is not None:
            err(where, "string holds a lone surrogate (\\ud800-\\udfff escaped alone is not a Unicode character)")
            return None, errors
    if not isinstance(raw, dict):
        err("line", f"must be a JSON object, not {type(raw).__name__}")
        return None, errors
    for key in sorted(set(raw) - set(ENTRY_KEYS)):
        err(key, f"unknown key (allowed: {', '.join(ENTRY_KEYS)})")
    postings_raw = raw.get("postings")
    postings: list[Posting] = []
    if not isinstance(postings_raw, list):
        err("postings", "required: a list of posting objects")
    else:
        for k, item in enumerate(postings_raw):
            where = f"postings[{k}]"
            if not isinstance(item, dict):
                err(where, "must be an object with account, currency, side, amount")
                continue
            for key in sorted(set(item) - set(POSTING_KEYS)):
                err(f"{where}.{key}", f"unknown key (allowed: {', '.join(POSTING_KEYS)})")
            missing = [key for key in POSTING_KEYS if key not in item]
            if missing:
                err(where, f"missing {', '.join(missing)}")
                continue
            amount = item["amount"]
            if isinstance(amount, _Float):
                err(f"{where}.amount", f"must be an integer number of minor units; {amount.text} is not (no fractions, no exponents)")
                continue
            postings.append(Posting(item["account"], item["currency"], item["side"], amount))
    metadata = raw.get("metadata", {})
    meta_items: tuple[tuple[str, MetadataValue], ...] = ()
    if not isinstance(metadata, dict):
        err("metadata", "must be an object")
    else:
        for key, value in metadata.items():
            if isinstance(value, _Float):
                err(f"metadata.{key}", f"floats are not allowed ({value.text}); use a string")
            elif isinstance(value, (dict, list)):
                err(f"metadata.{key}", "nested values are not allowed; use a string")
        meta_items = tuple(sorted(metadata.items()))
    reporting_at = None
    if raw.get("reporting_at") is not None:
        try:
            reporting_at = parse_time(raw["reporting_at"])
        except ValueError as exc:
            err("reporting_at", str(exc))
    if errors:
        return None, errors
    entry = JournalEntry(
        postings=tuple(postings),
        memo=raw.get("memo", ""),
        metadata=meta_items,
        reporting_at=reporting_at,
        idempotency_key=raw.get("idempotency_key"),
        reverses=raw.get("reverses"),
    )
    return entry, errors


def parse_lines(lines: Iterable[bytes], source: str) -> tuple[list[JournalEntry], list[int], list[LineError]]:
    """Parse every line; returns the entries, the line number of each entry, and all errors."""
    entries: list[JournalEntry] = []
    numbers: list[int] = []
    errors: list[LineError] = []
    for number, data in enumerate(lines, start=1):
        if len(data) > MAX_LINE_BYTES:
            errors.append(LineError(source, number, "line", f"{len(data)} bytes; a line is at most {MAX_LINE_BYTES}"))
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            errors.append(LineError(source, number, "line", "not UTF-8"))
            continue
        if not text.strip():
            continue
        entry, problems = parse_line(text, source, number)
        errors.extend(problems)
        if entry is not None:
            entries.append(entry)
            numbers.append(number)
    return entries, numbers, errors


def entry_to_json(entry: JournalEntry, *, format_time: Callable[[int], str]) -> dict[str, object]:
    """The JSON Lines object of `entry` (inverse of `parse_line`)."""
    out: dict[str, object] = {
        "postings": [{"account": p.account, "currency": p.currency, "side": p.side, "amount": p.amount} for p in entry.postings]
    }
    if entry.memo:
        out["memo"] = entry.memo
    if entry.metadata:
        out["metadata"] = dict(entry.metadata)
    if entry.reporting_at is not None:
        out["reporting_at"] = format_time(entry.reporting_at)
    if entry.idempotency_key is not None:
        out["idempotency_key"] = entry.idempotency_key
    if entry.reverses is not None:
        out["reverses"] = entry.reverses
    return out
