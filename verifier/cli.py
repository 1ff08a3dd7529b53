"""Entry point of `solvency-verify` (also `python -m verifier`).

Output contract shared by every subcommand (docs/SPEC.md, "Verifier command line"):

* exit 0 valid, 1 invalid, 2 usage error, 3 could not decide (unreadable or unsupported file);
* plain words on stdout by default; with ``--json`` one JSON object on stdout:
  ``{"schema": "pos-verify-result/1", "verdict": "valid"|"invalid"|"inconclusive",
  "reason": CODE|null, "message": str, "checked": [str, ...], "facts": {...}}``;
* no traceback unless ``--debug``; colour only on a terminal and never when NO_COLOR is set.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

import click

from verifier.canonical import MAX_INPUT_BYTES
from verifier.errors import CannotVerify, Reason, VerificationError
from verifier.lazyclick import LazyGroup

RESULT_SCHEMA = "pos-verify-result/1"
EXIT_VALID, EXIT_INVALID, EXIT_USAGE, EXIT_UNDECIDED = 0, 1, 2, 3


def read_input(path: str, what: str) -> bytes:
    """The bytes of an input file; an unreadable file is undecidable (exit 3), not invalid. At most
    one byte over the readers' size bound is read (SPEC 2.2, 8.2): a larger file is refused by
    that bound without being loaded whole."""
    try:
        with open(path, "rb") as handle:
            return handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise CannotVerify(f"cannot read {what} {path}: {exc.strerror or exc}", reason=Reason.UNREADABLE) from None


@dataclass(frozen=True, slots=True)
class Report:
    """What a successful verification established: the checks run, in order, and the facts."""

    checked: tuple[str, ...]
    facts: dict[str, Any] = field(default_factory=dict)
    # Statements that are the operator's word rather than cryptographic proof, shown to the user.
    caveats: tuple[str, ...] = ()


def _style(text: str, colour: str) -> str:
    if os.environ.get("NO_COLOR") or not sys.stdout.isatty():
        return text
    return click.style(text, fg=colour, bold=True)


def run_verification(check: Callable[[], Report], *, json_output: bool, debug: bool, what: str) -> NoReturn:
    """Run `check`, print the verdict in the shared format and exit with the shared exit code."""
    report: Report | None = None
    error: Exception | None = None
    try:
        report = check()
        verdict, code, reason, message = "valid", EXIT_VALID, None, f"{what} is valid"
    except VerificationError as exc:
        error, verdict, code, reason, message = exc, "invalid", EXIT_INVALID, exc.reason, exc.message
    except CannotVerify as exc:
        error, verdict, code, reason, message = exc, "inconclusive", EXIT_UNDECIDED, exc.reason, exc.message
    except Exception as exc:  # noqa: BLE001 - an unexpected failure must not look like "valid"
        error, verdict, code = exc, "inconclusive", EXIT_UNDECIDED
        reason, message = Reason.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}"
    if debug and error is not None:
        traceback.print_exception(error, file=sys.stderr)
    checked = list(report.checked) if report else list(getattr(error, "passed", ()))
    facts = dict(report.facts) if report else {}
    caveats = list(report.caveats) if report else []
    if json_output:
        out = {
            "schema": RESULT_SCHEMA,
            "verdict": verdict,
            "reason": reason,
            "message": message,
            "checked": checked,
            "facts": facts,
            "caveats": caveats,
        }
        click.echo(json.dumps(out, sort_keys=True, indent=2))
    else:
        for line in checked:
            click.echo(f"  ok  {line}")
        for line in caveats:
            click.echo(f"  note  {line}")
        colour = {"valid": "green", "invalid": "red"}.get(verdict, "yellow")
        label = _style(verdict.upper(), colour)
        click.echo(f"{label}: {message}" + (f" [{reason}]" if reason else ""))
    sys.exit(code)


COMMANDS: dict[str, tuple[str, str]] = {
    "proof": ("verifier.commands.proof:proof", "Verify your inclusion proof against the bank's commitment."),
    "tree": ("verifier.commands.tree:tree", "Auditors: recompute the whole tree from the leaf export."),
    "assets": ("verifier.commands.assets:assets", "Verify the bank's asset attestation and proofs of control."),
    "receipt": ("verifier.commands.receipt:receipt", "Check a signed balance receipt from the bank."),
    "history": ("verifier.commands.history:history", "Check a bank's whole publication history and its log."),
    "save-head": ("verifier.commands.save_head:save_head", "Save the log head of your proof bundle for a later history check."),
}


@click.group(cls=LazyGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="proof-of-solvency")
def main() -> None:
    """Verify a bank's proof of solvency without trusting the bank."""
