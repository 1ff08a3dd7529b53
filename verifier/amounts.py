"""Amounts as a user reads them (docs/SPEC.md section 9, "Amounts shown to users").

Every artifact carries money as an integer count of minor units (satoshis, cents) and every check
compares those integers. This module only turns one such integer into the text a person reads:
``format_amount("BTC", 43858) == "BTC 0.00043858"``, ``format_amount("USD", 43858) ==
"USD 438.58"``. Invariants: the conversion is exact (integer arithmetic only, never a float, so
no amount is ever rounded or shown with a spurious digit); the currency code is always written
next to the number, so a figure in cents can never be read as dollars; a currency whose exponent
this verifier does not know is shown as its integer minor units with the code, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["EXPONENTS", "MINOR_UNIT_NAMES", "format_amount", "format_amounts", "format_minor_units"]

# ISO 4217 exponent of each currency the protocol knows (BTC: 1 BTC = 10^8 satoshis).
EXPONENTS: dict[str, int] = {"BTC": 8, "USD": 2}
MINOR_UNIT_NAMES: dict[str, str] = {"BTC": "sat", "USD": "cents"}


def _check(minor_units: int) -> None:
    # bool is an int subclass and a float may look like an int: both are refused, never shown.
    if type(minor_units) is not int:
        raise TypeError(f"an amount is an integer number of minor units, not {type(minor_units).__name__}")


def format_amount(currency: str, minor_units: int) -> str:
    """``"BTC 0.00043858"``, ``"USD 1,438.58"``; an unknown currency: ``"EUR 43,858 (minor units)"``."""
    _check(minor_units)
    sign = "-" if minor_units < 0 else ""
    exponent = EXPONENTS.get(currency)
    if exponent is None:
        return f"{currency} {sign}{abs(minor_units):,} (minor units)"
    whole, fraction = divmod(abs(minor_units), 10**exponent)
    return f"{currency} {sign}{whole:,}.{fraction:0{exponent}d}"


def format_minor_units(currency: str, minor_units: int) -> str:
    """The same amount counted in minor units: ``"43,858 sat"``, ``"43,858 cents"``, ``"43,858 EUR minor units"``."""
    _check(minor_units)
    unit = MINOR_UNIT_NAMES.get(currency, f"{currency} minor units")
    return f"{minor_units:,} {unit}"


def format_amounts(pairs: Iterable[tuple[str, int]]) -> str:
    """Several amounts, comma-separated, in the given order: ``"BTC 0.00833944, USD 0.00"``."""
    return ", ".join(format_amount(currency, value) for currency, value in pairs)
