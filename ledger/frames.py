"""Per-user balances as a pandas DataFrame, and written to CSV or Parquet files.

pandas and pyarrow are imported inside the functions: `ledger` must stay importable (and the CLI's
``--help`` fast) without them. Files are written to a temporary name in the target directory,
fsynced and renamed, so a reader never sees a half-written balances file.

Columns, in this order: ``user_id`` (text), ``currency`` (text), ``balance`` (int64, minor units).
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable, Iterator

from ledger.definitions import BalanceDefinition
from ledger.store import AsOf, Store

COLUMNS = ("user_id", "currency", "balance")


def user_balances_frame(store: Store, definition: BalanceDefinition, as_of: AsOf = None):
    """`Store.user_balances` as a DataFrame with the columns above."""
    import pandas as pd

    users, currencies, amounts = _columns(store.user_balances(definition, as_of))
    return pd.DataFrame(
        {
            "user_id": pd.Series(users, dtype="string"),
            "currency": pd.Series(currencies, dtype="category"),
            "balance": pd.Series(amounts, dtype="int64"),
        }
    )


def _columns(rows: Iterable[tuple[str, str, int]]) -> tuple[list[str], list[str], list[int]]:
    users: list[str] = []
    currencies: list[str] = []
    amounts: list[int] = []
    for user, currency, amount in rows:
        users.append(user)
        currencies.append(currency)
        amounts.append(amount)
    return users, currencies, amounts


class _Counter:
    def __init__(self, rows: Iterable[tuple[str, str, int]]) -> None:
        self.rows = rows
        self.count = 0
        self.totals: dict[str, int] = {}

    def __iter__(self) -> Iterator[tuple[str, str, int]]:
        for row in self.rows:
            self.count += 1
            self.totals[row[1]] = self.totals.get(row[1], 0) + row[2]
            yield row


def write_balances(rows: Iterable[tuple[str, str, int]], path: str) -> tuple[int, dict[str, int]]:
    """Write rows to `path` (``.csv`` or ``.parquet``) atomically; returns (row count, totals)."""
    lower = path.lower()
    if not (lower.endswith(".csv") or lower.endswith(".parquet")):
        raise ValueError(f"{path}: the output file must end in .csv or .parquet")
    directory = os.path.dirname(os.path.abspath(path))
    counted = _Counter(rows)
    fd, tmp = tempfile.mkstemp(prefix=".balances-", dir=directory)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "w" if lower.endswith(".csv") else "wb", **({"newline": "", "encoding": "utf-8"} if lower.endswith(".csv") else {})) as handle:
            if lower.endswith(".csv"):
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(COLUMNS)
                writer.writerows(counted)
            else:
                import pyarrow as pa
                import pyarrow.parquet as pq

                users, currencies, amounts = _columns(counted)
                table = pa.table(
                    {"user_id": pa.array(users, pa.string()), "currency": pa.array(currencies, pa.string()), "balance": pa.array(amounts, pa.int64())}
                )
                pq.write_table(table, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return counted.count, dict(sorted(counted.totals.items()))
