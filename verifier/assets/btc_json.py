"""bitcoind's JSON: BTC amounts as decimal numbers, converted to integer satoshis exactly.

bitcoind prints amounts as JSON numbers in BTC (``0.00012345``). They are parsed as `Decimal`
(never float) and converted to sats only if the result is a whole, non-negative number of
satoshis within the 21 million BTC supply. The reader also refuses duplicate object keys and
NaN/Infinity, so one file cannot carry two readings of the same field. Used by both the
verifier (an auditor's own UTXO data) and the prover (the bank's snapshots).

Bounds (SPEC 8.2), so that no input makes the reader crash or hang: the bytes are checked before
parsing (at most `MAX_INPUT_BYTES`, nesting at most `MAX_DEPTH`, no run of more than
`MAX_NUMBER_DIGITS` digits outside strings, as `verifier.canonical` measures them); a number's
exponent is at most `MAX_EXPONENT` in magnitude (``1e999999`` would take `Decimal` and `int`
seconds to minutes); strings hold Unicode scalar values only (an escaped lone surrogate could
not be written back). Every breach is a `ValueError` naming the bound. `btc_to_sats` decides
range and precision from the decimal's digits and exponent, never by converting a huge value.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from verifier import canonical

SATS_PER_BTC = 100_000_000
MAX_SAT = 21_000_000 * SATS_PER_BTC
# Reader bounds (SPEC 8.2). Real outputs are kilobytes to megabytes, nest at most 6 levels and
# print numbers of at most 17 significant digits (`difficulty`) with exponents like ``e-10``.
MAX_INPUT_BYTES = canonical.MAX_INPUT_BYTES
MAX_DEPTH = canonical.MAX_DEPTH
MAX_NUMBER_DIGITS = 40
MAX_EXPONENT = 64
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


class BtcAmountError(ValueError):
    """A value is not an exact BTC amount; the message says why."""


def btc_to_sats(value: Any) -> int:
    """Convert a BTC amount parsed as `Decimal` (or `int`) to integer sats, exactly."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise BtcAmountError(f"expected a BTC amount as a JSON number, got {value!r}"[:120])
    if isinstance(value, int):
        if value < 0:
            raise BtcAmountError(f"negative amount {value} BTC is not allowed")
        if value > MAX_SAT // SATS_PER_BTC:
            raise BtcAmountError(f"{_short(value)} BTC exceeds the 21 million BTC supply")
        return int(value) * SATS_PER_BTC
    if not value.is_finite():
        raise BtcAmountError(f"{value} is not a finite amount")
    if value < 0:
        raise BtcAmountError(f"negative amount {_short(value)} BTC is not allowed")
    if value and value.adjusted() >= 8:  # at least 10^8 BTC: decided without multiplying it out
        raise BtcAmountError(f"{_short(value)} BTC exceeds the 21 million BTC supply")
    # Exact from the digits: no context rounding, whatever the number of digits.
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    end = len(digits)
    while end > 1 and digits[end - 1] == 0:
        end, exponent = end - 1, exponent + 1
    coefficient = int("".join(map(str, digits[:end])) or "0")
    if coefficient and exponent + 8 < 0:
        raise BtcAmountError(f"{_short(value)} BTC is not a whole number of satoshis (sub-satoshi precision)")
    number = int(coefficient * 10 ** max(exponent + 8, 0))
    if number > MAX_SAT:
        raise BtcAmountError(f"{_short(value)} BTC exceeds the 21 million BTC supply")
    return number


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else f"{text[:30]}...{text[-20:]}"


def usd_cents_to_sats_up(cents: int, usd_cents_per_btc: int) -> int:
    """``ceil(cents * 1e8 / price)`` in exact integer arithmetic: a liability converted to sats
    rounds against the bank (SPEC 8.7)."""
    return -((-cents * SATS_PER_BTC) // usd_cents_per_btc)


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _reject_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a number")


def _decimal(text: str) -> Decimal:
    _, _, exponent = text.lower().partition("e")
    if exponent and abs(int(exponent)) > MAX_EXPONENT:
        raise ValueError(f"number {_short(text)} has an exponent beyond +-{MAX_EXPONENT}")
    return Decimal(text)


def _check_strings(value: Any, path: str) -> None:
    """Refuse a string (or key) holding a lone surrogate, naming where it is."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"{path}: string holds a lone surrogate (not a Unicode scalar value)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key, f"{path} (a key)" if path else "a key")
            _check_strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_strings(item, f"{path}[{index}]")


def loads(text: str | bytes) -> Any:
    """Parse JSON with fractional numbers as `Decimal`, within the module's bounds; duplicate keys,
    NaN, non-UTF-8 bytes and every bound raise ValueError naming the problem."""
    try:
        data = text if isinstance(text, bytes) else text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text holds a lone surrogate (not a Unicode scalar value)") from None
    problem = canonical.bounds_problem(data, max_bytes=MAX_INPUT_BYTES, max_depth=MAX_DEPTH, max_digits=MAX_NUMBER_DIGITS)
    if problem is not None:
        raise ValueError(problem)
    if isinstance(text, bytes):
        text = text.decode("utf-8")  # UnicodeDecodeError is a ValueError
    try:
        value = json.loads(text, parse_float=_decimal, parse_constant=_reject_constant, object_pairs_hook=_unique)
    except RecursionError:  # cannot happen within MAX_DEPTH; kept so that a bound miss is no crash
        raise ValueError(f"nesting deeper than {MAX_DEPTH} levels") from None
    if _ESCAPED_SURROGATE.search(text):
        _check_strings(value, "")
    return value
