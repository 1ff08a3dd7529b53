"""Typed, strict access to the fields of raw lncli and bitcoind JSON outputs.

The raw outputs are not ours: lncli prints protobuf int64/uint64 fields as JSON *strings* and
uint32 fields as numbers, enums as their names; bitcoind prints amounts as BTC decimals. Each
accessor names the file and the field in its error, so an operator can find the bad value.

Invariants: no amount ever passes through a float (bitcoind JSON is parsed with
``parse_float=Decimal``; a JSON number where lncli prints a string is refused); `bool` is never
accepted as an integer; negative amounts are refused; a BTC amount must be a whole number of sats.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from verifier.assets import btc_json
from verifier.assets.btc_json import MAX_SAT

_DIGITS = re.compile(r"0|[1-9][0-9]*")
_HEX32 = re.compile(r"[0-9a-f]{64}")


class SnapshotError(ValueError):
    """A snapshot file is missing, unreadable or holds a value that breaks a rule."""

    def __init__(self, file: str, field: str | None, reason: str) -> None:
        self.file, self.field, self.reason = file, field, reason
        where = f"{file}: {field}" if field else file
        super().__init__(f"{where}: {reason}")




def read_json(directory: Path, name: str, *, required: bool = True) -> Any:
    """Parse ``directory/name`` with JSON numbers that have a fraction or exponent as `Decimal`."""
    path = directory / name
    if not path.is_file():
        if required:
            raise SnapshotError(name, None, f"file is missing from the snapshot directory {directory}")
        return None
    try:
        if path.stat().st_size > btc_json.MAX_INPUT_BYTES:
            raise SnapshotError(name, None, f"file is larger than {btc_json.MAX_INPUT_BYTES} bytes")
        return btc_json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:  # bounds, syntax, UTF-8 and surrogates are ValueErrors
        if isinstance(exc, SnapshotError):
            raise
        raise SnapshotError(name, None, f"not readable JSON ({exc})") from None


class Fields:
    """A JSON object from file `file` at path `path`, with strict typed getters."""

    __slots__ = ("file", "path", "data")

    def __init__(self, data: Any, file: str, path: str = "") -> None:
        if not isinstance(data, dict):
            raise SnapshotError(file, path or None, f"expected a JSON object, got {type(data).__name__}")
        self.data, self.file, self.path = data, file, path

    def _name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str | None, reason: str) -> SnapshotError:
        return SnapshotError(self.file, self._name(key) if key else (self.path or None), reason)

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str) -> Any:
        if key not in self.data:
            raise self.error(key, "field is missing")
        return self.data[key]

    def obj(self, key: str) -> Fields:
        return Fields(self.raw(key), self.file, self._name(key))

    def objects(self, key: str, *, default_empty: bool = False) -> list[Fields]:
        if default_empty and key not in self.data:
            return []
        items = self.raw(key)
        if not isinstance(items, list):
            raise self.error(key, f"expected a JSON array, got {type(items).__name__}")
        return [Fields(item, self.file, f"{self._name(key)}[{i}]") for i, item in enumerate(items)]

    def string(self, key: str, *, pattern: re.Pattern[str] | None = None, what: str = "") -> str:
        value = self.raw(key)
        if not isinstance(value, str):
            raise self.error(key, f"expected a string, got {_describe(value)}")
        if pattern is not None and not pattern.fullmatch(value):
            shown = repr(value) if len(value) <= 80 else f"{value[:40]!r}... ({len(value)} characters)"
            raise self.error(key, f"{shown} is not {what or 'well formed'}")
        return value

    def boolean(self, key: str) -> bool:
        value = self.raw(key)
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {_describe(value)}")
        return value

    def uint32(self, key: str) -> int:
        """A protobuf uint32 (lncli prints it as a JSON number) or a bitcoind integer."""
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"expected an integer, got {_describe(value)}")
        if not 0 <= value < 2**32:
            raise self.error(key, f"{value} is out of range (0 .. 2^32-1)")
        return value

    def int64_string(self, key: str, *, amount: bool = True) -> int:
        """A protobuf int64/uint64 printed by lncli as a decimal string; refuses negatives."""
        value = self.raw(key)
        if not isinstance(value, str):
            raise self.error(key, f"expected a decimal string (lncli prints int64 fields as strings), got {_describe(value)}")
        if value.startswith("-"):
            raise self.error(key, f"negative value {value} is not allowed")
        if not _DIGITS.fullmatch(value):
            raise self.error(key, f"{value[:40]!r} is not a decimal integer")
        if len(value) > 20:  # 2^64 has 20 digits; never convert a 5,000-digit string
            raise self.error(key, f"a {len(value)}-digit number does not fit 64 bits")
        number = int(value)
        if amount and number > MAX_SAT:
            raise self.error(key, f"{number} sats exceeds the 21 million BTC supply")
        if number >= 2**64:
            raise self.error(key, f"{number} does not fit 64 bits")
        return number

    def int_amount(self, key: str, *, amount: bool = True) -> int:
        """A non-negative JSON integer (lncli's own structs print amounts as numbers)."""
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"expected an integer, got {_describe(value)}")
        if value < 0:
            raise self.error(key, f"negative value {value} is not allowed")
        if amount and value > MAX_SAT:
            raise self.error(key, f"{value} sats exceeds the 21 million BTC supply")
        if value >= 2**64:
            raise self.error(key, f"{value} does not fit 64 bits")
        return value

    def btc_amount(self, key: str) -> int:
        """A bitcoind BTC amount (a JSON number) converted to sats exactly."""
        return btc_to_sats(self.raw(key), self.error, key)

    def hex32(self, key: str) -> str:
        return self.string(key, pattern=_HEX32, what="64 lower-case hex digits")


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, Decimal):
        return f"number {value} (a float)"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if value is None:
        return "null"
    text = f"{type(value).__name__} {value!r}"
    return text if len(text) <= 80 else text[:76] + "...'"


def btc_to_sats(value: Any, error: Callable[[str, str], Exception], key: str) -> int:
    """Convert a BTC amount parsed as `Decimal` (or `int`) to integer sats, exactly
    (`verifier.assets.btc_json.btc_to_sats`), reporting failures through `error(key, reason)`."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise error(key, f"expected a BTC amount as a JSON number, got {_describe(value)}")
    try:
        return btc_json.btc_to_sats(value)
    except btc_json.BtcAmountError as exc:
        raise error(key, str(exc)) from None
