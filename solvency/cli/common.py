"""Pieces shared by the bank's commands: the error convention, progress bars, cut-off times, keys.

The error convention of every `solvency` command (click renders all of it; no traceback):

* exit 0: success.
* exit 1: the input was read and refused, or a check failed: ``raise Rejected("message")``;
  click prints ``Error: message`` on stderr. Turn the library's expected exceptions into it where
  the callback makes its one library call: ``with rejecting(PublishError, TreeStoreError): ...``
  (the message is ``str(exc)``, plus an optional suffix), or ``raise Rejected(...) from None``.
* exit 2: usage error: click's own ``click.UsageError`` / ``click.BadParameter`` (a missing or
  malformed option, two options that exclude each other).

A callback never calls ``sys.exit`` or prints its own ``error:`` line, and library code never
raises click exceptions.

Machine-readable output (docs/CLI.md): every command that produces a result takes ``--json``
(`json_option`) and then prints exactly one JSON document on stdout through `emit_json`: an object
whose ``format`` is `CLI_FORMAT` and whose ``command`` is the command's path without the program
name (``"tree build"``), next to the command's own keys. A new incompatible schema of any command
bumps `CLI_FORMAT`. With ``--json`` nothing else goes to stdout (notes and progress go to stderr,
progress bars never); on exit 1 or 2 stdout carries no document unless docs/CLI.md says so.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from solvency.keys import KeyFileError, load_private_key

if TYPE_CHECKING:
    from ledger.store import Progress

#: The version marker of every ``--json`` document (the ``format`` key).
CLI_FORMAT = "solvency-cli/1"

_F = TypeVar("_F", bound=Callable[..., Any])

#: ``progress(total, label)``: a context manager giving an ``update(count)`` callback, or None.
ProgressFactory = Callable[[int, str], AbstractContextManager[Callable[[int], None] | None]]


def json_option(func: _F) -> _F:
    """The ``--json`` flag (parameter ``as_json``) of a command that produces a result."""
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text (schema: docs/CLI.md).")(func)


def command_name() -> str:
    """The running command's path without the program name, e.g. ``"tree build"`` (the program
    name may itself have spaces: ``python -m solvency``)."""
    ctx: click.Context | None = click.get_current_context()
    names: list[str] = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


def json_document(payload: Mapping[str, Any]) -> dict[str, Any]:
    """`payload` under the version marker and the command's name (keys ``format``, ``command``)."""
    if "format" in payload or "command" in payload:
        raise ValueError("a --json payload must not use the keys 'format' and 'command'")
    return {"format": CLI_FORMAT, "command": command_name(), **payload}


def emit_json(payload: Mapping[str, Any]) -> None:
    """Print `payload` as the command's one JSON document on stdout (see the module docstring)."""
    click.echo(json.dumps(json_document(payload), sort_keys=True, indent=2))


class Rejected(click.ClickException):
    """Input was read and refused, or a check failed: exit 1 with the message on stderr."""

    exit_code = 1


@contextmanager
def rejecting(*errors: type[Exception], suffix: str = "") -> Iterator[None]:
    """Within the block, the exceptions `errors` become `Rejected` (exit 1) with their message."""
    try:
        yield
    except errors as exc:
        raise Rejected(f"{exc}{suffix}") from None


def load_signing_key(path: str) -> Ed25519PrivateKey:
    """The bank's private key from `path`; an unreadable or malformed key file is `Rejected`."""
    with rejecting(KeyFileError):
        return load_private_key(path)


def stderr_is_terminal() -> bool:
    """Whether progress may be drawn: stderr is a terminal (a person is watching)."""
    return sys.stderr.isatty()


@contextmanager
def progress(length: int, label: str) -> Iterator[Callable[[int], None] | None]:
    """A click progress bar on stderr when stderr is a terminal; otherwise a no-op (None)."""
    if not stderr_is_terminal():
        yield None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
        yield bar.update


@contextmanager
def _silent(length: int, label: str) -> Iterator[Callable[[int], None] | None]:
    yield None


def progress_unless(as_json: bool) -> ProgressFactory:
    """`progress`, or no progress at all with ``--json`` (whose output is for programs)."""
    return _silent if as_json else progress


@contextmanager
def phases(as_json: bool) -> Iterator[Progress | None]:
    """A `ledger.store.Progress` drawing ``  phase: done/total`` on one stderr line per phase,
    when stderr is a terminal and the output is not ``--json``; otherwise None (no progress)."""
    if as_json or not stderr_is_terminal():
        yield None
        return
    shown: list[str] = []

    def report(phase: str, done: int, total: int) -> None:
        if shown and shown[-1] != phase:
            click.echo("", err=True)
        if not shown or shown[-1] != phase:
            shown.append(phase)
        count = f"{done:,}/{total:,}" if total else f"{done:,}"
        click.echo(f"\r  {phase}: {count}\x1b[K", nl=False, err=True)

    try:
        yield report
    finally:
        if shown:
            click.echo("", err=True)


class Stopwatch:
    """Seconds since it was made, for the summary line of long commands (``... in 6.5 s``)."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def __str__(self) -> str:
        return f"{time.monotonic() - self.start:.1f} s"


def parse_as_of(text: str, param_hint: str = "--as-of") -> str:
    """An RFC 3339 time with an offset, to whole seconds, as ``YYYY-MM-DDTHH:MM:SSZ`` in UTC."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an RFC 3339 time like 2026-11-01T00:00:00Z", param_hint=param_hint) from None
    if moment.tzinfo is None:
        raise click.BadParameter(f"{text!r} has no UTC offset (write e.g. {text}Z)", param_hint=param_hint)
    if moment.microsecond:
        raise click.BadParameter("the cut-off must be a whole second", param_hint=param_hint)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
