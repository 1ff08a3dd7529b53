"""Benchmarks, run by `make bench` (never by `make test`).

Each `benchmarks/bench_*.py` module defines `parser()` (its argparse options, all with defaults:
the full-size run), `run(args) -> int`, which prints its figures and, for each, the ratio against a
baseline measured in the same run on the same machine, and `main(argv) = run(parser().parse_args(argv))`.
`python -m benchmarks NAME --flags` parses the flags with NAME's parser before running anything, so
`--help` or a wrong flag returns at once (tests/benchmarks/test_benchmark_cli.py).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable


def at_least(low: int) -> Callable[[str], int]:
    """An argparse type: an integer >= `low`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low} (got {value})")
        return value

    return parse
