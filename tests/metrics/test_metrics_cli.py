"""`solvency metrics serve|write`: the command line, the textfile output, start-up refusals."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import metrics_fixtures as fx
import pytest
from click.testing import CliRunner
from metrics_fixtures import fetch, parse

from solvency.cli.main import cli


def _write(args: list[str]):
    return CliRunner().invoke(cli, ["metrics", "write", *args], catch_exceptions=False)


def test_write_textfile_is_complete_and_atomic(tmp_path, ledger_db, snapshot_dir):
    target = tmp_path / "textfile" / "solvency.prom"
    target.parent.mkdir()
    target.write_text("old content\n")
    result = _write([str(target), "--db", str(ledger_db), "--snapshots", str(snapshot_dir)])
    assert result.exit_code == 0, result.output
    scrape = parse(target.read_text())
    assert scrape.value("solvency_surplus_sats") == fx.TOTAL_ASSETS - fx.LEDGER_BTC_LIABILITIES
    assert scrape.value("solvency_liabilities_usd_cents") == fx.LEDGER_USD_LIABILITIES
    assert sorted(p.name for p in target.parent.iterdir()) == ["solvency.prom"]  # no temp file left
    assert target.stat().st_mode & 0o777 == 0o644  # node_exporter runs as another user


def test_write_with_a_failed_source_still_writes_the_up_gauges(tmp_path, ledger_db, snapshot_dir):
    (snapshot_dir / "bitcoind_scantxoutset.json").unlink()
    target = tmp_path / "solvency.prom"
    result = _write([str(target), "--db", str(ledger_db), "--snapshots", str(snapshot_dir)])
    assert result.exit_code == 0
    scrape = parse(target.read_text())
    assert scrape.value("solvency_source_up", source="cold_storage") == 0
    assert not scrape.has("solvency_assets_sats", source="cold_storage")
    assert "solvency_surplus_sats" not in scrape.samples


def test_write_to_stdout(ledger_db, snapshot_dir):
    result = _write(["-", "--db", str(ledger_db), "--snapshots", str(snapshot_dir)])
    assert result.exit_code == 0
    assert parse(result.stdout).value("solvency_total_assets_sats") == fx.TOTAL_ASSETS


def test_write_into_a_missing_directory_fails_cleanly(tmp_path, ledger_db, snapshot_dir):
    result = _write([str(tmp_path / "no" / "such" / "x.prom"), "--db", str(ledger_db), "--snapshots", str(snapshot_dir)])
    assert result.exit_code == 1
    assert "cannot write" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    "extra, code, message",
    [
        ([], 2, "exactly one of --snapshots"),
        (["--snapshots", "S", "--snapshot-cmd", "true"], 2, "exactly one of --snapshots"),
        (["--snapshots", "S", "--liabilities-definition", "nope"], 1, "no definition 'nope'"),
        (["--snapshots", "S", "--source-definition", "pending=nope"], 1, "no definition 'nope'"),
        (["--snapshots", "S", "--source-definition", "moon=cold-storage"], 2, "expected SOURCE=NAME"),
        (["--snapshots", "S", "--publication-key", "00" * 32], 2, "--publication-key needs --publication"),
        (["--snapshots", "S", "--publication", "P", "--publication-key", "zz"], 1, "--publication-key"),
        (["--snapshots", "S", "--definitions", "missing.toml"], 1, "missing.toml"),
    ],
)
def test_startup_refusals(tmp_path, ledger_db, extra, code, message):
    args = [a.replace("S", str(tmp_path)) if a == "S" else a for a in extra]
    result = CliRunner().invoke(cli, ["metrics", "write", "-", "--db", str(ledger_db), *args])
    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_ledger_is_refused_at_startup_and_not_created(tmp_path, snapshot_dir):
    result = CliRunner().invoke(cli, ["metrics", "write", "-", "--db", str(tmp_path / "x.db"), "--snapshots", str(snapshot_dir)])
    assert result.exit_code == 1 and "no ledger file" in result.output
    assert not (tmp_path / "x.db").exists()


def test_source_definition_none_disables_reconciliation(ledger_db, snapshot_dir):
    result = _write(["-", "--db", str(ledger_db), "--snapshots", str(snapshot_dir), "--source-definition", "cold_storage=none"])
    scrape = parse(result.stdout)
    assert not scrape.has("solvency_reconciliation_drift_sats", definition="cold-storage")
    assert scrape.has("solvency_reconciliation_drift_sats", definition="onchain-hot")


def test_serve_runs_until_sigterm(tmp_path, ledger_db, snapshot_dir):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "solvency", "metrics", "serve", "--db", str(ledger_db), "--snapshots", str(snapshot_dir),
         "--port", "0", "--addr", "127.0.0.1"],
        stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        line = process.stderr.readline()
        match = re.search(r"serving (http://127\.0\.0\.1:\d+/metrics)", line)
        assert match, line
        status, text = fetch(match.group(1))
        assert status == 200
        assert parse(text).value("solvency_liabilities_sats") == fx.LEDGER_BTC_LIABILITIES
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        assert "stopped" in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serve_refuses_a_port_in_use(ledger_db, snapshot_dir):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(
            cli, ["metrics", "serve", "--db", str(ledger_db), "--snapshots", str(snapshot_dir), "--port", str(port)]
        )
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output


def test_help_does_not_import_heavy_libraries():
    code = "import sys\nfrom solvency.cli.main import cli\ntry:\n    cli(['metrics', 'serve', '--help'])\nexcept SystemExit:\n    pass\nprint(sorted(m for m in ('pandas', 'pyarrow', 'prometheus_client', 'ledger.sqlite.store') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
