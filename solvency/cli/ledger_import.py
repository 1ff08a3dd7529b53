"""``solvency ledger import``: copy a medici (MongoDB) ledger into a new embedded SQLite ledger.

The copy and its checks are `solvency.ledger_files.import_to_sqlite`: the new file appears only
after every check passed; a failed import leaves no file.

Exit codes: 0 copied and checked, 1 rejected source data or a failed check, 2 usage (bad URI, the
target already exists).
"""

from __future__ import annotations

import os

import click

from ledger.clock import format_time, parse_time
from solvency.cli.common import Rejected, Stopwatch, emit_json, json_option, phases
from solvency.ledger_files import BadSourceUri, Refused, import_to_sqlite


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
@json_option
def import_ledger(source_uri: str, target: str, as_of: str | None, batch_size: int, as_json: bool) -> None:
    """Copy a medici (MongoDB) ledger into a new SQLite ledger, checking counts and balances."""
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
    clock = Stopwatch()
    try:
        with phases(as_json) as progress:
            report = import_to_sqlite(source_uri, path, as_of=cut, batch_size=batch_size, progress=progress)
    except BadSourceUri as exc:
        raise click.UsageError(str(exc)) from None
    except FileExistsError:
        raise click.UsageError(f"--to {path!r} already exists; the import creates a new ledger") from None
    except Refused as exc:
        for line in exc.details:
            click.echo(line, err=True)
        raise Rejected(str(exc)) from None
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
        emit_json(body)
    else:
        click.echo(f"imported {report.entries} entries ({report.postings} postings) into {path} in {clock}")
        click.echo(f"checked: entry and posting counts, {report.accounts_checked} (account, currency) balances, chain and trial balance")
        click.echo(f"source digest (medici journals, read-time chain): {report.source_digest}")
        click.echo(f"target digest: {report.target_digest}")
