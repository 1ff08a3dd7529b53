"""Ledger benchmarks: batched posting throughput and the bulk per-user balance query.

Run: ``python -m benchmarks ledger`` (full size: 1M users, 10M postings) or
``python -m benchmarks.bench_ledger --users 100000 --postings 1000000`` (also via the environment:
``BENCH_LEDGER_USERS``, ``BENCH_LEDGER_POSTINGS``). Each figure is printed with a baseline measured
in the same run on the same machine:

* posting: `SQLiteStore.post_batch` with every invariant checked (validation of every posting,
  balance per currency, idempotency lookups, content hash and hash chain, one transaction per batch)
  against a raw ``executemany`` of the very same rows into the same schema, with the same sorted
  merges into the per-account index, and nothing checked;
* bulk balances: `Store.user_balances(customer-liabilities)` (definition filter, normal sides,
  index plus unmerged tail, sorted by user, streamed into Python tuples) against a plain
  ``SELECT account_id, currency_id, SUM(amount) ... GROUP BY 1, 2`` fetched to Python, once over the
  posting log and once over the per-account index (integer ids only).

Half of the entries are lightning deposits (reserve -> user), half payments between two users, so
every user account has ~7.5 postings on average and the reserve account has a quarter of them.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import tempfile
import time

from benchmarks import at_least
from ledger.chain import GENESIS
from ledger.definitions import load_definitions
from ledger.entries import JournalEntry, Posting
from ledger.sqlite.store import SCHEMA, SQLiteStore

BATCH_ENTRIES = 10_000
RESERVE = "Assets:Reserve:Lightning"


def _batches(users: int, postings: int, seed: int):
    """Yield lists of 2-posting entries, `postings` postings in total."""
    rng = random.Random(seed)
    entries = postings // 2
    names = [f"Liabilities:{i:08x}-user" for i in range(users)]
    for start in range(0, entries, BATCH_ENTRIES):
        batch = []
        for _ in range(min(BATCH_ENTRIES, entries - start)):
            amount = rng.randrange(1, 1_000_000)
            if rng.random() < 0.5:
                debit, credit = RESERVE, names[rng.randrange(users)]
            else:
                debit, credit = names[rng.randrange(users)], names[rng.randrange(users)]
                if debit == credit:
                    debit = RESERVE
            batch.append(JournalEntry((Posting(debit, "BTC", "debit", amount), Posting(credit, "BTC", "credit", amount))))
        yield batch


def bench_posting(path: str, users: int, postings: int) -> float:
    store = SQLiteStore(path)
    elapsed = 0.0
    for batch in _batches(users, postings, seed=1):
        started = time.perf_counter()
        store.post_batch(batch)
        elapsed += time.perf_counter() - started
    store.close()
    return elapsed


def bench_raw_insert(path: str, users: int, postings: int) -> float:
    """The same rows, inserted with executemany (and merged into the index like the store does),
    with no checks, hashes or lookups."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA cache_size=-262144")
    db.execute("PRAGMA wal_autocheckpoint=16384")
    for statement in SCHEMA.strip().split(";\n"):
        db.execute(statement)
    db.execute("INSERT INTO currencies (code, exponent) VALUES ('BTC', 8), ('USD', 2)")
    ids: dict[str, int] = {}
    seq = indexed_to = 0
    elapsed = 0.0
    for batch in _batches(users, postings, seed=1):
        # Preparing rows (account ids) is outside the timed part: the baseline is SQLite alone.
        entry_rows, posting_rows, new_accounts = [], [], []
        for entry in batch:
            seq += 1
            entry_rows.append((seq, seq, seq, 0, "", "{}", None, None, GENESIS, GENESIS))
            for idx, p in enumerate(entry.postings):
                if p.account not in ids:
                    ids[p.account] = len(ids) + 1
                    new_accounts.append((ids[p.account], p.account, "bank"))
                posting_rows.append((seq, idx, ids[p.account], 1, p.signed, seq))
        started = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT INTO accounts VALUES (?, ?, ?)", new_accounts)
        db.executemany("INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?)", entry_rows)
        db.executemany("INSERT INTO postings VALUES (?,?,?,?,?,?)", posting_rows)
        if seq - indexed_to >= SQLiteStore.merge_entries:
            # The same sorted merge of the tail into the per-account index as the store does.
            db.execute(
                "INSERT INTO posting_index SELECT account_id, currency_id, entry_seq, idx, amount, reporting_at "
                "FROM postings WHERE entry_seq > ? AND entry_seq <= ? ORDER BY account_id, currency_id, entry_seq, idx",
                (indexed_to, seq),
            )
            indexed_to = seq
        db.execute("COMMIT")
        elapsed += time.perf_counter() - started
    db.close()
    return elapsed


def bench_bulk(path: str) -> tuple[float, float, int, float]:
    definition = load_definitions()["customer-liabilities"]
    store = SQLiteStore(path)
    started = time.perf_counter()
    count = sum(1 for _ in store.user_balances(definition))
    ours = time.perf_counter() - started
    store.close()

    db = sqlite3.connect(path)
    db.execute("PRAGMA cache_size=-262144")
    started = time.perf_counter()
    rows = db.execute("SELECT account_id, currency_id, SUM(amount) FROM postings GROUP BY account_id, currency_id").fetchall()
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    indexed = db.execute("SELECT account_id, currency_id, SUM(amount) FROM posting_index GROUP BY account_id, currency_id").fetchall()
    index_scan = time.perf_counter() - started
    db.close()
    assert len(rows) >= count and len(indexed) <= len(rows)

    store = SQLiteStore(path)
    head = store.digest().entry_count
    cut = store._db.execute("SELECT committed_at FROM entries WHERE seq = ?", (max(1, head // 2),)).fetchone()[0]
    started = time.perf_counter()
    sum(1 for _ in store.user_balances(definition, cut))
    as_of = time.perf_counter() - started
    store.close()
    return ours, baseline, index_scan, count, as_of


def bench_frame(path: str) -> float:
    from ledger.frames import user_balances_frame

    definition = load_definitions()["customer-liabilities"]
    with SQLiteStore(path) as store:
        started = time.perf_counter()
        frame = user_balances_frame(store, definition)
        elapsed = time.perf_counter() - started
    assert len(frame) > 0
    return elapsed


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks ledger", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=at_least(1), default=int(os.environ.get("BENCH_LEDGER_USERS", 1_000_000)),
                        help="user accounts (default 1,000,000; $BENCH_LEDGER_USERS)")
    parser.add_argument("--postings", type=at_least(2), default=int(os.environ.get("BENCH_LEDGER_POSTINGS", 10_000_000)),
                        help="postings, in 2-posting entries (default 10,000,000; $BENCH_LEDGER_POSTINGS)")
    parser.add_argument("--dir", default=os.environ.get("BENCH_LEDGER_DIR"), help="Scratch directory (default: a temp dir).")
    return parser


def main(argv: list[str]) -> int:
    return run(parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    print(f"ledger benchmark: {args.users:,} users, {args.postings:,} postings (2-posting entries, {BATCH_ENTRIES:,} entries per batch)", flush=True)
    with tempfile.TemporaryDirectory(dir=args.dir) as scratch:
        raw = bench_raw_insert(os.path.join(scratch, "raw.db"), args.users, args.postings)
        print(f"  baseline raw executemany (no checks):  {args.postings / raw:>12,.0f} postings/s  ({raw:.1f} s)", flush=True)
        path = os.path.join(scratch, "ledger.db")
        ours = bench_posting(path, args.users, args.postings)
        print(f"  post_batch, all invariants checked:    {args.postings / ours:>12,.0f} postings/s  ({ours:.1f} s)"
              f"  ratio to raw insert {raw / ours:.2f} (1.0 = as fast as SQLite alone); target >= 100,000/s", flush=True)
        bulk, baseline, index_scan, count, as_of = bench_bulk(path)
        print(f"  baseline GROUP BY account, currency:   {baseline:>12.2f} s  (over the posting log)", flush=True)
        print(f"  same over the per-account index:       {index_scan:>12.2f} s  (ids only: no definition, names or tail)", flush=True)
        print(f"  user_balances(customer-liabilities):   {bulk:>12.2f} s  for {count:,} user balances"
              f"  ratio to plain GROUP BY {bulk / baseline:.2f}; target <= 10 s", flush=True)
        print(f"  same, as of the middle of the ledger:  {as_of:>12.2f} s  (committed axis)", flush=True)
        frame = bench_frame(path)
        print(f"  user_balances_frame (pandas):          {frame:>12.2f} s", flush=True)
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
