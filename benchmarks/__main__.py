"""Run every benchmark module, or those named on the command line (`python -m benchmarks ledger`).

Options after the names go to each named benchmark: `python -m benchmarks serve --users 100000`."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import benchmarks


def main(argv: list[str]) -> int:
    first_option = next((i for i, arg in enumerate(argv) if arg.startswith("-")), len(argv))
    wanted, options = set(argv[:first_option]), argv[first_option:]
    names = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_"))
    status = 0
    for name in names:
        if wanted and name.removeprefix("bench_") not in wanted:
            continue
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        rc = importlib.import_module(f"benchmarks.{name}").main(options if wanted else [])
        print(f"=== {name}: exit {rc}, {time.perf_counter() - started:.1f} s ===", flush=True)
        status = status or rc
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
