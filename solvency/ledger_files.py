"""Files the bank writes from its ledger, each put in place atomically (`solvency.atomic`).

* `write_balances`: per-user balances of a definition as CSV or Parquet (the encoding is
  `ledger.frames`), e.g. for ``solvency ledger balances --out`` and the demo;
* `import_to_sqlite`: copy a medici (MongoDB) ledger into a new SQLite file. The copy is built
  under a temporary name next to the target and installed only after every check of
  `ledger.mongo.importer.copy_ledger` passed (counts, per-account balances computed on the server,
  the copy's hash chain and trial balance); a failed import leaves no file.

pymongo is imported inside `import_to_sqlite` only: the CLI's ``--help`` must not load it.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from ledger.errors import BatchRejected, ImportMismatch, LedgerError
from ledger.frames import Rows, Totals, writer_for
from ledger.open import open_store
from solvency.atomic import atomic_write, staged_file

if TYPE_CHECKING:
    from ledger.mongo.importer import ImportReport

SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
SHOWN_PROBLEMS = 50


class BadSourceUri(ValueError):
    """`ledger.store.open_store` refuses the source URI (a usage error, not bad data)."""


class ImportFailed(Exception):
    """The import wrote nothing: `str(exc)` is the one-line reason, `details` the itemised problems."""

    def __init__(self, message: str, details: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.details = details


def write_balances(rows: Rows, path: str) -> Totals:
    """Write rows to `path` (``.csv`` or ``.parquet``) atomically; returns (row count, totals)."""
    writer = writer_for(path)
    result = atomic_write(path, lambda handle: writer(rows, handle), prefix=".balances-")
    assert result is not None
    return result


def import_to_sqlite(source_uri: str, path: str, *, as_of: int | None = None, batch_size: int = 5000) -> ImportReport:
    """Copy the medici ledger at `source_uri` into the new SQLite ledger `path` and check the copy.

    Raises `BadSourceUri` for a URI `ledger.store.open_store` refuses, FileExistsError if `path`
    appeared meanwhile, and `ImportFailed` for anything the source or the checks refuse.
    """
    from pymongo.errors import PyMongoError

    from ledger.mongo import open_store as open_mongo
    from ledger.mongo.importer import copy_ledger

    try:
        source = open_mongo(source_uri)
    except ValueError as exc:
        raise BadSourceUri(str(exc)) from None
    except (LedgerError, PyMongoError) as exc:
        raise ImportFailed(f"cannot open {source_uri.split('@')[-1]}: {exc}") from None
    try:
        with staged_file(path, overwrite=False, side_suffixes=SQLITE_SIDE_FILES, prefix=f".{os.path.basename(path)}.importing-") as temp:
            target = open_store(str(temp))
            try:
                report = copy_ledger(source, target, as_of=as_of, batch_size=batch_size)
            finally:
                target.close()
            _fold_wal(temp)
    except BatchRejected as exc:
        raise ImportFailed(
            f"the source holds entries the ledger refuses ({len(exc.errors)} problem(s)); nothing was written",
            tuple(f"rejected: {error}" for error in exc.errors[:SHOWN_PROBLEMS]),
        ) from None
    except ImportMismatch as exc:
        raise ImportFailed(
            f"the copy does not match the source ({len(exc.problems)} difference(s)); nothing was written",
            tuple(f"mismatch: {problem}" for problem in exc.problems[:SHOWN_PROBLEMS]),
        ) from None
    except (LedgerError, PyMongoError) as exc:
        raise ImportFailed(f"{exc}; nothing was written") from None
    finally:
        source.close()
    return report


def _fold_wal(path: Path) -> None:
    """Fold the WAL into the database file and leave rollback-journal mode, so one file is the ledger."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise LedgerError(f"{wal} was not checkpointed")
