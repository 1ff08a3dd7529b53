"""Integration: attest against a commitment built by `solvency tree build`, verify both together."""

from __future__ import annotations

import json

import assets_builder as b
from assets_cli import run_solvency, run_verify

from verifier import canonical


def test_attestation_over_a_real_liabilities_tree(tmp_path):
    from solvency.keys import generate_key

    generate_key(tmp_path / "bank.key")
    balances = tmp_path / "balances.csv"
    balances.write_text("user_id,currency,amount\nalice,BTC,100000000\nbob,BTC,50000000\nbob,USD,250000\ncarol,USD,50000\n")
    built = run_solvency("tree", "build", "--balances", balances, "--as-of", b.AS_OF, "--epoch", "2026-11",
                         "--key", tmp_path / "bank.key", "--out", tmp_path / "tree", "--workers", "1")
    assert built.exit_code == 0, built.output
    commitment_file = tmp_path / "tree" / "commitment.json"
    commitment = canonical.loads(commitment_file.read_bytes(), require_canonical=False)

    b.Snapshot("2026-11", commitment).write(tmp_path / "snap")
    out = tmp_path / "assets.json"
    result = run_solvency("assets", "attest", "--snapshots", tmp_path / "snap", "--epoch", "2026-11",
                          "--commitment", commitment_file, "--key", tmp_path / "bank.key", "--out", out)
    assert result.exit_code == 0, result.output

    verified = run_verify("assets", out, "--key", tmp_path / "bank.key.pub", "--commitment", commitment_file,
                          "--epoch", "2026-11", "--network", "regtest", "--json")
    report = json.loads(verified.output)
    assert verified.exit_code == 0, report
    rows = {r["asset"]: r for r in report["facts"]["statement"]["per_asset"]}
    assert rows["BTC"]["liabilities"] == "150000000" and rows["USD"]["liabilities"] == "300000"
    assert rows["BTC"]["margin"] == str(198_339_148 - 150_000_000)
