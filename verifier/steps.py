"""Check lists as data: a check list is a tuple of named steps run in order.

Each SPEC check list (SPEC 6, 7, 8.8, 11.2-11.4, 12, 13) is written as one tuple of `Step`s in the
order the SPEC numbers them, so adding a check is one function and one line. A step reads and
extends a mutable working state of its check list and raises a `VerificationError` (or
`CannotVerify`) on failure. `run_steps` records, on the exception, the names of the steps that
passed before it, so the CLI can print them, and (given a `family`) reports every failure of the
list in that one exception family, with the reason code of the check that failed.

A step may return a sentence saying what it established (printed instead of its name, e.g. with
the number of leaves it checked), the sentences of a nested check list it ran (a tuple), or
`SKIPPED` when its optional input was not given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from verifier.errors import CannotVerify, VerificationError, rebrand

State = TypeVar("State")

# Returned by a step whose optional input is absent: the step is neither passed nor failed.
SKIPPED: Final = ""


@dataclass(frozen=True)
class Step(Generic[State]):
    """One named check of a check list: `check(state)` returns None (or what it established) or raises."""

    name: str
    check: Callable[[State], str | tuple[str, ...] | None]


def run_steps(
    steps: Sequence[Step[State]],
    state: State,
    *,
    already_passed: tuple[str, ...] = (),
    family: type[VerificationError] | None = None,
) -> tuple[str, ...]:
    """Run `steps` in order on `state`; return what every passed step established.

    On the first failure the exception gets ``passed`` (what passed before it, followed by what
    passed inside a nested check list) and is re-raised, as an error of `family` when given.
    """
    passed = list(already_passed)
    for step in steps:
        try:
            said = step.check(state)
        except VerificationError as exc:
            exc.passed = tuple(passed) + exc.passed
            if family is not None and type(exc) is not family:
                raise rebrand(exc, family) from exc
            raise
        except CannotVerify as exc:
            exc.passed = tuple(passed) + exc.passed
            raise
        if said is None:
            passed.append(step.name)
        elif isinstance(said, tuple):
            passed.extend(said)
        elif said != SKIPPED:
            passed.append(said)
    return tuple(passed)
