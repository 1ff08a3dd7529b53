"""Progress on long work and what `ledger post` wrote.

The library tells an optional ``progress(phase, done, total)`` callback how far it is
(`ledger.store.Progress`): `Store.post_batch`, `Store.verify`, `Store.unbalanced_journals`,
`ledger.mongo.importer.copy_ledger` and `solvency.books.pnl.profit_and_loss`. The commands draw it
on stderr only when stderr is a terminal and never with ``--json``; in text mode they end with a
summary line. `ledger post --json` says, per entry, whether this process wrote it.
"""

from __future__ import annotations

import json
from pathlib import Path

import mongomock
import pytest
from bson import json_util
from bson.json_util import JSONOptions
from click.testing import CliRunner

import solvency.cli.common
from ledger.definitions import load_definitions
from ledger.entries import JournalEntry, Posting
from ledger.mongo.importer import copy_ledger
from ledger.mongo.store import MongoStore
from ledger.sqlite.store import SQLiteStore
from ledger.store import PROGRESS_STEP
from solvency.books.pnl import profit_and_loss
from solvency.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
N = PROGRESS_STEP + 7  # more than one step, not a multiple of it


def deposit(i: int, key: bool = True) -> JournalEntry:
    return JournalEntry(
        postings=(Posting("Assets:Reserve:Lightning", "BTC", "debit", 1000 + i), Posting(f"Liabilities:w{i % 50}", "BTC", "credit", 1000 + i)),
        memo="deposit", idempotency_key=f"k{i}" if key else None,
    )


def line(i: int) -> str:
    return json.dumps({"postings": [
        {"account": "Assets:Reserve:Lightning", "currency": "BTC", "side": "debit", "amount": 1000 + i},
        {"account": f"Liabilities:w{i % 50}", "currency": "BTC", "side": "credit", "amount": 1000 + i}],
        "memo": "deposit", "idempotency_key": f"k{i}"}) + "\n"


class Heard:
    """A progress callback that keeps what it was told."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []

    def __call__(self, phase: str, done: int, total: int) -> None:
        self.calls.append((phase, done, total))

    def last(self, phase: str) -> tuple[int, int]:
        return [(d, t) for p, d, t in self.calls if p == phase][-1]

    def counts(self, phase: str) -> list[int]:
        return [d for p, d, _ in self.calls if p == phase]


@pytest.fixture
def store(tmp_path):
    with SQLiteStore(str(tmp_path / "l.db"), create=True) as s:
        yield s


def test_post_batch_verify_and_journal_check_report_progress(store):
    heard = Heard()
    store.post_batch([deposit(i) for i in range(N)], progress=heard)
    for phase in ("checking entries", "linking entries"):
        assert heard.counts(phase) == [0, PROGRESS_STEP, N] and heard.last(phase) == (N, N)
    assert heard.counts("writing entries") == [0, N]
    heard = Heard()
    store.unbalanced_journals(progress=heard)
    store.verify(heard)
    assert heard.last("checking journals") == (N, N) and heard.last("verifying the hash chain") == (N, N)
    store.verify()  # and without a callback, as before


def test_pnl_reports_progress(store):
    store.post_batch([deposit(i, key=False) for i in range(N)])
    heard = Heard()
    profit_and_loss(store, load_definitions(None), None, 4_000_000_000_000_000, progress=heard)
    assert heard.last("reading entries") == (N, N)


def test_mongo_import_reports_progress(tmp_path):
    docs = json_util.loads((ROOT / "tests" / "mongo" / "fixtures" / "galoy_medici.json").read_text(),
                           json_options=JSONOptions(tz_aware=True))
    db = mongomock.MongoClient(tz_aware=True)["galoy"]
    db["medici_transactions"].insert_many([dict(d) for d in docs["medici_transactions"]])
    db["medici_journals"].insert_many([dict(d) for d in docs["medici_journals"]])
    heard = Heard()
    report = copy_ledger(MongoStore(db), SQLiteStore(str(tmp_path / "copy.db"), create=True), batch_size=4, progress=heard)
    assert heard.last("copying entries") == (report.entries, 0) and report.entries > 0


def test_post_counts_only_what_this_process_wrote(store, tmp_path):
    """Another writer commits the same batch between our read of the ledger and our write: every
    entry is then a replay here, whatever the digest said before."""
    other = SQLiteStore(str(tmp_path / "l.db"))
    batch = [deposit(i) for i in range(20)]
    transaction = store._transaction

    def racing(body):
        other.post_batch(batch)
        return transaction(body)

    store._transaction = racing
    from solvency.ledger_files import EntryFiles, post_entry_files

    result = post_entry_files(store, EntryFiles(tuple(batch), tuple(("f", i + 1) for i in range(20)), ()))
    assert result.new == 0 and result.written == (False,) * 20 and result.digest.entry_count == 20


def test_post_json_names_new_entries_and_replays(tmp_path):
    db = tmp_path / "l.db"
    runner = CliRunner()
    runner.invoke(cli, ["ledger", "init", "--db", str(db)])
    (tmp_path / "a.jsonl").write_text(line(1))
    (tmp_path / "b.jsonl").write_text(line(1) + line(2) + line(2))  # a stored key, a new one, repeated
    runner.invoke(cli, ["ledger", "post", str(tmp_path / "a.jsonl"), "--db", str(db)])
    doc = json.loads(runner.invoke(cli, ["ledger", "post", str(tmp_path / "b.jsonl"), "--db", str(db), "--json"]).stdout)
    assert [p["new"] for p in doc["posted"]] == [False, True, False]
    assert (doc["new"], doc["replays"], doc["entry_count"]) == (1, 2, 2)
    assert doc["posted"][1]["entry_id"] == doc["posted"][2]["entry_id"]


@pytest.fixture
def big(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text("".join(line(i) for i in range(N)))
    db = tmp_path / "l.db"
    CliRunner().invoke(cli, ["ledger", "init", "--db", str(db)])
    return path, db


@pytest.mark.parametrize("terminal", [True, False])
def test_post_and_check_draw_progress_on_a_terminal_only(big, monkeypatch, terminal):
    path, db = big
    monkeypatch.setattr(solvency.cli.common, "stderr_is_terminal", lambda: terminal)
    post = CliRunner().invoke(cli, ["ledger", "post", str(path), "--db", str(db)])
    check = CliRunner().invoke(cli, ["ledger", "check", "--db", str(db)])
    assert post.exit_code == check.exit_code == 0
    for result, phases in ((post, ("reading entries", "checking entries", "linking entries")),
                           (check, ("checking journals", "verifying the hash chain"))):
        for phase in phases:
            assert (f"{phase}: " in result.stderr) == terminal
            assert phase not in result.stdout
    assert f"\r  linking entries: {N:,}/{N:,}" in post.stderr or not terminal
    # The summary line, always in text mode.
    assert f"posted {N} entries ({N} new, 0 idempotent replays) in " in post.stdout.splitlines()[0]
    assert check.stdout.splitlines()[-1].startswith(f"checked {N} entries in ")


def test_json_never_draws_progress(big, monkeypatch):
    path, db = big
    monkeypatch.setattr(solvency.cli.common, "stderr_is_terminal", lambda: True)
    for args in (["ledger", "post", str(path)], ["ledger", "check"], ["report", "pnl", "--as-of", "2100-01-01T00:00:00Z"]):
        result = CliRunner().invoke(cli, [*args, "--db", str(db), "--json"])
        assert result.exit_code == 0, result.output
        assert result.stderr == "" and json.loads(result.stdout)["format"] == "solvency-cli/1"


def test_pnl_draws_progress_and_ends_with_a_summary(big, monkeypatch):
    path, db = big
    CliRunner().invoke(cli, ["ledger", "post", str(path), "--db", str(db)])
    monkeypatch.setattr(solvency.cli.common, "stderr_is_terminal", lambda: True)
    result = CliRunner().invoke(cli, ["report", "pnl", "--db", str(db), "--as-of", "2100-01-01T00:00:00Z"])
    assert result.exit_code == 0, result.output
    assert f"reading entries: {N:,}/{N:,}" in result.stderr
    assert " entries in the period, computed in " in result.stdout.splitlines()[-1]


def test_import_draws_progress_and_ends_with_a_summary(tmp_path, monkeypatch):
    import ledger.mongo

    docs = json_util.loads((ROOT / "tests" / "mongo" / "fixtures" / "galoy_medici.json").read_text(),
                           json_options=JSONOptions(tz_aware=True))
    client = mongomock.MongoClient(tz_aware=True)
    for collection in ("medici_transactions", "medici_journals"):
        client["galoy"][collection].insert_many([dict(d) for d in docs[collection]])
    monkeypatch.setattr(ledger.mongo, "connect", lambda uri: client)
    monkeypatch.setattr(solvency.cli.common, "stderr_is_terminal", lambda: True)
    result = CliRunner().invoke(cli, ["ledger", "import", "--from", "mongodb://bank.example/galoy", "--to", str(tmp_path / "copy.db")])
    assert result.exit_code == 0, result.output
    entries = SQLiteStore(str(tmp_path / "copy.db")).digest().entry_count
    assert f"copying entries: {entries:,}" in result.stderr
    assert result.stdout.startswith(f"imported {entries} entries (") and " in " in result.stdout.splitlines()[0]
