"""Per-user balances as a pandas DataFrame, and encoded as CSV or Parquet.

pandas and pyarrow are imported inside the functions: `ledger` must stay importable (and the CLI's
``--help`` fast) without them. The writers here encode rows into an open binary handle; putting the
file in place atomically is the caller's job (`solvency.ledger_files.write_balances`).

Columns, in this order: ``user_id`` (text), ``currency`` (text), ``amount`` (int64, minor units):
`COLUMNS`, the one definition of the per-user balances file. ``solvency tree build --balances``
reads exactly these columns, so what ``solvency ledger balances`` writes feeds the tree as is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO

from ledger.definitions import BalanceDefinition
from ledger.store import AsOf, Store

COLUMNS = ("user_id", "currency", "amount")

Rows = Iterable[tuple[str, str, int]]
Totals = tuple[int, dict[str, int]]


def user_balances_frame(store: Store, definition: BalanceDefinition, as_of: AsOf = None) -> Any:
    """`Store.user_balances` as a DataFrame with the columns above."""
    import pandas as pd

    users, currencies, amounts = _columns(store.user_balances(definition, as_of))
    return pd.DataFrame(
        {
            COLUMNS[0]: pd.Series(users, dtype="string"),
            COLUMNS[1]: pd.Series(currencies, dtype="category"),
            COLUMNS[2]: pd.Series(amounts, dtype="int64"),
        }
    )


def _columns(rows: Rows) -> tuple[list[str], list[str], list[int]]:
    users: list[str] = []
    currencies: list[str] = []
    amounts: list[int] = []
    for user, currency, amount in rows:
        users.append(user)
        currencies.append(currency)
        amounts.append(amount)
    return users, currencies, amounts


class _Counter:
    def __init__(self, rows: Rows) -> None:
        self.rows = rows
        self.count = 0
        self.totals: dict[str, int] = {}

    def __iter__(self) -> Iterator[tuple[str, str, int]]:
        for row in self.rows:
            self.count += 1
            self.totals[row[1]] = self.totals.get(row[1], 0) + row[2]
            yield row

    def result(self) -> Totals:
        return self.count, dict(sorted(self.totals.items()))


def write_csv(rows: Rows, handle: BinaryIO) -> Totals:
    """Encode rows as UTF-8 CSV with a header line into `handle`; returns (row count, totals)."""
    counted = _Counter(rows)
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(counted)
    text.flush()
    text.detach()
    return counted.result()


def write_parquet(rows: Rows, handle: BinaryIO) -> Totals:
    """Encode rows as a Parquet table into `handle`; returns (row count, totals)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    counted = _Counter(rows)
    users, currencies, amounts = _columns(counted)
    table = pa.table(
        {COLUMNS[0]: pa.array(users, pa.string()), COLUMNS[1]: pa.array(currencies, pa.string()), COLUMNS[2]: pa.array(amounts, pa.int64())}
    )
    pq.write_table(table, handle)
    return counted.result()


def writer_for(path: str) -> Callable[[Rows, BinaryIO], Totals]:
    """`write_csv` or `write_parquet` by the extension of `path` (ValueError for any other)."""
    lower = path.lower()
    if lower.endswith(".csv"):
        return write_csv
    if lower.endswith(".parquet"):
        return write_parquet
    raise ValueError(f"{path}: the output file must end in .csv or .parquet")
