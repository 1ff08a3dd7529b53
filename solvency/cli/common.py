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
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from solvency.keys import KeyFileError, load_private_key


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


@contextmanager
def progress(length: int, label: str) -> Iterator[Callable[[int], None] | None]:
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
