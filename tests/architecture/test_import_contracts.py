"""The architecture's import rules, checked on the real import graph of fresh interpreters.

import-linter (run by `make test`) checks the static graph; these tests check what actually gets
imported at run time, which also catches lazy imports inside functions that run at import time.
"""

import subprocess
import sys
import textwrap

import pytest

FORBIDDEN_FOR_VERIFIER = ("ledger", "solvency", "pandas", "pymongo", "pymerkle", "prometheus_client")
FORBIDDEN_FOR_LEDGER = ("solvency", "verifier")


def _loaded_after(code: str) -> set[str]:
    script = "import sys\n" + textwrap.dedent(code) + '\nprint("\\n".join(sorted({m.split(".")[0] for m in sys.modules})))\n'
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
    return set(out.split())


def _verifier_modules() -> list[str]:
    import pkgutil

    import verifier

    names = [m.name for m in pkgutil.walk_packages(verifier.__path__, "verifier.")]
    return ["verifier"] + [n for n in names if not n.endswith("__main__")]


def _ledger_modules() -> list[str]:
    import pkgutil

    import ledger

    names = [m.name for m in pkgutil.walk_packages(ledger.__path__, "ledger.")]
    return ["ledger"] + [n for n in names if not n.endswith("__main__")]


@pytest.mark.parametrize("module", _verifier_modules())
def test_verifier_module_imports_nothing_forbidden(module):
    loaded = _loaded_after(f"import {module}")
    assert not loaded & set(FORBIDDEN_FOR_VERIFIER), f"{module} pulled in {loaded & set(FORBIDDEN_FOR_VERIFIER)}"


@pytest.mark.parametrize("module", _ledger_modules())
def test_ledger_module_does_not_import_prover_or_verifier(module):
    loaded = _loaded_after(f"import {module}")
    assert not loaded & set(FORBIDDEN_FOR_LEDGER), f"{module} pulled in {loaded & set(FORBIDDEN_FOR_LEDGER)}"


def test_contract_detector_catches_a_violation():
    # The detector itself must be able to fail: importing the prover CLI's heavy side shows pandas.
    loaded = _loaded_after("import pandas")
    assert "pandas" in loaded


def _help_loads(argv: list[str]) -> set[str]:
    code = f"""
import sys
sys.argv = {argv!r}
try:
    {'from verifier.cli import main as entry' if argv[0] == 'solvency-verify' else 'from solvency.cli.main import cli as entry'}
    entry(prog_name=sys.argv[0], args=sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
"""
    return _loaded_after(code)


def _all_command_paths():
    from click import Group

    from solvency.cli.main import cli
    from verifier.cli import main

    paths = []

    def walk(prog, group, prefix):
        paths.append([prog, *prefix, "--help"])
        ctx = group.make_context(prog, ["--help"], resilient_parsing=True)
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            if isinstance(command, Group):
                walk(prog, command, [*prefix, name])
            else:
                paths.append([prog, *prefix, name, "--help"])

    walk("solvency", cli, [])
    walk("solvency-verify", main, [])
    return paths


@pytest.mark.parametrize("argv", _all_command_paths(), ids=lambda a: " ".join(a))
def test_help_does_not_import_pandas(argv):
    loaded = _help_loads(argv)
    assert "pandas" not in loaded
    assert "pyarrow" not in loaded
