"""``solvency ledger``: the double-entry ledger from the command line.

Exit codes: 0 ok, 1 rejected input or failed check (the message names the file, line, field and
reason), 2 usage. ``--db`` defaults to ``$SOLVENCY_DB``, else ``./solvency.db``; it also accepts
``sqlite:///path`` and ``mongodb://...`` URIs (`ledger.open.open_store`).
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import click

from ledger.accounts import account_type, legal_entity_problem, path_problem
from ledger.clock import format_time, parse_time
from ledger.definitions import BalanceDefinition, Selector, load_definitions
from ledger.entries import entry_id_problem
from ledger.errors import (
    BatchRejected,
    ChainBroken,
    DefinitionError,
    FractionalAmounts,
    LedgerError,
    TrialBalanceNotZero,
    UnbalancedJournals,
)
from ledger.open import open_store
from ledger.sqlite.store import SQLiteStore
from ledger.store import Store
from solvency.cli.common import Rejected, Stopwatch, emit_json, json_option, phases
from solvency.ledger_files import Refused, post_entry_files, read_entry_files, write_balances
from verifier.lazyclick import LazyGroup

DEFAULT_DB = "./solvency.db"
LAZY = {
    "import": ("solvency.cli.ledger_import:import_ledger", "Copy a medici (MongoDB) ledger into another store."),
}


def _user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Report the ledger's exceptions as one-line errors with exit 1, never as tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BatchRejected as exc:
            for error in exc.errors:
                click.echo(str(error), err=True)
            raise Rejected(f"rejected: {len(exc.errors)} problem(s); nothing was written") from None
        except (LedgerError, DefinitionError) as exc:
            raise Rejected(str(exc)) from None
        except OSError as exc:
            raise Rejected(f"{exc.filename or ''}: {exc.strerror or exc}") from None

    return wrapper


def _db_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--db",
        envvar="SOLVENCY_DB",
        default=DEFAULT_DB,
        show_default="$SOLVENCY_DB or ./solvency.db",
        metavar="PATH|URI",
        help="The ledger: a SQLite path, sqlite:///path or mongodb://...",
    )(func)


_json_option = json_option


def _open(db: str, create: bool = False) -> Store:
    if not create and "://" not in db.removeprefix("sqlite:///") and not os.path.exists(db.removeprefix("sqlite:///")):
        raise Rejected(f"{db}: no ledger here (run `solvency ledger init --db {db}`)")
    return open_store(db, create=create)


def _as_of(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from None


def _definition(name: str, definitions_file: str | None) -> BalanceDefinition:
    table = load_definitions(definitions_file)
    if name not in table:
        raise click.BadParameter(f"unknown definition {name!r} (known: {', '.join(table)})", param_hint="--definition")
    return table[name]


def _emit(as_json: bool, payload: dict[str, Any], lines: list[str]) -> None:
    if as_json:
        emit_json(payload)
    else:
        for line in lines:
            click.echo(line)


@click.group(cls=LazyGroup, lazy_commands=LAZY, context_settings={"help_option_names": ["-h", "--help"]})
def ledger() -> None:
    """The double-entry ledger: init, post, reverse, balances, check."""


@ledger.command()
@_db_option
@click.option("--legal-entity", default="bank", show_default=True, help="Legal entity recorded for new accounts.")
@_json_option
@_user_errors
def init(db: str, legal_entity: str, as_json: bool) -> None:
    """Create an empty SQLite ledger (a no-op on an existing one)."""
    problem = legal_entity_problem(legal_entity)
    if problem:
        raise click.BadParameter(problem, param_hint="--legal-entity")
    path = db.removeprefix("sqlite:///")
    if "://" in path:
        raise click.UsageError("init creates SQLite ledgers only; give a path or sqlite:///path")
    existed = os.path.exists(path) and os.path.getsize(path) > 0
    with SQLiteStore(path, create=True, legal_entity=legal_entity) as store:
        digest = store.digest()
    verb = "exists" if existed else "created"
    _emit(as_json, {"db": path, "status": verb, "entry_count": digest.entry_count, "head_hash": digest.head_hash},
          [f"ledger {path} {verb}: {digest.entry_count} entries, head {digest.head_hash}"])


@ledger.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@_db_option
@_json_option
@_user_errors
def post(files: tuple[str, ...], db: str, as_json: bool) -> None:
    """Post the entries of JSON Lines FILES ('-' reads stdin), all files as ONE batch.

    Each line is one entry: {"postings": [{"account", "currency", "side", "amount"}, ...],
    "memo", "metadata", "reporting_at", "idempotency_key", "reverses"} (docs/LEDGER.md). The batch
    is all-or-nothing: any bad line rejects everything, and every problem is reported as
    FILE:LINE: FIELD: REASON.
    """
    clock = Stopwatch()
    try:
        with phases(as_json) as progress:
            batch = read_entry_files(files, progress=progress)
            with _open(db) as store:
                result = post_entry_files(store, batch, progress)
    except Refused as exc:
        for line in exc.details:
            click.echo(line, err=True)
        raise Rejected(str(exc)) from None
    posted, new, digest = result.posted, result.new, result.digest
    payload = {
        "posted": [{"entry_id": p.entry_id, "seq": p.seq, "entry_hash": p.entry_hash, "new": fresh} for p, fresh in zip(posted, result.written)],
        "new": new,
        "replays": len(posted) - new,
        "entry_count": digest.entry_count,
        "head_hash": digest.head_hash,
    }
    _emit(as_json, payload, [f"posted {len(posted)} entries ({new} new, {len(posted) - new} idempotent replays) in {clock}",
                             f"ledger digest: {digest.entry_count} entries, head {digest.head_hash}"])


@ledger.command()
@click.argument("entry_id")
@click.option("--memo", default=None, help="Memo of the reversal (default: 'reversal of ENTRY_ID').")
@click.option("--reporting-at", default=None, metavar="TIME", help="Accounting time of the reversal (RFC 3339).")
@click.option("--idempotency-key", default=None, help="Make the reversal safe to retry.")
@_db_option
@_json_option
@_user_errors
def reverse(entry_id: str, memo: str | None, reporting_at: str | None, idempotency_key: str | None, db: str, as_json: bool) -> None:
    """Post the reversal of ENTRY_ID (its postings with sides swapped, linked to it)."""
    problem = entry_id_problem(entry_id)
    if problem:
        raise click.BadParameter(problem, param_hint="ENTRY_ID")
    when = None
    if reporting_at is not None:
        try:
            when = parse_time(reporting_at)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--reporting-at") from None
    with _open(db) as store:
        posted = store.reverse(entry_id, memo=memo, reporting_at=when, idempotency_key=idempotency_key)
    _emit(
        as_json,
        {"entry_id": posted.entry_id, "reverses": entry_id, "seq": posted.seq, "committed_at": format_time(posted.committed_at)},
        [f"reversal {posted.entry_id} (seq {posted.seq}) reverses {entry_id}"],
    )


_definition_options = [
    click.option("--definitions", "definitions_file", default=None, type=click.Path(dir_okay=False), help="Definitions TOML file (default: the packaged Galoy file)."),
    click.option("--as-of", default=None, metavar="TIME", help="Cut-off on the definition's time axis (RFC 3339); default: now."),
]


def _with(options: list[Callable[..., Any]]) -> Callable[..., Any]:
    def apply(func: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            func = option(func)
        return func

    return apply


@ledger.command()
@click.argument("account")
@click.option("--definition", "definition_name", default=None, help="Restrict to a named definition (default: every currency of ACCOUNT).")
@_with(_definition_options)
@_db_option
@_json_option
@_user_errors
def balance(account: str, definition_name: str | None, definitions_file: str | None, as_of: str | None, db: str, as_json: bool) -> None:
    """Balance of ACCOUNT (normal side: liabilities and assets positive) per currency."""
    problem = path_problem(account)
    if problem:
        raise click.BadParameter(problem, param_hint="ACCOUNT")
    cut = _as_of(as_of)
    if definition_name is None:
        definition = BalanceDefinition("account", "committed", (Selector(path=account),))
    else:
        definition = _definition(definition_name, definitions_file)
    with _open(db) as store:
        amounts = dict(store.balance(definition, account, cut))
    _emit(as_json, {"account": account, "definition": definition_name, "balances": amounts},
          [f"{account} {code} {amount}" for code, amount in amounts.items()] or [f"{account}: no postings"])


@ledger.command()
@click.option("--definition", "definition_name", required=True, help="Named balance definition, e.g. customer-liabilities.")
@_with(_definition_options)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Output file: FILE.csv or FILE.parquet.")
@_db_option
@_json_option
@_user_errors
def balances(definition_name: str, definitions_file: str | None, as_of: str | None, out: str, db: str, as_json: bool) -> None:
    """Write per-user balances (columns user_id,currency,amount, what `solvency tree build --balances` reads) of a definition as of a cut-off."""
    if not out.lower().endswith((".csv", ".parquet")):
        raise click.BadParameter("must end in .csv or .parquet", param_hint="--out")
    cut = _as_of(as_of)
    definition = _definition(definition_name, definitions_file)
    with _open(db) as store:
        definition = store.ready(definition)  # bound to the ledger's bank roles: the hash covers them
        digest = store.digest()
        count, totals = write_balances(store.user_balances(definition, cut), out)
    payload = {
        "definition": definition.name,
        "definition_hash": definition.content_hash,
        "time_axis": definition.time_axis,
        "as_of": as_of,
        "rows": count,
        "totals": totals,
        "out": out,
        "entry_count": digest.entry_count,
        "head_hash": digest.head_hash,
    }
    _emit(as_json, payload, [
        f"wrote {count} balances of {definition.name} ({definition.time_axis} axis, as of {as_of or 'now'}) to {out}",
        *(f"total {code} {amount}" for code, amount in totals.items()),
        f"definition hash {definition.content_hash}",
        f"ledger digest: {digest.entry_count} entries, head {digest.head_hash}",
    ])


_read_options = [
    click.option("--fractional", type=click.Choice(["refuse", "floor"]), default=None,
                 help="Amounts that are not whole minor units (medici): refuse (default) or floor, Galoy's rule (recorded)."),
    click.option("--roles", "roles_file", default=None, type=click.Path(dir_okay=False),
                 help="Bank-roles override file (default: Galoy's accounts/wallets collections, else the readable paths)."),
]


def _open_reading(db: str, fractional: str | None, roles_file: str | None) -> Store:
    store = _open(db)
    store.set_read_options(fractional=fractional, roles=roles_file)
    return store


@ledger.command()
@_with(_read_options)
@_db_option
@_json_option
@_user_errors
def check(fractional: str | None, roles_file: str | None, db: str, as_json: bool) -> None:
    """Verify the hash chain, that every journal balances per currency (naming the journal and
    currency that do not) and that every currency's trial balance is zero; print the bank roles
    in force, every fractional leg with the adjustment the floor policy makes, and the digest."""
    clock = Stopwatch()
    with _open_reading(db, fractional, roles_file) as store, phases(as_json) as progress:
        unbalanced = store.unbalanced_journals(progress=progress)
        fractional_legs = store.fractional_legs()
        try:
            if fractional_legs and store.fractional == "refuse":
                raise FractionalAmounts([(leg, "credit - debit", net) for leg, _, _, _, net in fractional_legs])
            if unbalanced:
                raise UnbalancedJournals(unbalanced)
            digest = store.verify(progress)
        except (ChainBroken, TrialBalanceNotZero, UnbalancedJournals, FractionalAmounts) as exc:
            if as_json:
                emit_json({"ok": False, "error": str(exc)})
            raise Rejected(f"check failed: {exc}") from None
        trial = dict(store.trial_balance())
        roles = store.bank_roles(store.roles_file)
    adjustments = _floor_adjustments(fractional_legs)
    total = sum((Decimal(a[3]) for a in adjustments), Decimal(0))
    payload = {"ok": True, "entry_count": digest.entry_count, "head_hash": digest.head_hash, "trial_balance": trial,
               "journals_balanced": True, "roles": roles.canonical(), "roles_source": roles.source,
               "fractional_policy": store.fractional,
               "fractional_legs": [{"leg": leg, "journal": j, "account": a, "currency": c, "credit_minus_debit": n}
                                   for leg, j, a, c, n in fractional_legs],
               "fractional_adjustments": [{"account": a, "currency": c, "exact": e, "floored_by": str(d)} for a, c, e, d in adjustments],
               "fractional_adjustment_total": str(total)}
    _emit(as_json, payload, [
        "ok  hash chain verified",
        "ok  every journal balances per currency",
        f"ok  trial balance zero in {', '.join(trial) or 'every currency'}",
        *roles.describe(),
        *(f"fractional leg {leg} (journal {j}) {a} {c}: credit - debit = {n}" for leg, j, a, c, n in fractional_legs),
        *(f"floored: {a} {c} {e} -> lowered by {d}" for a, c, e, d in adjustments),
        *([f"fractional policy floor: total adjustment {total}"] if fractional_legs else []),
        f"ledger digest: {digest.entry_count} entries, head {digest.head_hash}",
        f"checked {digest.entry_count} entries in {clock}",
    ])


def _floor_adjustments(legs: list[tuple[str, str, str, str, str]]) -> list[tuple[str, str, str, Decimal]]:
    """Per (account, currency) touched by a fractional leg: the exact sum of its fractional legs
    and how much Galoy's floor lowers the account's balance because of them (whole legs add
    whole units and do not change the fraction)."""
    sums: dict[tuple[str, str], Decimal] = {}
    for _, _, account, currency, net in legs:
        sums[(account, currency)] = sums.get((account, currency), Decimal(0)) + Decimal(net)
    out = []
    for (account, currency), exact in sorted(sums.items()):
        normal = account_type(account).normal_sign * exact
        out.append((account, currency, str(normal), normal - math.floor(normal)))
    return out


@ledger.command()
@_db_option
@_json_option
@_user_errors
def accounts(db: str, as_json: bool) -> None:
    """List every account with its type, normal side and legal entity."""
    with _open(db) as store:
        rows = [
            {"path": a.path, "type": a.type.value, "normal_side": a.type.normal_side, "legal_entity": a.legal_entity}
            for a in store.accounts()
        ]
    if as_json:
        emit_json({"accounts": rows})
    else:
        for row in rows:
            click.echo(f"{row['path']}\t{row['type']}\t{row['normal_side']}\t{row['legal_entity']}")
