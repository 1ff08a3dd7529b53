"""medici's document layout, and the strict mapping of its documents onto the ledger's values.

A leg (``medici_transactions`` document) maps to one `Posting`: ``accounts`` is the account path,
``currency`` (Galoy's top-level field) the currency, ``credit - debit`` the signed amount (credits
positive, as in `ledger.entries.Posting.signed`). medici stores amounts as JavaScript numbers
(BSON doubles); the toolkit writes BSON 64-bit integers. Either way an amount is accepted only if
it is an exact, non-negative integer no larger than 2**53 - 1 (doubles are exact up to there);
anything else (0.5, NaN, infinity, a string, a boolean, a missing field) is refused with an error
naming the document ``_id`` and the field. A leg whose credit and debit are both 0 carries no
money: it is not a posting.

Times: BSON dates have millisecond resolution, the ledger counts microseconds. ``datetime`` (the
reporting axis) converts exactly, ``us = ms * 1000``. ObjectIds carry whole seconds.

Identifiers of toolkit-written documents: a leg's ObjectId is ``seconds(committed_at)`` (4 bytes)
followed by ``seq`` (5 bytes) and the posting index (3 bytes); its journal's ObjectId uses index
``0``. Because ``committed_at`` strictly increases with ``seq``, ObjectId order is commit order,
as it is for medici's server-generated ids.

Threat model: the database is written by another program (Galoy); nothing in it is trusted to be
well formed. Every value that reaches a balance goes through this module or through the
equivalent checks of `ledger.mongo.pipelines`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bson import Decimal128, Int64, ObjectId

from ledger.entries import CREDIT, DEBIT, Posting
from ledger.errors import MediciDocumentError
from ledger.money import CURRENCIES, MAX_SAFE_INT

TRANSACTIONS = "medici_transactions"
JOURNALS = "medici_journals"
META = "solvency_meta"
DEFAULT_BOOK = "MainBook"
FORMAT = "pos-ledger-mongo/1"
STORE_DOC = "store"
HEAD_DOC = "head"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def amount_problem(value: object) -> str | None:
    """Why a stored credit/debit value is not an exact non-negative integer (None when it is)."""
    if isinstance(value, bool):
        return f"amount is a boolean ({value!r}), not a number"
    if isinstance(value, (int, Int64)):
        return None if 0 <= value <= MAX_SAFE_INT else f"amount {int(value)} is outside 0 .. 2**53-1"
    if isinstance(value, float):
        if not math.isfinite(value):
            return f"amount is not finite ({value!r})"
        if value != math.floor(value):
            return f"amount {value!r} is not a whole number of minor units"
        if not 0 <= value <= MAX_SAFE_INT:
            return f"amount {value!r} is outside 0 .. 2**53-1"
        return None
    if isinstance(value, Decimal128):
        dec = value.to_decimal()
        if not dec.is_finite() or dec != dec.to_integral_value():
            return f"amount {dec} is not a whole number of minor units"
        return None if 0 <= dec <= MAX_SAFE_INT else f"amount {dec} is outside 0 .. 2**53-1"
    if value is None:
        return "amount is missing or null"
    return f"amount has type {type(value).__name__}, not a number"


def exact_amount(value: object) -> Decimal | None:
    """A stored amount as an exact Decimal when it is a finite number in ``0 .. 2**53-1`` (whole
    or fractional), else None. A double is read through its shortest round-trip text (``repr``),
    i.e. the decimal a JavaScript program wrote, and that reading is checked to map back to the
    very same double; no float arithmetic is done on it."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Int64)):
        dec = Decimal(int(value))
    elif isinstance(value, float):
        if not math.isfinite(value):
            return None
        dec = Decimal(repr(value))
        if float(dec) != value:
            return None
    elif isinstance(value, Decimal128):
        dec = value.to_decimal()
        if not dec.is_finite():
            return None
    else:
        return None
    return dec if 0 <= dec <= MAX_SAFE_INT else None


def fractional_amount(value: object) -> Decimal | None:
    """The exact value of an amount that is a valid number except for a fractional part."""
    dec = exact_amount(value)
    return dec if dec is not None and dec != dec.to_integral_value() else None


def leg_type(doc: Mapping[str, Any]) -> str | None:
    """Galoy's ``LedgerTransactionType`` of a leg (top-level ``type``), None when absent."""
    kind = doc.get("type")
    return kind if isinstance(kind, str) and kind else None


def amount_of(doc: Mapping[str, Any], field: str) -> int:
    value = doc.get(field)
    problem = amount_problem(value)
    if problem:
        raise MediciDocumentError(TRANSACTIONS, doc.get("_id"), field, problem)
    if isinstance(value, Decimal128):
        return int(value.to_decimal())
    return int(value)  # type: ignore[arg-type]


def leg_signed_amount(doc: Mapping[str, Any]) -> int:
    """``credit - debit`` of a leg, in minor units (credits positive)."""
    return amount_of(doc, "credit") - amount_of(doc, "debit")


def leg_currency(doc: Mapping[str, Any]) -> str:
    code = doc.get("currency")
    if not isinstance(code, str) or code not in CURRENCIES:
        reason = "missing (Galoy writes BTC or USD)" if code is None else f"unknown currency {code!r} (known: {', '.join(CURRENCIES)})"
        raise MediciDocumentError(TRANSACTIONS, doc.get("_id"), "currency", reason)
    return code


def leg_account(doc: Mapping[str, Any]) -> str:
    path = doc.get("accounts")
    if not isinstance(path, str) or not path:
        raise MediciDocumentError(TRANSACTIONS, doc.get("_id"), "accounts", f"not an account path: {path!r}")
    return path


def leg_posting(doc: Mapping[str, Any]) -> Posting | None:
    """The posting a leg stands for, or None for a leg that moves nothing (credit = debit = 0)."""
    account = leg_account(doc)
    currency = leg_currency(doc)
    signed = leg_signed_amount(doc)
    if signed == 0:
        return None
    return Posting(account, currency, CREDIT if signed > 0 else DEBIT, abs(signed))


def datetime_to_us(value: object, collection: str, doc_id: object, field: str) -> int:
    if not isinstance(value, datetime):
        raise MediciDocumentError(collection, doc_id, field, f"not a date: {value!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def us_to_datetime(us: int) -> datetime:
    """Microseconds -> a UTC datetime truncated to the millisecond (what BSON can hold)."""
    seconds, micros = divmod(us, 1_000_000)
    return datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=(micros // 1000) * 1000)


def ms_floor_datetime(us: int) -> datetime:
    """The last BSON date that is <= the microsecond instant `us`."""
    return us_to_datetime(us)


def object_id_seconds(oid: ObjectId) -> int:
    return int.from_bytes(oid.binary[:4], "big")


def object_id_for(committed_at: int, seq: int, index: int) -> ObjectId:
    """The ObjectId of a toolkit-written document (see the module docstring)."""
    if not 0 <= seq < 1 << 40 or not 0 <= index < 1 << 24:
        raise ValueError("seq or posting index out of range for an ObjectId")
    seconds = committed_at // 1_000_000
    return ObjectId(seconds.to_bytes(4, "big") + seq.to_bytes(5, "big") + index.to_bytes(3, "big"))


def object_id_bound_after_second(us: int) -> ObjectId:
    """The smallest ObjectId of the second after the one containing `us`: ``_id <`` it selects
    every id generated in a second that started at or before `us`."""
    return ObjectId((us // 1_000_000 + 1).to_bytes(4, "big") + bytes(8))
