"""A verifier-only install (``pip install proof-of-solvency``, without the ``prover`` extra): the
prover's commands say which extra to install (one line, exit 2), never a ModuleNotFoundError
traceback, and `solvency-verify` keeps working.

Two ways: a real one, a fresh venv (no system site packages) with the project and the base
dependencies only, installed with ``--no-deps`` from pip's local wheels (skipped, with the reason,
when pip cannot install offline); and a fast one that always runs, the CLI in a subprocess whose
import system refuses the prover's modules.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from solvency.cli.main import PROVER_MODULES, SolvencyGroup

ROOT = Path(__file__).resolve().parents[2]
BASE = ["click", "cryptography", "coincurve", "embit", "cffi", "pycparser"]  # the verifier's dependencies and theirs


def message(module: str) -> str:
    return f"solvency: this command needs the prover extra: pip install 'proof-of-solvency[prover]' (missing module: {module})\n"


def prover_commands(tmp: Path) -> list[tuple[list[str], str]]:
    """(arguments, the prover module it reaches first) for commands that need the extra."""
    (tmp / "b.csv").write_text("user_id,currency,amount\nu1,BTC,100\n")
    (tmp / "token").write_text("t" * 40 + "\n")
    (tmp / "pub").mkdir(exist_ok=True)
    return [
        (["metrics", "write", "-", "--db", str(tmp / "v.db"), "--snapshots", str(tmp)], "prometheus_client"),
        (["ledger", "import", "--from", "mongodb://bank.example/galoy", "--to", str(tmp / "copy.db")], "pymongo"),
        (["ledger", "balances", "--db", str(tmp / "v.db"), "--definition", "customer-liabilities", "--out", str(tmp / "b.parquet")], "pyarrow"),
        (["tree", "build", "--balances", str(tmp / "b.csv"), "--as-of", "2026-01-01T00:00:00Z", "--epoch", "e1",
          "--key", str(tmp / "bank.key"), "--out", str(tmp / "tree")], "pyarrow"),
        (["serve", "--pubdir", str(tmp / "pub"), "--token-file", str(tmp / "token"), "--port", "0"], "aiohttp"),
    ]


def light_commands(tmp: Path) -> list[list[str]]:
    """Commands that need nothing of the extra (run first: the others use their files)."""
    return [["keys", "generate", "--out", str(tmp / "bank.key")], ["ledger", "init", "--db", str(tmp / "v.db")],
            ["ledger", "check", "--db", str(tmp / "v.db")]]


def check_install(run, tmp: Path) -> None:
    for args in light_commands(tmp):
        done = run(args)
        assert done.returncode == 0, (args, done.stderr)
    for args, module in prover_commands(tmp):
        done = run(args)
        assert (done.returncode, done.stderr) == (2, message(module)), (args, done.stdout, done.stderr)


BLOCKER = textwrap.dedent("""
    import sys

    BLOCKED = {blocked!r}


    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
            return None


    sys.meta_path.insert(0, Blocker())
    for loaded in [m for m in sys.modules if m.partition(".")[0] in BLOCKED]:
        del sys.modules[loaded]
    sys.argv[0] = "solvency"
    from solvency.cli.main import main

    main()
""")


def test_blocked_prover_modules_give_one_line_and_exit_2(tmp_path):
    script = tmp_path / "blocked.py"
    script.write_text(BLOCKER.format(blocked=sorted(PROVER_MODULES)))

    def run(args):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's code, whatever the venv has installed
        return subprocess.run([sys.executable, str(script), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    check_install(run, tmp_path)


def test_only_the_prover_modules_are_turned_into_the_message():
    def failing(name):
        @click.command()
        def command():
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

        return command

    group = SolvencyGroup(lazy_commands={})
    group.add_command(failing("pandas.core.frame"), "frame")
    group.add_command(failing("verifier"), "ours")
    result = CliRunner().invoke(group, ["frame"])
    assert (result.exit_code, result.stderr) == (2, message("pandas"))
    result = CliRunner().invoke(group, ["ours"])
    assert isinstance(result.exception, ModuleNotFoundError)  # a broken install keeps its traceback


@pytest.fixture(scope="module")
def verifier_only(tmp_path_factory):
    """A venv without system site packages holding the project and the base dependencies only."""
    base = tmp_path_factory.mktemp("verifier-only")
    source = base / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for package in ("ledger", "solvency", "verifier"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    pip = subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", str(source), *BASE],
                         capture_output=True, text=True, timeout=600)
    if pip.returncode != 0:
        pytest.skip(f"cannot install a verifier-only venv offline: {pip.stderr.strip().splitlines()[-1:]}")
    return env_dir / "bin"


def test_real_verifier_only_install(verifier_only, tmp_path):
    listed = subprocess.run([str(verifier_only / "python"), "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True)
    installed = {line.split("==")[0].lower().replace("-", "_") for line in listed.stdout.splitlines()}
    assert not installed & PROVER_MODULES, installed

    def run(args):
        return subprocess.run([str(verifier_only / "solvency"), *args], cwd=tmp_path, capture_output=True, text=True, timeout=120)

    check_install(run, tmp_path)
    assert run(["--help"]).returncode == 0

    # solvency-verify there checks a proof the full install built.
    from solvency.cli.main import cli

    tree = tmp_path / "tree2"
    built = CliRunner().invoke(cli, ["tree", "build", "--balances", str(tmp_path / "b.csv"), "--as-of", "2026-01-01T00:00:00Z",
                                     "--epoch", "e1", "--key", str(tmp_path / "bank.key"), "--out", str(tree), "--min-leaves", "4"])
    assert built.exit_code == 0, built.output
    assert CliRunner().invoke(cli, ["tree", "proof", "--dir", str(tree), "--user", "u1", "--out", str(tmp_path / "p.json")]).exit_code == 0
    verified = subprocess.run([str(verifier_only / "solvency-verify"), "proof", str(tmp_path / "p.json"), "--key", str(tmp_path / "bank.key.pub"),
                               "--commitment", str(tree / "commitment.json"), "--user", "u1", "--epoch", "e1"],
                              capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0 and "VALID" in verified.stdout, verified.stdout + verified.stderr
