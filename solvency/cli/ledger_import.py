"""``solvency ledger import``: copy a medici (MongoDB) ledger into a new embedded SQLite ledger.

The copy is written under a temporary name next to the target and renamed into place only after
every check of `ledger.mongo.importer` passed (counts, per-account balances computed on the server
against the copy's, the copy's hash chain and trial balance); a failed import leaves no file.

Exit codes: 0 copied and checked, 1 rejected source data or a failed check, 2 usage (bad URI, the
target already exists).
"""

from __future__ import annotations

import json
import os
import sys

import click


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _sqlite_path(target: str) -> str:
    if target.startswith("sqlite:///"):
        return target.removeprefix("sqlite:///")
    if "://" in target:
        raise click.UsageError(f"--to must be a SQLite ledger (sqlite:///path or a path), not {target!r}")
    return target


@click.command("import")
@click.option("--from", "source_uri", required=True, metavar="URI", help="The medici database: mongodb://host/db[?book=MainBook].")
@click.option("--to", "target", required=True, metavar="PATH", help="The new SQLite ledger: sqlite:///path or a plain path; must not exist.")
@click.option("--as-of", "as_of", default=None, metavar="TIME", help="Copy only what was committed at or before TIME (RFC 3339).")
@click.option("--batch-size", default=5000, show_default=True, type=click.IntRange(1, 100_000), help="Entries per target transaction.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def import_ledger(source_uri: str, target: str, as_of: str | None, batch_size: int, as_json: bool) -> None:
    """Copy a medici (MongoDB) ledger into a new SQLite ledger, checking counts and balances."""
    from ledger.clock import format_time, parse_time
    from ledger.entries import BatchRejected, LedgerError
    from ledger.store import open_store

    if not source_uri.startswith(("mongodb://", "mongodb+srv://")):
        raise click.UsageError(f"--from must be a mongodb:// URI, not {source_uri!r}")
    path = _sqlite_path(target)
    if os.path.exists(path):
        raise click.UsageError(f"--to {path!r} already exists; the import creates a new ledger")
    cut = None
    if as_of is not None:
        try:
            cut = parse_time(as_of)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--as-of") from None
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise click.UsageError(f"directory {directory!r} does not exist")
    temp = os.path.join(directory, f".{os.path.basename(path)}.importing-{os.getpid()}")

    from pymongo.errors import PyMongoError

    from ledger.mongo.importer import ImportMismatch, copy_ledger

    try:
        source = open_store(source_uri)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    except (LedgerError, PyMongoError) as exc:
        _fail(f"cannot open {source_uri.split('@')[-1]}: {exc}", 1)
    try:
        _remove(temp)
        target_store = open_store(temp)
        try:
            report = copy_ledger(source, target_store, as_of=cut, batch_size=batch_size)
        finally:
            target_store.close()
        _fsync_dir_rename(temp, path)
    except BatchRejected as exc:
        _remove(temp)
        for error in exc.errors[:50]:
            click.echo(f"rejected: {error}", err=True)
        _fail(f"the source holds entries the ledger refuses ({len(exc.errors)} problem(s)); nothing was written", 1)
    except ImportMismatch as exc:
        _remove(temp)
        for problem in exc.problems[:50]:
            click.echo(f"mismatch: {problem}", err=True)
        _fail(f"the copy does not match the source ({len(exc.problems)} difference(s)); nothing was written", 1)
    except (LedgerError, PyMongoError) as exc:
        _remove(temp)
        _fail(f"{exc}; nothing was written", 1)
    except BaseException:
        _remove(temp)
        raise
    finally:
        source.close()
    body = {
        "entries": report.entries,
        "postings": report.postings,
        "accounts_checked": report.accounts_checked,
        "accounts_by_type": dict(report.balances_by_type),
        "as_of": format_time(report.as_of) if report.as_of is not None else None,
        "source_digest": str(report.source_digest),
        "target_digest": str(report.target_digest),
        "target": path,
    }
    if as_json:
        click.echo(json.dumps(body, sort_keys=True))
    else:
        click.echo(f"imported {report.entries} entries ({report.postings} postings) into {path}")
        click.echo(f"checked: entry and posting counts, {report.accounts_checked} (account, currency) balances, chain and trial balance")
        click.echo(f"source digest (medici journals, read-time chain): {report.source_digest}")
        click.echo(f"target digest: {report.target_digest}")


def _remove(temp: str) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.remove(temp + suffix)
        except FileNotFoundError:
            pass


def _fsync_dir_rename(temp: str, path: str) -> None:
    """Fold the WAL into the database file, fsync it, rename it into place, fsync the directory."""
    import sqlite3

    from ledger.entries import LedgerError

    connection = sqlite3.connect(temp)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()
    if os.path.exists(temp + "-wal") and os.path.getsize(temp + "-wal") > 0:
        raise LedgerError(f"{temp}-wal was not checkpointed")
    with open(temp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temp, path)
    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
