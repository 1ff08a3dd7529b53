"""bitcoind's JSON: BTC amounts as decimal numbers, converted to integer satoshis exactly.

bitcoind prints amounts as JSON numbers in BTC (``0.00012345``). They are parsed as `Decimal`
(never float) and converted to sats only if the result is a whole, non-negative number of
satoshis within the 21 million BTC supply. The reader also refuses duplicate object keys and
NaN/Infinity, so one file cannot carry two readings of the same field. Used by both the
verifier (an auditor's own UTXO data) and the prover (the bank's snapshots).
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

SATS_PER_BTC = 100_000_000
MAX_SAT = 21_000_000 * SATS_PER_BTC


class BtcAmountError(ValueError):
    """A value is not an exact BTC amount; the message says why."""


def btc_to_sats(value: Any) -> int:
    """Convert a BTC amount parsed as `Decimal` (or `int`) to integer sats, exactly."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise BtcAmountError(f"expected a BTC amount as a JSON number, got {value!r}"[:120])
    try:
        amount = Decimal(value)
        if not amount.is_finite():
            raise InvalidOperation
        sats = amount * SATS_PER_BTC
    except InvalidOperation:
        raise BtcAmountError(f"{value} is not a finite amount") from None
    if sats < 0:
        raise BtcAmountError(f"negative amount {value} BTC is not allowed")
    if sats != sats.to_integral_value():
        raise BtcAmountError(f"{value} BTC is not a whole number of satoshis (sub-satoshi precision)")
    number = int(sats)
    if number > MAX_SAT:
        raise BtcAmountError(f"{value} BTC exceeds the 21 million BTC supply")
    return number


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


def loads(text: str) -> Any:
    """Parse JSON with fractional numbers as `Decimal`; duplicate keys and NaN raise ValueError."""
    return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant, object_pairs_hook=_unique)
