"""Per-user balances, the prover's input (docs/SPEC.md section 3.1).

Input rows are ``(user_id, currency, amount)`` in minor units (sats, cents). Every row of a batch
is validated and *all* problems are collected before anything is built:

* amounts are integers (a CSV cell like ``1.5`` or ``1e3``, a float Parquet column or a Python
  float/bool is refused), below 2^64;
* a (user, currency) pair appears at most once (duplicates would let two leaves hide one user);
* currencies are in the committed currency vector;
* user ids are 1..256 UTF-8 bytes without control characters;
* negative balances are refused, listing every offending user; with ``exclude_negative`` each
  negative (user, currency) amount is committed as 0 and listed in `Balances.excluded_negative`
  instead (a negative liability would net against other users' money, which the tree must never
  do). The user's other balances stay exactly as they are: a negative amount in one currency never
  removes or lowers a positive amount in another (SPEC 3.1), so the totals are the sums of all
  positive balances.

The result is a frozen `Balances` holding the user ids and a ``(n, m)`` uint64 matrix.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.frames import COLUMNS
from verifier.encoding import ASSET_RE, LEAF_VALUE_LIMIT, MAX_ID_BYTES

_INT_RE = re.compile(r"-?(0|[1-9][0-9]*)")
# The file's columns are the ledger's (`ledger.frames.COLUMNS`, ``user_id,currency,amount``):
# ``solvency ledger balances`` writes exactly what ``solvency tree build --balances`` reads.
USER, CURRENCY, AMOUNT = COLUMNS
HEADER = ",".join(COLUMNS)
MAX_REPORTED = 200


class BalancesRejected(Exception):
    """The input batch has errors; `errors` lists every one of them (up to a cap)."""

    def __init__(self, source: str, errors: list[str], total: int | None = None) -> None:
        self.source = source
        self.errors = tuple(errors[:MAX_REPORTED])
        self.total = total if total is not None else len(errors)
        more = f"\n  ... and {self.total - len(self.errors)} more" if self.total > len(self.errors) else ""
        super().__init__(f"{source}: {self.total} error(s):\n  " + "\n  ".join(self.errors) + more)


@dataclass(frozen=True, slots=True)
class Negative:
    user_id: str
    currency: str
    amount: int


@dataclass(frozen=True, slots=True)
class Balances:
    """Validated balances: `user_ids[i]` holds `amounts[i, j]` of `currencies[j]` (numpy uint64)."""

    currencies: tuple[str, ...]
    user_ids: tuple[str, ...]
    amounts: Any  # numpy.ndarray of shape (n, m), dtype uint64
    excluded_negative: tuple[Negative, ...] = ()  # committed as 0, each listed once

    @property
    def totals(self) -> tuple[int, ...]:
        return tuple(int(sum(int(v) for v in self.amounts[:, j])) for j in range(len(self.currencies)))


def parse_currencies(text: str) -> tuple[str, ...]:
    """The committed currency vector from its command-line form ``BTC,USD`` (the `--assets` option)."""
    currencies = tuple(a.strip() for a in text.split(",") if a.strip())
    if not currencies or len(set(currencies)) != len(currencies) or not all(ASSET_RE.fullmatch(a) for a in currencies):
        raise ValueError(f"--assets must be distinct codes like BTC,USD (got {text!r})")
    return currencies


def _user_id_problem(user_id: object) -> str | None:
    if not isinstance(user_id, str) or not user_id:
        return "user id must be a non-empty string"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in user_id):
        return "user id contains a control character"
    if len(user_id.encode("utf-8")) > MAX_ID_BYTES:
        return f"user id is longer than {MAX_ID_BYTES} bytes"
    return None


def from_rows(
    rows: Iterable[tuple[object, object, object]],
    currencies: tuple[str, ...],
    *,
    source: str,
    exclude_negative: bool = False,
    first_line: int = 2,
) -> Balances:
    """Validate rows (strings from CSV, or ints from Parquet/the ledger) and pivot them."""
    import numpy as np

    index: dict[str, int] = {}
    values: list[list[int]] = []
    seen: set[tuple[int, int]] = set()
    errors: list[str] = []
    negatives: list[Negative] = []
    asset_pos = {a: j for j, a in enumerate(currencies)}
    m = len(currencies)
    for line, (user_id, currency, raw) in enumerate(rows, start=first_line):
        where = f"row {line}"
        problem = _user_id_problem(user_id)
        if problem or not isinstance(user_id, str):
            errors.append(f"{where}: {problem} ({user_id!r})" if len(repr(user_id)) <= 80 else f"{where}: {problem} ({repr(user_id)[:60]}...)")
            continue
        if currency not in asset_pos:
            errors.append(f"{where}: user {user_id!r}: unknown currency {currency!r} (committed assets: {','.join(currencies)})")
            continue
        if isinstance(raw, bool) or isinstance(raw, float) or not isinstance(raw, (int, str)):
            errors.append(f"{where}: user {user_id!r}: amount {raw!r} is not an integer in minor units (floats are rejected)")
            continue
        if isinstance(raw, str):
            if not _INT_RE.fullmatch(raw) or len(raw) > 40:  # never convert a 5,000-digit string
                shown = repr(raw) if len(raw) <= 40 else f"{raw[:20]!r}... ({len(raw)} characters)"
                errors.append(f"{where}: user {user_id!r}: amount {shown} is not an integer in minor units below 2^64 (floats are rejected)")
                continue
            raw = int(raw)
        if raw >= LEAF_VALUE_LIMIT:
            errors.append(f"{where}: user {user_id!r}: amount {raw} is not below 2^64")
            continue
        i = index.get(user_id)
        if i is None:
            i = index[user_id] = len(values)
            values.append([0] * m)
        j = asset_pos[currency]
        if (i, j) in seen:
            errors.append(f"{where}: duplicate user id {user_id!r} for currency {currency}")
            continue
        seen.add((i, j))
        if raw < 0:
            negatives.append(Negative(user_id, currency, raw))
            continue
        values[i][j] = raw
    if negatives and not exclude_negative:
        errors.extend(
            f"user {n.user_id!r}: negative {n.currency} balance {n.amount} (use --exclude-negative to report them separately)"
            for n in negatives
        )
    if errors:
        raise BalancesRejected(source, errors)
    # A negative amount stays 0 in `values`; the user and their other balances are kept.
    amounts = np.array(values, dtype=np.uint64).reshape(len(values), m)
    return Balances(currencies, tuple(index), amounts, tuple(negatives))


_MAX_U64 = str(LEAF_VALUE_LIMIT - 1)


def _fast_pivot(user_col: Any, currency_col: Any, amount_col: Any, currencies: tuple[str, ...]) -> Balances | None:
    """Vectorised validation and pivot with pyarrow/numpy for input without any problem.

    Returns None as soon as anything is off (a bad id, currency or amount, a negative, a
    duplicate); the caller then runs the row-by-row path, which reports *every* problem."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if user_col.null_count or currency_col.null_count or amount_col.null_count:
        return None
    if not (pa.types.is_string(user_col.type) and pa.types.is_string(currency_col.type)):
        return None
    n_rows = len(user_col)
    lengths = pc.binary_length(user_col)
    if n_rows and (pc.min(lengths).as_py() < 1 or pc.max(lengths).as_py() > MAX_ID_BYTES):
        return None
    if pc.any(pc.match_substring_regex(user_col, r"[\x00-\x1f\x7f]")).as_py():
        return None
    asset_index = pc.index_in(currency_col, value_set=pa.array(list(currencies)))
    if asset_index.null_count:
        return None
    if pa.types.is_string(amount_col.type):
        if not pc.all(pc.match_substring_regex(amount_col, r"^(0|[1-9][0-9]*)$")).as_py() and n_rows:
            return None  # malformed or negative amounts
        digits = pc.utf8_length(amount_col)
        too_long = pc.or_(pc.greater(digits, 20), pc.and_(pc.equal(digits, 20), pc.greater(amount_col, _MAX_U64)))
        if pc.any(too_long).as_py():
            return None
        values = pc.cast(amount_col, pa.uint64()).to_numpy(zero_copy_only=False)
    elif pa.types.is_integer(amount_col.type):
        if pa.types.is_signed_integer(amount_col.type) and n_rows and pc.min(amount_col).as_py() < 0:
            return None
        values = pc.cast(amount_col, pa.uint64()).to_numpy(zero_copy_only=False)
    else:
        return None
    encoded = pc.dictionary_encode(user_col).combine_chunks() if isinstance(user_col, pa.ChunkedArray) else pc.dictionary_encode(user_col)
    user_index = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    m = len(currencies)
    j = asset_index.to_numpy(zero_copy_only=False).astype(np.int64)
    combined = np.sort(user_index * m + j)
    if n_rows > 1 and (combined[1:] == combined[:-1]).any():
        return None
    user_ids = tuple(encoded.dictionary.to_pylist())
    amounts = np.zeros((len(user_ids), m), dtype=np.uint64)
    amounts[user_index, j] = values
    return Balances(currencies, user_ids, amounts)


def from_ledger_rows(
    rows: Iterable[tuple[str, str, int]],
    currencies: tuple[str, ...],
    *,
    source: str,
    exclude_negative: bool = False,
) -> Balances:
    """Balances from the ledger's ``(user_id, currency, amount)`` rows (`Store.user_balances`):
    the vectorised path when every row is fine, else `from_rows`, which names every problem."""
    import pyarrow as pa

    columns = tuple(zip(*rows)) or ((), (), ())
    users, codes, amounts = columns
    fast = None
    if users:
        try:
            arrays = (pa.array(users, pa.string()), pa.array(codes, pa.string()), pa.array(amounts, pa.int64()))
        except (pa.ArrowException, OverflowError, TypeError):
            arrays = None
        if arrays is not None:
            fast = _fast_pivot(*arrays, currencies)
    if fast is not None:
        return fast
    return from_rows(zip(*columns), currencies, source=source, exclude_negative=exclude_negative, first_line=1)


def _arrow_csv(path: str) -> Any:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(COLUMNS, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, OSError, ValueError):
        return None
    if table.column_names != list(COLUMNS):
        return None
    return table


def load_csv(path: str, currencies: tuple[str, ...], *, exclude_negative: bool = False) -> Balances:
    """CSV with header `HEADER`, ``user_id,currency,amount`` (extra columns refused)."""
    table = _arrow_csv(path)
    if table is not None:
        fast = _fast_pivot(table.column(USER), table.column(CURRENCY), table.column(AMOUNT), currencies)
        if fast is not None:
            return fast

    try:
        handle = open(path, newline="", encoding="utf-8")
    except OSError as exc:
        raise BalancesRejected(path, [f"cannot open: {exc.strerror or exc}"]) from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise BalancesRejected(path, [f"empty file (expected header {HEADER})"]) from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise BalancesRejected(path, [f"unreadable CSV: {exc}"]) from None
        if [h.strip() for h in header] != list(COLUMNS):
            raise BalancesRejected(path, [f"header must be exactly {HEADER} (got {','.join(header)})"])

        def rows() -> Iterator[tuple[object, object, object]]:
            for number, row in enumerate(reader, start=2):
                if len(row) != 3:
                    yield (None, None, f"<{len(row)} columns on row {number}>")
                    continue
                yield row[0], row[1], row[2].strip()

        try:
            return from_rows(rows(), currencies, source=path, exclude_negative=exclude_negative)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise BalancesRejected(path, [f"unreadable CSV: {exc}"]) from None


def load_parquet(path: str, currencies: tuple[str, ...], *, exclude_negative: bool = False) -> Balances:
    """Parquet with the columns `COLUMNS`: user_id (string), currency (string), amount (integer or decimal string)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise BalancesRejected(path, [f"unreadable Parquet: {exc}"]) from None
    if table.column_names != list(COLUMNS):
        raise BalancesRejected(path, [f"columns must be exactly {', '.join(COLUMNS)} (got {table.column_names})"])
    amount_type = table.schema.field(AMOUNT).type
    if not (pa.types.is_integer(amount_type) or pa.types.is_string(amount_type) or pa.types.is_large_string(amount_type)):
        raise BalancesRejected(path, [f"column {AMOUNT} has type {amount_type}; integers in minor units only (floats are rejected)"])
    fast = _fast_pivot(table.column(USER), table.column(CURRENCY), table.column(AMOUNT), currencies)
    if fast is not None:
        return fast
    rows = zip(table.column(USER).to_pylist(), table.column(CURRENCY).to_pylist(), table.column(AMOUNT).to_pylist())
    return from_rows(rows, currencies, source=path, exclude_negative=exclude_negative)


def load_file(path: str, currencies: tuple[str, ...], *, exclude_negative: bool = False) -> Balances:
    if path.endswith(".parquet"):
        return load_parquet(path, currencies, exclude_negative=exclude_negative)
    return load_csv(path, currencies, exclude_negative=exclude_negative)


def from_arrays(user_ids: Sequence[str], amounts: Any, currencies: tuple[str, ...]) -> Balances:
    """Trusted fast path for benchmarks and tests: ids must be unique, amounts uint64 (n, m)."""
    import numpy as np

    amounts = np.ascontiguousarray(amounts, dtype=np.uint64)
    if amounts.shape != (len(user_ids), len(currencies)):
        raise ValueError("amounts must have shape (len(user_ids), len(currencies))")
    return Balances(tuple(currencies), tuple(user_ids), amounts)
