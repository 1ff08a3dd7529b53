"""Run every benchmark module at full size (`make bench`), or those named, with their options.

    python -m benchmarks                         # every benchmark, default (full) sizes
    python -m benchmarks ledger tree             # those two
    python -m benchmarks serve --users 100000    # options after the names go to each named benchmark
    python -m benchmarks ledger --help           # its options; runs nothing

Each named benchmark parses the options with its own parser before any benchmark runs, so a wrong
option or ``--help`` returns at once (exit 2 or 0). Options without a name are refused (exit 2):
the benchmarks have different options, and ignoring them would run a full-size benchmark.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
from types import ModuleType

import benchmarks


def _modules() -> dict[str, str]:
    return {m.name.removeprefix("bench_"): m.name for m in sorted(pkgutil.iter_modules(benchmarks.__path__), key=lambda m: m.name)
            if m.name.startswith("bench_")}


def _load(module: str) -> ModuleType:
    return importlib.import_module(f"benchmarks.{module}")


def _usage(modules: dict[str, str]) -> str:
    lines = [__doc__.strip(), "", "benchmarks:"]
    for name, module in modules.items():
        doc = (_load(module).__doc__ or "").strip().splitlines()
        lines.append(f"  {name:8} {doc[0] if doc else ''}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    modules = _modules()
    first_option = next((i for i, arg in enumerate(argv) if arg.startswith("-")), len(argv))
    names, options = argv[:first_option], argv[first_option:]
    if not names and options:
        if set(options) <= {"-h", "--help"}:
            print(_usage(modules))
            return 0
        print(f"python -m benchmarks: options {' '.join(options)} need a benchmark name before them "
              f"(python -m benchmarks NAME {' '.join(options)}); names: {', '.join(modules)}", file=sys.stderr)
        return 2
    unknown = [name for name in names if name not in modules]
    if unknown:
        print(f"python -m benchmarks: no benchmark named {', '.join(unknown)}; names: {', '.join(modules)}", file=sys.stderr)
        return 2
    selected = [(name, _load(modules[name])) for name in (names or modules)]
    if {"-h", "--help"} & set(options):
        print("\n\n".join(module.parser().format_help() for _, module in selected), end="")
        return 0
    parsed: list[tuple[str, ModuleType, argparse.Namespace]] = []
    for name, module in selected:
        try:
            parsed.append((name, module, module.parser().parse_args(options)))
        except SystemExit as exc:  # argparse printed the problem with the benchmark's usage
            return int(exc.code or 0) if isinstance(exc.code, int) else 2
    status = 0
    for name, module, args in parsed:
        print(f"\n=== bench_{name} ===", flush=True)
        started = time.perf_counter()
        rc = module.run(args)
        print(f"=== bench_{name}: exit {rc}, {time.perf_counter() - started:.1f} s ===", flush=True)
        status = status or rc
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
