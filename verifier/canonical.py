"""Canonical JSON (docs/SPEC.md section 2.2): the exact bytes that are hashed and signed.

Every signed artifact is a JSON object whose canonical encoding is:

* UTF-8, no byte-order mark, no insignificant whitespace (separators ``,`` and ``:``);
* object keys are ASCII strings, sorted by code point, unique;
* values are objects, arrays, strings, ``true``, ``false``, ``null`` or integers in
  ``[-(2**53 - 1), 2**53 - 1]`` (I-JSON safe); larger amounts are carried as decimal strings;
* no floats, NaN or Infinity anywhere;
* strings are escaped as Python's ``json.dumps(ensure_ascii=False)`` does: ``\\"``, ``\\\\``,
  ``\\b \\f \\n \\r \\t`` and ``\\u00XX`` for the other control characters; everything else is
  written as its UTF-8 bytes;
* a file holding an artifact is its canonical encoding followed by exactly one ``\\n``;
* bounds (SPEC 2.2), checked on the raw bytes before any parsing: at most `MAX_INPUT_BYTES`
  bytes, nesting depth at most `MAX_DEPTH`, no number token longer than `MAX_NUMBER_DIGITS`
  digits; strings hold Unicode scalar values only (no lone surrogate, escaped or not).

`parse` is strict: duplicate keys, floats, unsafe integers, non-canonical bytes and trailing data
are refused with `NonCanonical`. Threat: two encodings of one artifact must never both verify,
or a signature over one could be replayed as the other. Second threat: a bank that sends bytes
the parser cannot handle (a 5,000-digit integer, 5,000 nested arrays, a lone surrogate) must get
"invalid", never "undecidable": every such input is refused here with `NonCanonical`, before the
standard library could raise ValueError, RecursionError or UnicodeEncodeError.
"""

from __future__ import annotations

import json
import operator
import re
from itertools import accumulate, count
from typing import Any

from verifier.errors import Reason, VerificationError

MAX_SAFE_INT = 2**53 - 1
# SPEC 2.2 bounds. The largest published artifact (an attestation listing every UTXO) stays far
# below 64 MiB; canonical artifacts nest at most 8 levels; 2^53 - 1 has 16 digits.
MAX_INPUT_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64
MAX_NUMBER_DIGITS = 16

_LONG_NUMBER = re.compile(rb"[0-9]{%d,}" % (MAX_NUMBER_DIGITS + 1))
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
# An opening bracket counts 2, a closing one 0: after i + 1 brackets the depth is the sum - (i + 1).
_BRACKET_WEIGHT = bytes(2 if b in b"[{" else 0 for b in range(256))


class NonCanonical(VerificationError):
    """The bytes are not the canonical encoding of a JSON value allowed by the spec."""

    default_reason = Reason.NON_CANONICAL_ENCODING


def check_bounds(data: bytes) -> None:
    """Refuse input over the SPEC 2.2 size, nesting or number-length bounds, before parsing."""
    problem = bounds_problem(data)
    if problem is not None:
        raise NonCanonical(problem)


def bounds_problem(
    data: bytes, *, max_bytes: int = MAX_INPUT_BYTES, max_depth: int = MAX_DEPTH, max_digits: int = MAX_NUMBER_DIGITS
) -> str | None:
    """Why `data` breaks the size, nesting or digit-run bounds (None if it does not), read on the
    raw bytes in linear time, before any parser sees them. The other JSON readers of the verifier
    (`verifier.assets.btc_json`) use it with their own digit bound."""
    if len(data) > max_bytes:
        return f"input is {len(data)} bytes; at most {max_bytes}"
    skeleton = _outside_strings(data)
    long_number = _LONG_NUMBER if max_digits == MAX_NUMBER_DIGITS else re.compile(rb"[0-9]{%d,}" % (max_digits + 1))
    if long_number.search(skeleton):
        return f"a number has more than {max_digits} digits" + (" (outside the I-JSON safe range)" if max_digits == MAX_NUMBER_DIGITS else "")
    weights = skeleton.translate(_BRACKET_WEIGHT, _NOT_BRACKET)
    if max(map(operator.sub, accumulate(weights), count(1)), default=0) > max_depth:
        return f"nesting deeper than {max_depth} levels"
    return None


def _outside_strings(data: bytes) -> bytes:
    """The bytes of `data` outside its JSON strings (strings may hold any bracket or digit)."""
    # Without escaped backslashes and escaped quotes, every remaining quote opens or closes a string.
    plain = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    return b"".join(plain.split(b'"')[0::2])


def _check_string(value: str, path: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise NonCanonical(f"{path}: string holds a lone surrogate (not a Unicode scalar value)") from None


def _check(value: Any, path: str, depth: int = 1) -> None:
    """`value` is an allowed JSON value; `depth` counts the containers down to it (SPEC 2.2 bound)."""
    if isinstance(value, (dict, list, tuple)) and depth > MAX_DEPTH:
        raise NonCanonical(f"{path}: nesting deeper than {MAX_DEPTH} levels")
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, str):
        _check_string(value, path)
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            raise NonCanonical(f"{path}: integer {value} is outside the I-JSON safe range; use a decimal string")
        return
    if isinstance(value, float):
        raise NonCanonical(f"{path}: floats are not allowed (got {value!r})")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise NonCanonical(f"{path}: object keys must be ASCII strings (got {ascii(key)})")
            _check(item, f"{path}.{key}", depth + 1)
        return
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]", depth + 1)
        return
    raise NonCanonical(f"{path}: {type(value).__name__} is not a JSON value")


def dumps(value: Any) -> bytes:
    """The canonical encoding of `value` (no trailing newline)."""
    _check(value, "$")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def dump_file_bytes(value: Any) -> bytes:
    """The bytes of a file holding `value`: its canonical encoding and one newline."""
    return dumps(value) + b"\n"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in pairs:
        if key in out:
            raise NonCanonical(f"duplicate object key {key!r}")
        out[key] = item
    return out


def _reject_float(text: str) -> Any:
    raise NonCanonical(f"floats are not allowed (got {text})")


def _reject_constant(text: str) -> Any:
    raise NonCanonical(f"{text} is not allowed")


def loads(data: bytes, *, require_canonical: bool = True) -> Any:
    """Parse JSON strictly. With `require_canonical`, the input must be exactly `dumps` of the
    result, optionally followed by one newline."""
    if isinstance(data, str):
        raise TypeError("loads takes bytes")
    check_bounds(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NonCanonical(f"not UTF-8: {exc}") from None
    if text.startswith("\ufeff"):
        raise NonCanonical("byte-order mark is not allowed")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=_reject_float,
            parse_constant=_reject_constant,
        )
    except (json.JSONDecodeError, RecursionError) as exc:
        # RecursionError cannot happen within MAX_DEPTH; kept so that no bound miss is a crash.
        raise NonCanonical(f"not valid JSON: {exc}") from None
    _check(value, "$")
    if require_canonical:
        body = data[:-1] if data.endswith(b"\n") else data
        if body != dumps(value):
            raise NonCanonical("bytes are not the canonical encoding (key order, whitespace or escaping differ)")
    return value
