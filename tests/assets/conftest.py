"""Fixtures of the asset tests: a bank key, a signed commitment, snapshot directories, the CLIs."""

from __future__ import annotations

import assets_builder as b
import pytest
from assets_cli import EPOCH, run_solvency


@pytest.fixture(scope="session")
def bank(tmp_path_factory):
    from solvency.keys import generate_key

    directory = tmp_path_factory.mktemp("bank")
    private = generate_key(directory / "bank.key")
    commitment = b.commitment(private, EPOCH)
    b.write_commitment(directory / "commitment.json", commitment)
    return {"key": directory / "bank.key", "pub": directory / "bank.key.pub", "private": private,
            "commitment": commitment, "commitment_file": directory / "commitment.json", "dir": directory}


@pytest.fixture
def snapshot(bank):
    return b.Snapshot(EPOCH, bank["commitment"])


@pytest.fixture
def attest(bank, tmp_path):
    """Write `snap` to a directory and run `solvency assets attest`; returns (result, out path)."""

    def run(snap: b.Snapshot, **write_args):
        directory = snap.write(tmp_path / "snap", **write_args) if not (tmp_path / "snap").exists() else tmp_path / "snap"
        out = tmp_path / "assets.json"
        result = run_solvency("assets", "attest", "--snapshots", directory, "--epoch", EPOCH,
                              "--commitment", bank["commitment_file"], "--key", bank["key"], "--out", out)
        return result, out

    return run


@pytest.fixture
def attested(snapshot, attest):
    result, out = attest(snapshot)
    assert result.exit_code == 0, result.output
    return out
