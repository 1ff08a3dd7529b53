"""Durability and multi-process safety of the SQLite store.

* A process is SIGKILLed while it is inside the write transaction of a large batch (after its rows
  were written and, with a tiny page cache, spilled to the WAL file): the ledger afterwards holds
  no entry of that batch and `solvency ledger check` passes.
* Two processes post overlapping batches with the same idempotency keys at the same time: every
  key is recorded exactly once, both processes get the same entry for it, and the chain verifies.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from ledger.entries import transfer
from ledger.sqlite.store import SQLiteStore

POSTER = textwrap.dedent(
    """
    import os, sys, time
    from ledger.entries import transfer
    from ledger.sqlite.store import SQLiteStore

    path, mode = sys.argv[1], sys.argv[2]
    store = SQLiteStore(path)
    store._db.execute("PRAGMA cache_size=50")  # force dirty pages out to the WAL mid-transaction
    batch = [transfer("Assets:Reserve:Lightning", f"Liabilities:u{i % 5000}", "BTC", 1 + i) for i in range(60000)]
    if mode == "hook":
        real = store._db.executemany
        class Hooked:
            def __getattr__(self, name):
                return getattr(store._db_real, name)
            def executemany(self, sql, rows):
                out = store._db_real.executemany(sql, rows)
                if sql.startswith("INSERT INTO postings"):
                    print("inside", store._db_real.in_transaction, flush=True)
                    time.sleep(60)
                return out
        store._db_real = store._db
        store._db = Hooked()
    print("posting", flush=True)
    store.post_batch(batch)
    print("committed", flush=True)
    """
)


def _run_poster(path: str, mode: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", POSTER, path, mode], stdout=subprocess.PIPE, text=True)


@pytest.mark.parametrize("mode", ["hook", "timer"])
def test_sigkill_mid_batch_leaves_no_partial_entry(tmp_path, mode):
    path = str(tmp_path / "ledger.db")
    with SQLiteStore(path) as store:
        store.post(transfer("Assets:Reserve:Lightning", "Liabilities:before", "BTC", 42))
        before = store.digest()
    proc = _run_poster(path, mode)
    try:
        assert proc.stdout.readline().strip() == "posting"
        if mode == "hook":
            # The child has written every entry and posting row and is parked inside the transaction.
            assert proc.stdout.readline().strip() == "inside True"
            assert os.path.getsize(path + "-wal") > 0
        else:
            time.sleep(0.4)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    with SQLiteStore(path) as store:
        after = store.digest()
        assert after.entry_count in (before.entry_count, before.entry_count + 60000)
        if mode == "hook":
            assert after == before
        assert store.verify() == after
        assert store._db.execute("SELECT count(*) FROM postings").fetchone()[0] == 2 * after.entry_count
    result = subprocess.run([sys.executable, "-m", "solvency", "ledger", "check", "--db", path], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"{after.entry_count} entries, head {after.head_hash}" in result.stdout


CONCURRENT = textwrap.dedent(
    """
    import json, sys, time
    from ledger.entries import transfer
    from ledger.sqlite.store import SQLiteStore

    path, name, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
    store = SQLiteStore(path)
    while time.time() < start:
        time.sleep(0.001)
    ids = {}
    for round_ in range(20):
        batch = [transfer("Assets:Reserve:Lightning", f"Liabilities:w{k}", "BTC", 100 + k, idempotency_key=f"key-{round_}-{k}") for k in range(10)]
        batch += [transfer("Assets:Reserve:Lightning", f"Liabilities:{name}", "BTC", 1 + round_)]
        for entry, posted in zip(batch, store.post_batch(batch)):
            if entry.idempotency_key:
                ids[entry.idempotency_key] = posted.entry_id
    print(json.dumps(ids))
    """
)


def test_two_processes_post_the_same_keys_concurrently(tmp_path):
    path = str(tmp_path / "ledger.db")
    SQLiteStore(path).close()
    start = time.time() + 1.0
    procs = [
        subprocess.Popen([sys.executable, "-c", CONCURRENT, path, name, str(start)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("alice", "bob")
    ]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out))
    assert outputs[0] == outputs[1]  # both processes got the same entry for every key
    assert len(outputs[0]) == 200
    with SQLiteStore(path) as store:
        keyed = [p for p in store.entries() if p.entry.idempotency_key]
        assert len(keyed) == 200 == len({p.entry.idempotency_key for p in keyed})
        assert store.verify().entry_count == 200 + 2 * 20


CLI_POSTER = textwrap.dedent(
    """
    import sys, time
    from solvency.cli.main import cli

    start = float(sys.argv[1])
    while time.time() < start:
        time.sleep(0.001)
    cli(sys.argv[2:])
    """
)


def test_two_processes_posting_one_idempotent_batch_report_what_each_wrote(tmp_path):
    # Issue 16: both processes used to report "5000 new" (the count was read before the write
    # lock). Each must report the entries it wrote, so the two counts add up to the batch size.
    path = str(tmp_path / "ledger.db")
    SQLiteStore(path, create=True).close()
    size = 5000
    lines = [json.dumps({"postings": [
        {"account": "Assets:Reserve:Lightning", "currency": "BTC", "side": "debit", "amount": 1 + k},
        {"account": f"Liabilities:w{k}", "currency": "BTC", "side": "credit", "amount": 1 + k}],
        "idempotency_key": f"batch-{k}"}) for k in range(size)]
    (tmp_path / "batch.jsonl").write_text("\n".join(lines) + "\n")
    start = time.time() + 1.5
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")]))}
    procs = [subprocess.Popen([sys.executable, "-c", CLI_POSTER, str(start), "ledger", "post", str(tmp_path / "batch.jsonl"), "--db", path],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    new = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        found = re.search(r"posted (\d+) entries \((\d+) new, (\d+) idempotent replays\)", out)
        assert found, out
        assert int(found.group(1)) == size and int(found.group(2)) + int(found.group(3)) == size
        new.append(int(found.group(2)))
    assert sum(new) == size, new
    with SQLiteStore(path) as store:
        assert store.verify().entry_count == size
