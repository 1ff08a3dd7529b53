"""Helpers of the asset tests: the epoch used throughout and the two CLIs run in-process."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

EPOCH = "2026-11"


def run_solvency(*args):
    from solvency.cli.main import cli

    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def run_verify(*args):
    from verifier.cli import main

    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def load(path: Path) -> dict:
    return json.loads(path.read_text())
