"""The readers: one consistent ledger state per scrape, the snapshot command, the publication."""

from __future__ import annotations

import shlex
import sys
import threading
from pathlib import Path

import metrics_fixtures as fx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.chain import LedgerDigest
from ledger.definitions import load_definitions, parse_definitions
from ledger.entries import transfer
from ledger.open import open_store
from solvency.metrics.catalog import ASSET_SOURCES
from solvency.metrics.readings import AssetReading, Failure, LedgerReading, PublicationReading
from solvency.metrics.sources import LedgerSource, PublicationSource, SnapshotSource


def test_ledger_reading_is_one_state_while_a_writer_posts(ledger_db):
    """Each deposit raises the lightning reserve and the liabilities by the same amount, in one
    entry. A reader that evaluated the two definitions at different states would see them differ."""
    base_reserve, base_liabilities = fx.LEDGER_LIGHTNING, fx.LEDGER_BTC_LIABILITIES
    done = threading.Event()

    def writer():
        with open_store(str(ledger_db), create=False) as store:
            for i in range(150):
                store.post(transfer("Assets:Reserve:Lightning", f"Liabilities:wallet-{i % 7}", "BTC", 1000 + i, "deposit"))
        done.set()

    thread = threading.Thread(target=writer)
    source = LedgerSource(str(ledger_db), load_definitions())
    thread.start()
    readings = []
    try:
        while not done.is_set() or len(readings) < 5:
            reading = source.read()
            assert isinstance(reading, LedgerReading), reading
            readings.append(reading)
    finally:
        thread.join()
    try:
        readings.append(source.read())  # after the writer: the final state
    finally:
        source.close()
    counts = [r.entry_count for r in readings]
    assert counts == sorted(counts) and counts[-1] == 1 + len(fx.USERS_USD) + 150
    assert len(set(counts)) > 2  # the reads really interleaved with the writes
    for r in readings:
        reserve = r.balance("lightning-reserve")["BTC"] - base_reserve
        liabilities = r.balance("customer-liabilities")["BTC"] - base_liabilities
        assert reserve == liabilities
        posted = r.entry_count - 1 - len(fx.USERS_USD)
        assert reserve == sum(1000 + i for i in range(posted))  # exactly the first `posted` deposits


class _MovingStore:
    """A store stub whose digest moves `moves` times (a writer committing during the read)."""

    def __init__(self, moves: int) -> None:
        self.calls = 0
        self.moves = moves

    def digest(self):
        self.calls += 1
        return LedgerDigest(0, f"{min(self.calls, 2 * self.moves + 1):064x}")

    def totals(self, definition, as_of):
        return {}

    def close(self):
        pass


REPORTING = parse_definitions(
    'format = "pos-ledger-definitions/1"\n'
    '[definitions.fees]\ntime_axis = "reporting"\ninclude = [{ namespace = "Revenue:Fees" }]\n'
    '[definitions.liabilities]\ntime_axis = "committed"\ninclude = [{ path = "Liabilities:*" }]\n'
)


@pytest.mark.parametrize("moves, stable", [(0, True), (1, True), (2, True), (3, False)])
def test_reporting_axis_reads_retry_until_the_ledger_holds_still(moves, stable):
    source = LedgerSource("unused", REPORTING)
    source._store = _MovingStore(moves)
    reading = source.read()
    assert isinstance(reading, LedgerReading)
    assert reading.balance("liabilities") == {"BTC": 0, "USD": 0}  # committed axis: exact at the cut-off
    # A reporting-axis figure is absent rather than mixed from two ledger states.
    assert (reading.balance("fees") is not None) == stable


def test_a_missing_ledger_is_a_failure_and_never_created(tmp_path):
    path = tmp_path / "absent.db"
    reading = LedgerSource(str(path), load_definitions()).read()
    assert isinstance(reading, Failure)
    assert not path.exists()


def _command(script: str) -> str:
    return f"{shlex.quote(sys.executable)} -c {shlex.quote(script)}"


def test_snapshot_command_writing_into_the_given_directory(snapshot_dir):
    script = (
        f"import os, shutil; [shutil.copy(os.path.join({str(snapshot_dir)!r}, f), os.environ['SOLVENCY_SNAPSHOT_DIR'])"
        f" for f in os.listdir({str(snapshot_dir)!r})]; print('copied 9 files')"
    )
    node = SnapshotSource(command=_command(script)).read()
    # No bria files: bria holds 0, as the attestation counts it.
    assert [r.amount for r in node.sources] == [fx.LIGHTNING_LOCAL, fx.CHANNEL_ESCROW, fx.PENDING, fx.ONCHAIN_CONFIRMED, fx.COLD, 0]


def test_snapshot_command_printing_a_directory(snapshot_dir):
    node = SnapshotSource(command=_command(f"print('progress...'); print({str(snapshot_dir)!r})")).read()
    assert all(isinstance(r, AssetReading) for r in node.sources)


@pytest.mark.parametrize(
    "script, reason",
    [
        ("import sys; sys.stderr.write('lncli: connection refused\\n'); sys.exit(3)", "status 3: lncli: connection refused"),
        ("import time; time.sleep(30)", "timed out"),
        ("print('/nonexistent/snapshot')", "is not a directory"),
    ],
)
def test_snapshot_command_failure_takes_every_asset_source_down(script, reason):
    node = SnapshotSource(command=_command(script), timeout=1.0).read()
    assert [type(r) for r in node.sources] == [Failure] * len(ASSET_SOURCES)
    assert all(reason in r.reason for r in node.sources)


def test_snapshot_command_that_writes_nothing_is_an_empty_snapshot():
    node = SnapshotSource(command=_command("pass")).read()
    assert all(isinstance(r, Failure) for r in node.sources)
    assert "lnd_getinfo.json: file is missing" in node.sources[0].reason


def test_snapshot_command_time_out_kills_the_whole_pipeline():
    import time

    started = time.monotonic()
    node = SnapshotSource(command="sleep 30 | cat", timeout=0.5).read()
    assert time.monotonic() - started < 10  # a surviving `sleep` would hold the pipe for 30 s
    assert all(isinstance(r, Failure) and "timed out" in r.reason for r in node.sources)


def test_snapshot_command_scratch_directory_is_removed(tmp_path):
    marker = tmp_path / "scratch.txt"
    SnapshotSource(command=_command(f"import os; open({str(marker)!r}, 'w').write(os.environ['SOLVENCY_SNAPSHOT_DIR'])")).read()
    assert not Path(marker.read_text()).exists()


# --- publication ---------------------------------------------------------------------------


@pytest.fixture
def bank_key():
    return Ed25519PrivateKey.generate()


def test_single_tree_output_directory(tmp_path, bank_key):
    fx.write_artifact(tmp_path / "out" / "commitment.json", fx.commitment(bank_key, "2026-10", "2026-10-31T23:59:59Z", (150, 7), 12))
    reading = PublicationSource(str(tmp_path / "out"), bank_key.public_key()).read()
    assert reading == PublicationReading(str(tmp_path / "out"), "2026-10", 1793491199, (("BTC", 150), ("USD", 7)), 16, 12, 1, None)


def test_epoch_directories_latest_by_sequence_or_as_of(tmp_path, bank_key):
    from verifier import canonical

    pub = tmp_path / "pub"
    # Public files under <epoch>/public/ and, as a mirror serves them, directly under <epoch>/.
    fx.write_artifact(pub / "a-first" / "public" / "commitment.json", fx.commitment(bank_key, "a-first", "2026-11-30T00:00:00Z", (2, 0)))
    fx.write_artifact(pub / "b-second" / "commitment.json", fx.commitment(bank_key, "b-second", "2026-10-31T00:00:00Z", (1, 0)))
    reading = PublicationSource(str(pub)).read()
    assert (reading.epoch, reading.epochs, reading.sequence) == ("a-first", 2, None)  # newest as_of
    # With epoch.json files, the sequence decides (here against the as_of order).
    for name, seq in (("a-first", 0), ("b-second", 1)):
        public = pub / name / "public" if (pub / name / "public").is_dir() else pub / name
        (public / "epoch.json").write_bytes(canonical.dump_file_bytes({"epoch": name, "sequence": seq}))
    reading = PublicationSource(str(pub)).read()
    assert (reading.epoch, reading.sequence, reading.root_sums) == ("b-second", 1, (("BTC", 1), ("USD", 0)))


def test_publication_with_a_bad_artifact_is_down(tmp_path, bank_key):
    pub = tmp_path / "pub"
    fx.write_artifact(pub / "e1" / "commitment.json", fx.commitment(bank_key, "e1", "2026-10-31T00:00:00Z", (1, 0)))
    (pub / "e2").mkdir()
    (pub / "e2" / "commitment.json").write_text('{"format": "pos-mst/1"}')  # not canonical, not complete
    assert isinstance(PublicationSource(str(pub)).read(), Failure)
    assert isinstance(PublicationSource(str(tmp_path / "nothing-here")).read(), Failure)


def test_publication_signature_is_checked_against_the_pinned_key(tmp_path, bank_key):
    out = tmp_path / "out"
    fx.write_artifact(out / "commitment.json", fx.commitment(bank_key, "e1", "2026-10-31T00:00:00Z", (1, 0)))
    other = Ed25519PrivateKey.generate()
    reading = PublicationSource(str(out), other.public_key()).read()
    assert isinstance(reading, Failure) and "WRONG_KEY" in reading.reason
    assert isinstance(PublicationSource(str(out)).read(), PublicationReading)  # unpinned: schema only


def test_mongodb_store_gives_the_same_reading_as_sqlite(ledger_db):
    """The reader uses only the Store interface: a MongoDB store (mongomock) holding the same
    entries gives the same balances, entry count and head hash as the SQLite one."""
    mongomock = pytest.importorskip("mongomock")
    from ledger.mongo.store import MongoStore

    store = MongoStore(mongomock.MongoClient(tz_aware=True)["ledger"])
    store.post_batch(fx.ledger_entries())
    mongo_source = LedgerSource("mongodb://unused/ledger", load_definitions())
    mongo_source._store = store
    sqlite_source = LedgerSource(str(ledger_db), load_definitions())
    try:
        from_mongo, from_sqlite = mongo_source.read(), sqlite_source.read()
    finally:
        mongo_source.close()
        sqlite_source.close()
    assert isinstance(from_mongo, LedgerReading), from_mongo
    assert from_mongo.balances == from_sqlite.balances
    assert from_mongo.entry_count == from_sqlite.entry_count == 1 + len(fx.USERS_USD)
    assert from_mongo.balance("customer-liabilities") == {"BTC": fx.LEDGER_BTC_LIABILITIES, "USD": fx.LEDGER_USD_LIABILITIES}
