"""Benchmarks, run by `make bench` (never by `make test`).

Each `benchmarks/bench_*.py` module defines `main(argv: list[str]) -> int` that prints its figures
and, for each, the ratio against a baseline measured in the same run on the same machine.
"""
