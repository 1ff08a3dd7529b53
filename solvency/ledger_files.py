"""The ledger's files on the bank's side: JSON Lines batches posted from files, and what the bank
writes from its ledger, each put in place atomically (`solvency.atomic`).

* `read_entry_files` and `post_entry_files`: entries from JSON Lines files (`ledger.jsonl`), all
  files one all-or-nothing batch, every problem named as ``FILE:LINE: FIELD: REASON``;
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
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ledger.chain import LedgerDigest, PostedEntry
from ledger.entries import JournalEntry
from ledger.errors import BatchRejected, ImportMismatch, LedgerError
from ledger.frames import Rows, Totals, writer_for
from ledger.jsonl import parse_lines
from ledger.open import open_store
from ledger.store import Progress, Store
from solvency.atomic import atomic_write, staged_file

if TYPE_CHECKING:
    from ledger.mongo.importer import ImportReport

SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
SHOWN_PROBLEMS = 50


class BadSourceUri(ValueError):
    """`ledger.open.open_store` refuses the source URI (a usage error, not bad data)."""


class Refused(Exception):
    """Nothing was written: `str(exc)` is the one-line reason, `details` the itemised problems."""

    def __init__(self, message: str, details: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.details = details


@dataclass(frozen=True)
class EntryFiles:
    """The entries of some JSON Lines files, where each came from, and the lines that did not parse."""

    entries: tuple[JournalEntry, ...]
    where: tuple[tuple[str, int], ...]  # (file, line) of each entry
    problems: tuple[str, ...]  # FILE:LINE: FIELD: REASON of each line that did not parse


@dataclass(frozen=True)
class Posted:
    """What `post_entry_files` posted (replays of earlier entries included), whether this process
    wrote each entry (`written`, False for an idempotent replay), and the ledger after it."""

    posted: tuple[PostedEntry, ...]
    new: int
    digest: LedgerDigest
    written: tuple[bool, ...] = ()


def read_entry_files(files: Sequence[str], stdin: BinaryIO | None = None, progress: Progress | None = None) -> EntryFiles:
    """Parse every file (``-``: `stdin`); `Refused` if one cannot be read or none holds an entry.
    `progress` hears the phase ``reading entries`` (entries so far) before and after each file."""
    entries: list[JournalEntry] = []
    where: list[tuple[str, int]] = []
    problems: list[str] = []
    for name in files:
        if progress is not None:
            progress("reading entries", len(entries), 0)
        try:
            if name == "-":
                data = (stdin or sys.stdin.buffer).read()
            else:
                with open(name, "rb") as handle:
                    data = handle.read()
        except OSError as exc:
            raise Refused(f"{name}: cannot read: {exc.strerror}") from None
        found, numbers, errors = parse_lines(data.splitlines(), "<stdin>" if name == "-" else name)
        entries.extend(found)
        where.extend((name, n) for n in numbers)
        problems.extend(str(e) for e in errors)
    if progress is not None:
        progress("reading entries", len(entries), 0)
    if not entries and not problems:
        raise Refused("no entries in the input")
    return EntryFiles(tuple(entries), tuple(where), tuple(problems))


def post_entry_files(store: Store, batch: EntryFiles, progress: Progress | None = None) -> Posted:
    """Post `batch` as one all-or-nothing batch; `Refused`, naming every problem, if any line is bad.
    `progress` is handed to `Store.post_batch_written`.

    A line that did not parse rejects the batch: the lines that did are only checked (so that one
    run lists every problem), never posted. What was new is what this process wrote, as the store
    decided inside its write transaction (a concurrent writer's entries are replays here).
    """
    problems = list(batch.problems)
    posted: tuple[PostedEntry, ...] = ()
    written: tuple[bool, ...] = ()
    try:
        if problems:
            if batch.entries:
                store.check_batch(list(batch.entries))
        else:
            posted, written = store.post_batch_written(list(batch.entries), progress=progress)
    except BatchRejected as exc:
        for problem in exc.errors:
            name, number = batch.where[problem.index] if problem.index < len(batch.where) else ("?", 0)
            problems.append(f"{name}:{number}: {problem.field}: {problem.reason}")
        posted = ()
    if problems:
        raise Refused(f"rejected: {len(problems)} problem(s); nothing was written", tuple(problems))
    return Posted(posted, sum(written), store.digest(), written)


def write_balances(rows: Rows, path: str) -> Totals:
    """Write rows to `path` (``.csv`` or ``.parquet``) atomically; returns (row count, totals)."""
    writer = writer_for(path)
    result = atomic_write(path, lambda handle: writer(rows, handle), prefix=".balances-")
    assert result is not None
    return result


def import_to_sqlite(source_uri: str, path: str, *, as_of: int | None = None, batch_size: int = 5000,
                     progress: Progress | None = None) -> ImportReport:
    """Copy the medici ledger at `source_uri` into the new SQLite ledger `path` and check the copy.

    Raises `BadSourceUri` for a URI `ledger.open.open_store` refuses, FileExistsError if `path`
    appeared meanwhile, and `Refused` for anything the source or the checks refuse.
    """
    from pymongo.errors import PyMongoError

    from ledger.mongo import open_store as open_mongo
    from ledger.mongo.importer import copy_ledger

    try:
        source = open_mongo(source_uri)
    except ValueError as exc:
        raise BadSourceUri(str(exc)) from None
    except (LedgerError, PyMongoError) as exc:
        raise Refused(f"cannot open {source_uri.split('@')[-1]}: {exc}") from None
    try:
        with staged_file(path, overwrite=False, side_suffixes=SQLITE_SIDE_FILES, prefix=f".{os.path.basename(path)}.importing-") as temp:
            target = open_store(str(temp))
            try:
                report = copy_ledger(source, target, as_of=as_of, batch_size=batch_size, progress=progress)
            finally:
                target.close()
            _fold_wal(temp)
    except BatchRejected as exc:
        raise Refused(
            f"the source holds entries the ledger refuses ({len(exc.errors)} problem(s)); nothing was written",
            tuple(f"rejected: {error}" for error in exc.errors[:SHOWN_PROBLEMS]),
        ) from None
    except ImportMismatch as exc:
        raise Refused(
            f"the copy does not match the source ({len(exc.problems)} difference(s)); nothing was written",
            tuple(f"mismatch: {problem}" for problem in exc.problems[:SHOWN_PROBLEMS]),
        ) from None
    except (LedgerError, PyMongoError) as exc:
        raise Refused(f"{exc}; nothing was written") from None
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
