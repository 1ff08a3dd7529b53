"""Money: integer minor units per currency, and the currency table.

Invariants:

* An amount is a Python ``int`` (never ``bool``, never ``float``) counted in the currency's minor
  unit: satoshis for BTC (exponent 8), cents for USD (exponent 2).
* A single posting amount lies in ``1 .. currency.max_amount``; ``max_amount`` is at most
  ``2**53 - 1`` so every amount survives a JSON round trip through any I-JSON parser.
* Decimal input in major units (bitcoind reports BTC as ``0.00012345``) is converted with
  `to_minor_units`, which refuses anything that is not an exact multiple of the minor unit.

Threat model: a float that slipped through would silently round (0.1 + 0.2 BTC); a bool is an
``int`` subclass in Python and would post ``True`` as 1 sat. Both are refused everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

MAX_SAFE_INT = 2**53 - 1


@dataclass(frozen=True, slots=True)
class Currency:
    """A currency the ledger accepts: ISO-4217-like code, decimal exponent and amount bound."""

    code: str
    exponent: int
    max_amount: int
    description: str = ""


BTC = Currency("BTC", 8, 21_000_000 * 10**8, "bitcoin, in satoshis")
USD = Currency("USD", 2, MAX_SAFE_INT, "US dollar, in cents")

#: The currencies the ledger accepts. Extending it is a code change on purpose: every currency
#: must have a fixed exponent before a single amount in it is stored.
CURRENCIES: dict[str, Currency] = {c.code: c for c in (BTC, USD)}


def amount_problem(value: object, currency: Currency | None) -> str | None:
    """Why `value` is not a valid posting amount in `currency` (None when it is valid).

    Returned as a value so batch validation can collect every problem instead of stopping at the
    first one.
    """
    if isinstance(value, bool):
        return "amount must be an integer number of minor units, not a boolean"
    if isinstance(value, float):
        return f"amount must be an integer number of minor units, not a float ({value!r})"
    if isinstance(value, Decimal):
        return f"amount must be an int; convert Decimal major units with to_minor_units ({value})"
    if not isinstance(value, int):
        return f"amount must be an integer number of minor units, not {type(value).__name__}"
    if value <= 0:
        return f"amount must be > 0 (got {value}); use the debit/credit side for direction"
    limit = currency.max_amount if currency is not None else MAX_SAFE_INT
    if value > limit:
        code = currency.code if currency is not None else "any currency"
        return f"amount {value} is out of range for {code} (max {limit})"
    return None


def to_minor_units(value: Decimal | str | int, currency: Currency) -> int:
    """Exact conversion of a major-unit amount (``Decimal('0.00012345')`` BTC) to minor units.

    Raises ``ValueError`` for floats, bools, non-finite values and amounts that are not a whole
    number of minor units. The sign is preserved; range checks are the caller's business.
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(f"{type(value).__name__} is not accepted as a money amount ({value!r})")
    try:
        dec = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"not a decimal number: {value!r}") from None
    if not dec.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    scaled = dec.scaleb(currency.exponent)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} {currency.code} is not a whole number of minor units (exponent {currency.exponent})")
    return int(scaled)


def format_minor_units(amount: int, currency: Currency) -> str:
    """``123456789, BTC`` -> ``'1.23456789'``: exact, for display only."""
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**currency.exponent)
    if currency.exponent == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:0{currency.exponent}d}"
