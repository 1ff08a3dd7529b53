"""`solvency ledger ...` and `solvency demo` through click's runner: outputs, exit codes, errors
that name file, line and field, and atomic outputs."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from solvency.cli.main import cli

DEPOSIT = {
    "postings": [
        {"account": "Assets:Reserve:Lightning", "currency": "BTC", "side": "debit", "amount": 1000},
        {"account": "Liabilities:w1", "currency": "BTC", "side": "credit", "amount": 1000},
    ],
    "memo": "deposit",
    "idempotency_key": "d1",
}
USD = {
    "postings": [
        {"account": "Liabilities:dealer:USD", "currency": "USD", "side": "debit", "amount": 250},
        {"account": "Liabilities:w2", "currency": "USD", "side": "credit", "amount": 250},
    ],
    "reporting_at": "2026-01-01T00:00:00Z",
}


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOLVENCY_DB", str(tmp_path / "env.db"))
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


def write_jsonl(path, *objects):
    path.write_text("".join(json.dumps(o) + "\n" for o in objects))
    return str(path)


def test_init_post_check_balances(run, tmp_path):
    assert run("ledger", "init").exit_code == 0
    assert (tmp_path / "env.db").exists()  # the environment variable picks the database
    good = write_jsonl(tmp_path / "good.jsonl", DEPOSIT, USD)
    result = run("ledger", "post", good, "--json")
    assert result.exit_code == 0, result.output
    posted = json.loads(result.output)
    assert posted["entry_count"] == 2 and len(posted["posted"]) == 2
    assert [p["new"] for p in posted["posted"]] == [True, True] and (posted["new"], posted["replays"]) == (2, 0)
    replay = json.loads(run("ledger", "post", write_jsonl(tmp_path / "again.jsonl", DEPOSIT), "--json").output)
    assert replay["posted"][0] == {**posted["posted"][0], "new": False} and replay["entry_count"] == 2
    assert (replay["new"], replay["replays"]) == (0, 1)

    check = run("ledger", "check", "--json")
    assert check.exit_code == 0
    report = json.loads(check.output)
    assert report["ok"] and report["entry_count"] == 2 and report["head_hash"] == posted["head_hash"]
    assert report["trial_balance"] == {"BTC": 0, "USD": 0}

    bal = json.loads(run("ledger", "balance", "Liabilities:w1", "--json").output)
    assert bal["balances"] == {"BTC": 1000}
    out = tmp_path / "b.csv"
    result = run("ledger", "balances", "--definition", "customer-liabilities", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["rows"] == 2 and summary["totals"] == {"BTC": 1000, "USD": 250}
    assert list(csv.reader(out.open())) == [["user_id", "currency", "amount"], ["w1", "BTC", "1000"], ["w2", "USD", "250"]]
    accounts = json.loads(run("ledger", "accounts", "--json").output)["accounts"]
    assert {a["path"] for a in accounts} == {"Assets:Reserve:Lightning", "Liabilities:w1", "Liabilities:dealer:USD", "Liabilities:w2"}


def test_reporting_axis_definition_file_and_parquet(run, tmp_path):
    run("ledger", "init", "--db", "x.db")
    run("ledger", "post", "--db", "x.db", write_jsonl(tmp_path / "g.jsonl", DEPOSIT, USD))
    defs = tmp_path / "defs.toml"
    defs.write_text(
        'format = "pos-ledger-definitions/1"\n[definitions.users-reporting]\ntime_axis = "reporting"\n'
        'include = [{ path = "Liabilities:*" }]\nexclude = [{ path = "Liabilities:dealer:**" }]\n'
    )
    out = tmp_path / "r.parquet"
    result = run("ledger", "balances", "--db", "x.db", "--definitions", str(defs), "--definition", "users-reporting",
                 "--as-of", "2026-06-01T00:00:00Z", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    import pyarrow.parquet as pq

    table = pq.read_table(out).to_pylist()
    assert table == [{"user_id": "w2", "currency": "USD", "amount": 250}]


def test_rejected_post_names_file_line_field_and_writes_nothing(run, tmp_path):
    run("ledger", "init", "--db", "x.db")
    run("ledger", "post", "--db", "x.db", write_jsonl(tmp_path / "g.jsonl", DEPOSIT))
    bad_amount = json.loads(json.dumps(USD))
    bad_amount["postings"][0]["amount"] = 2.5
    conflict = {**DEPOSIT, "memo": "changed"}
    path = write_jsonl(tmp_path / "bad.jsonl", USD, bad_amount, conflict, {**USD, "colour": 1})
    result = run("ledger", "post", "--db", "x.db", path)
    assert result.exit_code == 1
    assert f"{path}:2: postings[0].amount:" in result.output
    assert f"{path}:3: idempotency_key:" in result.output
    assert f"{path}:4: colour:" in result.output
    assert "nothing was written" in result.output
    assert json.loads(run("ledger", "check", "--db", "x.db", "--json").output)["entry_count"] == 1


def test_a_line_that_does_not_parse_keeps_the_good_lines_out_too(run, tmp_path):
    run("ledger", "init", "--db", "x.db")
    path = tmp_path / "mixed.jsonl"
    path.write_text(json.dumps(DEPOSIT) + "\n" + '{"postings": [\n')
    result = run("ledger", "post", "--db", "x.db", str(path))
    assert result.exit_code == 1
    assert f"{path}:2: line: not valid JSON" in result.output and "nothing was written" in result.output
    assert json.loads(run("ledger", "check", "--db", "x.db", "--json").output)["entry_count"] == 0


def test_reverse_and_its_errors(run, tmp_path):
    run("ledger", "init", "--db", "x.db")
    entry_id = json.loads(run("ledger", "post", "--db", "x.db", "--json", write_jsonl(tmp_path / "g.jsonl", DEPOSIT)).output)["posted"][0]["entry_id"]
    result = run("ledger", "reverse", entry_id, "--db", "x.db", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["reverses"] == entry_id
    again = run("ledger", "reverse", entry_id, "--db", "x.db")
    assert again.exit_code == 1 and "already reversed" in again.output
    assert run("ledger", "reverse", "not-an-id", "--db", "x.db").exit_code == 2
    assert json.loads(run("ledger", "balance", "Liabilities:w1", "--db", "x.db", "--json").output)["balances"] == {"BTC": 0}


def test_usage_and_input_errors_exit_codes(run, tmp_path):
    assert run("ledger", "check", "--db", "missing.db").exit_code == 1
    run("ledger", "init", "--db", "x.db")
    assert run("ledger", "balances", "--db", "x.db", "--definition", "nope", "--out", "a.csv").exit_code == 2
    assert run("ledger", "balances", "--db", "x.db", "--definition", "customer-liabilities", "--out", "a.txt").exit_code == 2
    assert run("ledger", "balance", "Liabilities:w1", "--db", "x.db", "--as-of", "yesterday").exit_code == 2
    assert run("ledger", "balance", "NotAType:x", "--db", "x.db").exit_code == 2
    assert run("ledger", "post", "--db", "x.db").exit_code == 2
    assert run("ledger", "post", "--db", "x.db", "missing.jsonl").exit_code == 1
    (tmp_path / "empty.jsonl").write_text("\n")
    assert run("ledger", "post", "--db", "x.db", str(tmp_path / "empty.jsonl")).exit_code == 1
    (tmp_path / "junk.db").write_text("this is not sqlite")
    result = run("ledger", "check", "--db", str(tmp_path / "junk.db"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    bad_defs = tmp_path / "d.toml"
    bad_defs.write_text('format = "pos-ledger-definitions/1"\n[definitions.x]\ntime_axis = "later"\ninclude = [{ path = "A:*" }]\n')
    result = run("ledger", "balances", "--db", "x.db", "--definitions", str(bad_defs), "--definition", "x", "--out", "a.csv")
    assert result.exit_code == 1 and "definitions.x.time_axis" in result.output


def test_check_fails_on_a_tampered_ledger(run, tmp_path):
    import sqlite3

    run("ledger", "init", "--db", "x.db")
    run("ledger", "post", "--db", "x.db", write_jsonl(tmp_path / "g.jsonl", DEPOSIT, USD))
    db = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    db.execute("DROP TRIGGER postings_no_update")
    db.execute("UPDATE postings SET amount = amount + 1 WHERE entry_seq = 2 AND idx = 1")
    db.close()
    result = run("ledger", "check", "--db", "x.db")
    assert result.exit_code == 1 and "check failed" in result.output


def test_demo_builds_a_checked_ledger_and_replaces_the_old_one(run, tmp_path):
    out = tmp_path / "demo-out"
    first = run("demo", "--ledger-only", "--out", str(out), "--users", "30", "--json")
    assert first.exit_code == 0, first.output
    summary = json.loads(first.output)
    assert summary["trial_balance"] == {"BTC": 0, "USD": 0}
    assert summary["reversals"] > 0 and summary["idempotent_replays"] > 0 and summary["backdated"] > 0
    assert {"conversion", "channel_open", "onchain_payment", "payment", "invoice"} <= set(summary["entries_by_kind"])
    totals = summary["definitions"]["customer-liabilities"]["totals"]
    assert totals["BTC"] > 0 and totals["USD"] > 0
    second = json.loads(run("demo", "--ledger-only", "--out", str(out), "--users", "30", "--json").output)
    assert second["entries"] == summary["entries"]  # same seed, same day
    assert second["definitions"] == summary["definitions"]
    assert sorted(p.name for p in out.iterdir()) == ["customer-liabilities.csv", "ledger.db"]
    check = run("ledger", "check", "--db", str(out / "ledger.db"), "--json")
    assert json.loads(check.output)["head_hash"] == second["head_hash"]
    rows = list(csv.DictReader((out / "customer-liabilities.csv").open()))
    assert sum(int(r["amount"]) for r in rows if r["currency"] == "BTC") == totals["BTC"]
    assert all(int(r["amount"]) > 0 for r in rows)  # the generator never overdraws a wallet
