"""`solvency tree build --db`: the ledger read at the cut-off (issue 12's regression tests).

The commitment must carry the ledger digest *at* the cut-off (the last entry committed at or
before it), not the head at build time; a future cut-off is refused; a bad --db is one line.
"""

import pytest
from click.testing import CliRunner
from tree_helpers import now_as_of

from ledger.entries import transfer
from ledger.sqlite.store import SQLiteStore
from solvency.cli.main import cli
from verifier import canonical


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    d = tmp_path_factory.mktemp("key")
    r = CliRunner().invoke(cli, ["keys", "generate", "--out", str(d / "bank.key")])
    assert r.exit_code == 0, r.output
    return d / "bank.key"


def _build(db, as_of, key, out):
    return CliRunner().invoke(cli, [
        "tree", "build", "--db", str(db), "--definition", "customer-liabilities", "--as-of", as_of,
        "--epoch", "e1", "--key", str(key), "--out", str(out),
    ])


def _one_line(r) -> str:
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1, r.output
    return lines[0]


def test_build_commits_the_digest_at_the_cut_off(tmp_path, key):
    db = tmp_path / "ledger.db"
    with SQLiteStore(str(db), create=True) as store:
        store.post_batch([
            transfer("Assets:Reserve:Cold", "Liabilities:alice", "BTC", 1500),
            transfer("Assets:Reserve:Cold", "Liabilities:bob", "BTC", 700),
        ])
    cut = now_as_of()
    with SQLiteStore(str(db), create=False) as store:
        store.post(transfer("Assets:Reserve:Cold", "Liabilities:carol", "BTC", 40))  # after the cut-off
        at_cut = store.digest_as_of(cut)
        head = store.digest()
    assert (at_cut.entry_count, head.entry_count) == (2, 3)
    r = _build(db, cut, key, tmp_path / "t")
    assert r.exit_code == 0, r.output
    com = canonical.loads((tmp_path / "t" / "commitment.json").read_bytes())
    assert com["ledger_digest"] == {"entry_count": at_cut.entry_count, "head_hash": at_cut.head_hash}
    assert com["ledger_digest"]["entry_count"] == 2
    assert com["root"]["sums"] == ["2200", "0"]


def test_build_refuses_a_future_cut_off(tmp_path, key):
    db = tmp_path / "ledger.db"
    with SQLiteStore(str(db), create=True) as store:
        store.post(transfer("Assets:Reserve:Cold", "Liabilities:alice", "BTC", 1500))
    r = _build(db, "2999-01-01T00:00:00Z", key, tmp_path / "t")
    assert r.exit_code == 1, r.output
    assert "future" in _one_line(r)
    assert not (tmp_path / "t").exists()


@pytest.mark.parametrize("kind", ["missing", "not-a-database", "directory"])
def test_a_bad_db_is_one_line_naming_it(tmp_path, key, kind):
    if kind == "missing":
        db = tmp_path / "nowhere" / "ledger.db"
    elif kind == "not-a-database":
        db = tmp_path / "notes.txt"
        db.write_text("this is not a ledger\n" * 100)
    else:
        db = tmp_path / "adir"
        db.mkdir()
    r = _build(db, "2026-01-01T00:00:00Z", key, tmp_path / "t")
    assert r.exit_code == 1, r.output
    assert str(db) in _one_line(r)
    assert not (tmp_path / "t").exists()
    if kind == "missing":
        assert not db.exists()  # opened without creating it
