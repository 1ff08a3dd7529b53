"""Strict schema readers shared by every artifact parser (docs/SPEC.md sections 2.1-2.3, 4-5, 10-13).

Each reader takes the JSON value, a path for the message (``commitment.root.sums[1]``) and the
artifact family's exception class, and returns the typed value or raises that family's error with
its default (schema) reason. Together they make `parse` symmetric with `to_json`: a value is
accepted only in the one form `to_json` writes back (lower-case hex, decimal strings without
leading zeros, integers that are not booleans, no unknown or missing members), so for every
accepted document ``to_json(parse(doc)) == doc`` and two different documents never parse to equal
artifacts.

Invariant: the format marker is read before anything else, and an unknown one is `CannotVerify`
(``UNSUPPORTED_VERSION``, exit 3), so a future version is reported as undecidable, not malformed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from verifier.encoding import EPOCH_RE
from verifier.errors import CannotVerify, Reason, VerificationError

# A JSON value as `canonical.loads` returns it; readers narrow it to the artifact's types.
JSON = Any
JSONObject = dict[str, Any]

Error = type[VerificationError]
T = TypeVar("T")

HEX64 = re.compile(r"[0-9a-f]{64}")
HEX32 = re.compile(r"[0-9a-f]{32}")
HEX128 = re.compile(r"[0-9a-f]{128}")
# Decimal amount strings: the schema admits a sign and up to 80 digits so that range checks
# (negative, too wide) can report their own reason codes; the canonical form has no leading zeros.
AMOUNT_RE = re.compile(r"-?(0|[1-9][0-9]{0,79})")
UTC_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class UtcTime(str):
    """A whole-second UTC instant in its one written form ``YYYY-MM-DDTHH:MM:SSZ`` (SPEC 4).

    The cut-off ``as_of`` of every artifact and a receipt's ``issued_at`` are this type. It is a
    string (so it is written into JSON and compared as itself: the fixed width makes text order
    time order) that can only hold a real calendar time; `to_datetime()` gives the aware datetime.
    """

    __slots__ = ()

    def __new__(cls, text: str) -> UtcTime:
        if not isinstance(text, str) or not UTC_RE.fullmatch(text):
            raise ValueError(f"a time is written YYYY-MM-DDTHH:MM:SSZ (UTC, whole seconds), got {text!r}")
        datetime.strptime(text, _UTC_FORMAT)  # refuses 2026-02-30 and 25:00
        return super().__new__(cls, text)

    @classmethod
    def of(cls, when: datetime) -> UtcTime:
        """The time of an aware datetime, which must be whole seconds."""
        if when.tzinfo is None or when.microsecond:
            raise ValueError("a cut-off is an aware datetime of whole seconds")
        t = when.astimezone(UTC)
        return cls(f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}Z")

    def to_datetime(self) -> datetime:
        """The aware UTC datetime of this time."""
        return datetime.strptime(self, _UTC_FORMAT).replace(tzinfo=UTC)


class Artifact(Protocol):
    """What every typed artifact offers: its JSON object and the bytes of the file holding it."""

    def to_json(self) -> JSONObject: ...

    def to_bytes(self) -> bytes: ...


def check_format(doc: JSON, fmt: str, kind: str, error: Error, *,
                 unknown: Reason = Reason.UNSUPPORTED_VERSION) -> JSONObject:
    """Version first (unknown -> `CannotVerify`, exit 3), then the artifact type; returns the object."""
    if not isinstance(doc, dict):
        raise error(f"a {kind} is a JSON object")
    if doc.get("format") != fmt:
        raise CannotVerify(f"unsupported {kind} format {doc.get('format')!r}; this verifier understands {fmt!r} only",
                           reason=unknown)
    if doc.get("type") != kind:
        raise error(f"type is {doc.get('type')!r}, expected {kind!r}")
    return doc


def members(doc: JSON, expected: frozenset[str] | set[str], where: str, error: Error) -> JSONObject:
    """`doc` must be an object with exactly the `expected` members."""
    if not isinstance(doc, dict):
        raise error(f"{where} must be an object")
    missing, extra = set(expected) - set(doc), set(doc) - set(expected)
    if missing or extra:
        raise error(f"{where}: missing members {sorted(missing)}, unknown members {sorted(extra)}")
    return doc


def amount(value: JSON, where: str, error: Error) -> int:
    """A decimal amount string (sign allowed here; ranges are checked by the caller)."""
    if not isinstance(value, str) or not AMOUNT_RE.fullmatch(value) or value == "-0":
        raise error(f"{where} must be a decimal string without leading zeros, got {value!r}")
    return int(value)


def amounts(value: JSON, count: int, where: str, error: Error) -> tuple[int, ...]:
    """A list of exactly `count` decimal amount strings."""
    if not isinstance(value, list) or len(value) != count:
        raise error(f"{where} must hold {count} amount(s), one per asset")
    return tuple(amount(v, f"{where}[{j}]", error) for j, v in enumerate(value))


def write_amounts(values: tuple[int, ...]) -> list[str]:
    return [str(v) for v in values]


def hex_bytes(value: JSON, where: str, error: Error, pattern: re.Pattern[str] = HEX64) -> bytes:
    """Lower-case hex of a length the pattern fixes."""
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise error(f"{where} must be lower-case hex ({pattern.pattern}), got {value!r}")
    return bytes.fromhex(value)


def integer(value: JSON, where: str, error: Error, minimum: int | None = None) -> int:
    """A JSON integer (not a boolean), at least `minimum` when given."""
    if type(value) is not int:
        raise error(f"{where} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise error(f"{where} must be >= {minimum}, got {value}")
    return value


def text(value: JSON, where: str, error: Error, pattern: re.Pattern[str] | None = None) -> str:
    """A string (matching `pattern` when given)."""
    if not isinstance(value, str) or (pattern is not None and not pattern.fullmatch(value)):
        rule = f" matching {pattern.pattern}" if pattern is not None else ""
        raise error(f"{where} must be a string{rule}, got {value!r}")
    return value


def epoch_id(value: JSON, where: str, error: Error) -> str:
    """An epoch id (SPEC 3.1)."""
    return text(value, where, error, EPOCH_RE)


def utc_time(value: JSON, where: str, error: Error) -> UtcTime:
    """A `UtcTime` written YYYY-MM-DDTHH:MM:SSZ."""
    try:
        return UtcTime(value)
    except ValueError as exc:
        raise error(f"{where}: {exc}") from None


def key_id(value: JSON, where: str, error: Error) -> str:
    """A key id: 32 lower-case hex characters (SPEC 2.3)."""
    return text(value, where, error, HEX32)


def optional(value: JSON, read: Callable[[JSON], T]) -> T | None:
    """`None` for JSON null, else `read(value)`."""
    return None if value is None else read(value)
