"""Every `solvency` command that produces a result takes ``--json`` and prints exactly one JSON
document with the version marker and the keys docs/CLI.md documents for it.

The command tree is walked from `solvency.cli.main.cli` (every group and subcommand, recursively),
so a new command without ``--json`` fails `test_every_command_that_produces_a_result_has_json`,
and a command the walk finds but `world` does not run fails `test_every_command_is_run`. Each
command is then run with ``--json`` on a small real setup, in the order an operator would: a key,
the demo's small ledger, a tree and its exports, an asset attestation signed by the demo's
signer, two published epochs (one step, then the three phases), the books and the metrics.
"""

from __future__ import annotations

import csv
import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import click
import mongomock
import pytest
from bson import json_util
from bson.json_util import JSONOptions
from click.testing import CliRunner

import ledger.mongo
from solvency.cli.common import CLI_FORMAT
from solvency.cli.main import cli

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "publish"))  # the publication tests' builders
from publish_helpers import SIGNER, make_snapshot, now_as_of  # noqa: E402

from solvency.publish.control import run_signer  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "CLI.md"
# Commands that run until stopped and print only where they listen: no result to describe.
EXEMPT = {"serve", "metrics serve"}
EPOCH = "2026-11"


def walk(command: click.Command, path: tuple[str, ...] = (), parent: click.Context | None = None):
    """(path, command) of every command a user can run: leaves, and groups that run on their own."""
    if isinstance(command, click.Group):
        if path and command.invoke_without_command:
            yield " ".join(path), command
        ctx = click.Context(command, info_name=path[-1] if path else "solvency", parent=parent)
        for name in command.list_commands(ctx):
            yield from walk(command.get_command(ctx, name), (*path, name), ctx)
    else:
        yield " ".join(path), command


COMMANDS = dict(walk(cli))


def has_json(command: click.Command) -> bool:
    return any("--json" in getattr(p, "opts", ()) for p in command.params)


def documented_keys() -> dict[str, set[str]]:
    """docs/CLI.md: ``### `solvency NAME` `` headings, each followed by a ``Keys:`` line naming
    the command's keys in backquotes (a remark in parentheses is not a key)."""
    keys: dict[str, set[str]] = {}
    current = None
    for line in DOCS.read_text().splitlines():
        heading = re.fullmatch(r"### `solvency ([a-z -]+)`", line.strip())
        if heading:
            current = heading.group(1)
        elif current and line.startswith("Keys:"):
            keys[current] = set(re.findall(r"`([a-z_]+)`", outside_parentheses(line)))
            current = None
    return keys


def outside_parentheses(text: str) -> str:
    """`text` without its parenthesised remarks (which may quote other names)."""
    kept, depth = [], 0
    for char in text:
        depth += char == "("
        if not depth:
            kept.append(char)
        depth -= char == ")" and depth > 0
    return "".join(kept)


def run(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def document(result) -> dict:
    """stdout as exactly one JSON document (json.loads refuses anything after it)."""
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return json.loads(result.stdout)


def galoy_client():
    text = (ROOT / "tests" / "mongo" / "fixtures" / "galoy_medici.json").read_text()
    docs = json_util.loads(text, json_options=JSONOptions(tz_aware=True))
    client = mongomock.MongoClient(tz_aware=True)
    db = client["galoy"]
    for collection, key in (("medici_transactions", "medici_transactions"), ("medici_journals", "medici_journals"),
                            ("accounts", "accounts"), ("wallets", "wallet_documents")):
        db[collection].insert_many([dict(d) for d in docs[key]])
    return client


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Run every command with --json once, in an operator's order; returns path -> click result."""
    base = tmp_path_factory.mktemp("json")
    out: dict[str, object] = {}
    key = base / "bank.key"
    out["keys generate"] = run("keys", "generate", "--out", key, "--json")
    out["keys show"] = run("keys", "show", f"{key}.pub", "--json")
    out["demo"] = run("demo", "--out", base / "demo", "--users", 12, "--seed", 5, "--json")

    # The demo's one-day ledger, then a small ledger written entry by entry.
    out["demo --ledger-only"] = run("demo", "--ledger-only", "--out", base / "day", "--users", 40, "--json")
    out["demo --galoy"] = run("demo", "--galoy", "--out", base / "galoy", "--users", 16, "--json")
    db = base / "day" / "ledger.db"
    small = base / "small.db"
    out["ledger init"] = run("ledger", "init", "--db", small, "--json")
    entries = base / "entries.jsonl"
    entries.write_text(json.dumps({"postings": [
        {"account": "Assets:Reserve:Lightning", "currency": "BTC", "side": "debit", "amount": 1000},
        {"account": "Liabilities:w1", "currency": "BTC", "side": "credit", "amount": 1000}], "idempotency_key": "d1"}) + "\n")
    out["ledger post"] = run("ledger", "post", entries, "--db", small, "--json")
    first = json.loads(out["ledger post"].stdout)["posted"][0]["entry_id"]
    out["ledger reverse"] = run("ledger", "reverse", first, "--db", small, "--json")
    out["ledger balance"] = run("ledger", "balance", "Liabilities:w1", "--db", small, "--json")
    out["ledger balances"] = run("ledger", "balances", "--definition", "customer-liabilities", "--out", base / "b.csv", "--db", db, "--json")
    out["ledger check"] = run("ledger", "check", "--db", db, "--json")
    out["ledger accounts"] = run("ledger", "accounts", "--db", small, "--json")
    mongo = galoy_client()
    original = ledger.mongo.connect
    ledger.mongo.connect = lambda uri: mongo
    try:
        out["ledger import"] = run("ledger", "import", "--from", "mongodb://galoy.example:27017/galoy", "--to", base / "imported.db", "--json")
    finally:
        ledger.mongo.connect = original

    # A tree, its exports and a receipt.
    as_of = now_as_of()
    tree = base / "tree"
    out["tree build"] = run("tree", "build", "--db", db, "--definition", "customer-liabilities", "--as-of", as_of, "--epoch", EPOCH,
                            "--key", key, "--out", tree, "--json")
    with open(base / "b.csv") as handle:
        user = next(csv.DictReader(handle))["user_id"]
    out["tree proof"] = run("tree", "proof", "--dir", tree, "--user", user, "--json")
    out["tree export-proofs"] = run("tree", "export-proofs", "--dir", tree, "--out", base / "proofs.jsonl", "--json")
    out["tree export-leaves"] = run("tree", "export-leaves", "--dir", tree, "--out", base / "leaves.bin", "--json")
    out["receipt"] = run("receipt", "--tree", tree, "--user", user, "--key", key, "--json")

    # The assets of that commitment, signed by the demo's signer between the steps.
    snap = make_snapshot(base / "snap", "e1", 871_000, 1)
    inputs = ("--snapshots", snap, "--epoch", EPOCH, "--commitment", tree / "commitment.json", "--key", key)
    out["assets challenge"] = run("assets", "challenge", *inputs, "--json")
    run_signer(SIGNER, "proofs", json.loads(out["assets challenge"].stdout)["challenge"], snap, EPOCH, 60)
    out["assets digest"] = run("assets", "digest", *inputs, "--json")
    run_signer(SIGNER, "node", json.loads(out["assets digest"].stdout)["message"], snap, EPOCH, 60)
    out["assets attest"] = run("assets", "attest", *inputs, "--out", base / "assets.json", "--json")

    # Two epochs: in one step, then in three phases.
    pub = base / "pub"
    out["publish"] = run("publish", "--db", db, "--as-of", as_of, "--snapshots", make_snapshot(base / "s1", "e1", 871_000, 1),
                         "--key", key, "--out", pub, "--epoch", "e1", "--control-signer", SIGNER, "--json")
    later = now_as_of()
    snap2 = make_snapshot(base / "s2", "e2", 872_000, 2)
    out["publish prepare"] = run("publish", "prepare", "--db", db, "--as-of", later, "--snapshots", snap2, "--key", key,
                                 "--out", pub, "--epoch", "e2", "--json")
    pending = Path(json.loads(out["publish prepare"].stdout)["pending"]) / "snapshot"
    run_signer(SIGNER, "proofs", json.loads(out["publish prepare"].stdout)["challenge"], pending, "e2", 60)
    out["publish digest"] = run("publish", "digest", "--out", pub, "--epoch", "e2", "--key", key, "--json")
    run_signer(SIGNER, "node", json.loads(out["publish digest"].stdout)["message"], pending, "e2", 60)
    out["publish seal"] = run("publish", "seal", "--out", pub, "--epoch", "e2", "--key", key, "--json")
    out["publish proof"] = run("publish", "proof", "--out", pub, "--epoch", "e2", "--user", user, "--key", f"{key}.pub", "--json")

    # The books and the metrics over the same ledger and snapshot.
    books = ("--db", db, "--as-of", later)
    out["report balance-sheet"] = run("report", "balance-sheet", *books, "--json")
    out["report pnl"] = run("report", "pnl", *books, "--json")
    out["report reconcile"] = run("report", "reconcile", *books, "--snapshots", snap2, "--json")
    out["metrics write"] = run("metrics", "write", base / "solvency.prom", "--db", db, "--snapshots", snap2, "--json")
    out["_pubdir"] = pub  # for `serve`, which runs until stopped
    out["_tree"], out["_user"] = tree, user
    return out


def test_every_command_that_produces_a_result_has_json():
    missing = sorted(path for path, command in COMMANDS.items() if path not in EXEMPT and not has_json(command))
    assert not missing, f"commands without --json: {missing}"
    assert EXEMPT <= COMMANDS.keys(), "an exemption names a command that no longer exists"


def test_every_command_is_run_and_documented(world):
    runnable = {path for path in COMMANDS if path not in EXEMPT}
    assert runnable <= world.keys(), f"not run by this test: {sorted(runnable - world.keys())}"
    assert runnable <= documented_keys().keys(), f"not documented in docs/CLI.md: {sorted(runnable - documented_keys().keys())}"


@pytest.mark.parametrize("path", sorted(set(COMMANDS) - EXEMPT))
def test_json_document_has_the_marker_and_the_documented_keys(world, path):
    doc = document(world[path])
    assert doc["format"] == CLI_FORMAT and doc["command"] == path
    assert set(doc) - {"format", "command"} == documented_keys()[path], f"docs/CLI.md and `solvency {path} --json` disagree"


@pytest.mark.timeout(120)
def test_serve_announces_itself_in_one_json_line_with_the_marker(world, tmp_path):
    token = tmp_path / "token"
    token.write_text("t" * 40 + "\n")
    proc = subprocess.Popen([sys.executable, "-m", "solvency", "serve", "--pubdir", str(world["_pubdir"]), "--token-file", str(token),
                             "--port", "0", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = json.loads(proc.stdout.readline())
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert (line["format"], line["command"]) == (CLI_FORMAT, "serve")
    assert set(line) - {"format", "command"} == documented_keys()["serve"]


def test_tree_proof_says_what_it_wrote(world, tmp_path):
    """Text mode: to stdout, the proof itself; with --out, one line naming the user and the file."""
    tree, user = world["_tree"], world["_user"]
    printed = run("tree", "proof", "--dir", tree, "--user", user)
    assert json.loads(printed.stdout)["user_id"] == user
    written = run("tree", "proof", "--dir", tree, "--user", user, "--out", tmp_path / "p.json")
    assert written.exit_code == 0 and written.stdout.startswith(f"proof of user {user!r} (")
    assert written.stdout.rstrip().endswith(f"written to {tmp_path / 'p.json'}") and (tmp_path / "p.json").read_bytes() == printed.stdout.encode()
    as_json = document(run("tree", "proof", "--dir", tree, "--user", user, "--out", tmp_path / "q.json", "--json"))
    assert as_json["out"] == str(tmp_path / "q.json") and as_json["proof"] == json.loads(printed.stdout)


@pytest.mark.parametrize("variant", ["demo --ledger-only", "demo --galoy"])
def test_the_demo_variants_documents(world, variant):
    doc = document(world[variant])
    assert doc["format"] == CLI_FORMAT and doc["command"] == "demo"
    assert set(doc) - {"format", "command"} == documented_keys()[variant], f"docs/CLI.md and `solvency {variant} --json` disagree"
