"""The per-user balances file is one format: what `solvency ledger balances` writes (CSV or
Parquet) is what `solvency tree build --balances` reads, unchanged, and the tree commits the
ledger's totals. The columns are written once, in `ledger.frames.COLUMNS`."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from ledger.frames import COLUMNS
from solvency.cli.main import cli
from solvency.tree.balances import HEADER

DEPOSITS = (("w1", "BTC", 1_000), ("w1", "USD", 250), ("w2", "BTC", 70_000), ("w3", "USD", 5))


def run(*args: object):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, (args, result.stdout, result.stderr)
    return json.loads(result.stdout)


@pytest.fixture
def ledger_db(tmp_path):
    db = tmp_path / "ledger.db"
    run("ledger", "init", "--db", db, "--json")
    entries = tmp_path / "entries.jsonl"
    reserve = {"BTC": "Assets:Reserve:Lightning", "USD": "Assets:Reserve:Lightning"}
    entries.write_text("".join(json.dumps({"postings": [
        {"account": reserve[currency], "currency": currency, "side": "debit", "amount": amount},
        {"account": f"Liabilities:{user}", "currency": currency, "side": "credit", "amount": amount}],
        "idempotency_key": f"d-{user}-{currency}"}) + "\n" for user, currency, amount in DEPOSITS))
    run("ledger", "post", entries, "--db", db, "--json")
    return db


def test_the_header_is_the_ledgers():
    assert COLUMNS == ("user_id", "currency", "amount")
    assert HEADER == "user_id,currency,amount"


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_ledger_balances_feeds_tree_build(ledger_db, tmp_path, suffix):
    out = tmp_path / f"balances.{suffix}"
    written = run("ledger", "balances", "--db", ledger_db, "--definition", "customer-liabilities", "--out", out, "--json")
    assert written["totals"] == {"BTC": 71_000, "USD": 255}
    if suffix == "csv":
        with open(out, newline="") as handle:
            assert next(csv.reader(handle)) == list(COLUMNS)
    built = run("tree", "build", "--balances", out, "--assets", "BTC,USD", "--epoch", "e1", "--as-of", "2026-12-01T00:00:00Z",
                "--key", _key(tmp_path), "--out", tmp_path / f"tree-{suffix}", "--json")
    assert built["users"] == 3
    assert {code: int(total) for code, total in built["root_sums"].items()} == written["totals"]


def _key(tmp_path) -> str:
    key = tmp_path / "bank.key"
    if not key.exists():
        run("keys", "generate", "--out", key, "--json")
    return str(key)
