"""Check lists as data: a check list is a tuple of named steps run in order.

Each SPEC check list (SPEC 6, 7, 8.8, 11.4, 12, 13) is written as one tuple of `Step`s in the
order the SPEC numbers them, so adding a check is one function and one line. A step reads and
extends a mutable working state of its check list and raises the family's `VerificationError`
(or `CannotVerify`) on failure; `run_steps` records, on the exception, the names of the steps
that passed before it, so the CLI can print them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from verifier.errors import CannotVerify, VerificationError

State = TypeVar("State")


@dataclass(frozen=True)
class Step(Generic[State]):
    """One named check of a check list: `check(state)` returns None or raises."""

    name: str
    check: Callable[[State], None]


def run_steps(steps: Sequence[Step[State]], state: State, *, already_passed: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Run `steps` in order on `state`; return the names of every step passed.

    On the first failure the exception gets ``passed`` (the names before it) and is re-raised.
    """
    passed = list(already_passed)
    for step in steps:
        try:
            step.check(state)
        except (VerificationError, CannotVerify) as exc:
            exc.passed = tuple(passed)
            raise
        passed.append(step.name)
    return tuple(passed)
