"""Pieces shared by the bank's commands: the exit-1 rejection, progress bars, cut-off times.

Exit codes of every `solvency` command: 0 success, 1 rejected input or failed check (`Rejected`),
2 usage error (click's own `BadParameter`/`UsageError`).
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from datetime import UTC, datetime

import click


class Rejected(click.ClickException):
    """Input was read and refused, or a check failed: exit 1 with the message on stderr."""

    exit_code = 1


@contextmanager
def progress(length: int, label: str):
    """A click progress bar on stderr when stderr is a terminal; otherwise a no-op (None)."""
    if not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
        yield bar.update


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
