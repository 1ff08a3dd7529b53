"""The SQLite file format of the ledger (``pos-ledger-sqlite/1``): schema, pragmas, format check.

The entry id and ``prev_hash`` of an entry are not stored: the id is a function of
``(committed_at, seq)`` and ``prev_hash`` is the previous row's ``entry_hash``; verification
recomputes both.

Tables: ``meta`` (format marker, default legal entity, ``indexed_to``), ``currencies``, ``accounts``
(path -> small integer id), ``entries`` (one row per entry, ``seq`` the gap-free primary key, hashes
as 32-byte blobs, partial unique indexes on the idempotency key and on ``reverses``), ``postings``
(``WITHOUT ROWID``, keyed by ``(entry_seq, idx)``, amounts signed: credits positive, debits
negative; written in commit order, so appends are sequential) and ``posting_index``, the same rows
clustered by ``(account_id, currency_id, entry_seq, idx)`` for per-account and as-of queries. The
index holds exactly the postings of entries ``seq <= indexed_to``; newer postings (the "tail") are
merged into it in one sorted insert once the tail is long enough, inside the transaction of the
batch that made it so. Triggers abort every UPDATE and DELETE on the three journal tables.

`connect` opens a file in WAL mode with ``synchronous=FULL``; an existing file is checked (format
marker, currency exponents) *before* any pragma or write touches it, so a foreign file is refused
unchanged.
"""

from __future__ import annotations

import os
import sqlite3

from ledger.entries import entry_id_problem
from ledger.errors import StoreFormatError
from ledger.money import CURRENCIES

FORMAT = "pos-ledger-sqlite/1"

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE currencies (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, exponent INTEGER NOT NULL);
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    legal_entity TEXT NOT NULL
);
CREATE TABLE entries (
    seq INTEGER PRIMARY KEY,
    committed_at INTEGER NOT NULL,
    reporting_at INTEGER NOT NULL,
    reporting_given INTEGER NOT NULL CHECK (reporting_given IN (0, 1)),
    memo TEXT NOT NULL,
    metadata TEXT NOT NULL,
    idempotency_key TEXT,
    reverses INTEGER,
    content_hash BLOB NOT NULL CHECK (length(content_hash) = 32),
    entry_hash BLOB NOT NULL CHECK (length(entry_hash) = 32)
);
CREATE UNIQUE INDEX entries_by_key ON entries (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX entries_by_reversed ON entries (reverses) WHERE reverses IS NOT NULL;
CREATE TABLE postings (
    entry_seq INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    currency_id INTEGER NOT NULL,
    amount INTEGER NOT NULL CHECK (amount != 0),
    reporting_at INTEGER NOT NULL,
    PRIMARY KEY (entry_seq, idx)
) WITHOUT ROWID;
CREATE TABLE posting_index (
    account_id INTEGER NOT NULL,
    currency_id INTEGER NOT NULL,
    entry_seq INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    reporting_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, currency_id, entry_seq, idx)
) WITHOUT ROWID;
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
CREATE TRIGGER postings_no_update BEFORE UPDATE ON postings BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
CREATE TRIGGER postings_no_delete BEFORE DELETE ON postings BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
CREATE TRIGGER posting_index_no_update BEFORE UPDATE ON posting_index BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
CREATE TRIGGER posting_index_no_delete BEFORE DELETE ON posting_index BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
"""




def seq_of_entry_id(entry_id: str) -> int | None:
    """The sequence number embedded in a well-formed entry id (its UUIDv7 ``rand_b``)."""
    if entry_id_problem(entry_id):
        return None
    return int(entry_id[19:23] + entry_id[24:], 16) & ((1 << 62) - 1)



def meta(db: sqlite3.Connection, key: str) -> str:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else ""


def check_format(db: sqlite3.Connection, path: str) -> None:
    try:
        found = meta(db, "format")
    except sqlite3.OperationalError:
        found = None
    if found != FORMAT:
        raise StoreFormatError(f"{path}: unknown ledger format {found!r} (this code reads {FORMAT!r})")
    for code, exponent in db.execute("SELECT code, exponent FROM currencies"):
        if code not in CURRENCIES or CURRENCIES[code].exponent != exponent:
            raise StoreFormatError(f"{path}: currency {code} exponent {exponent} disagrees with this code")


def _create(db: sqlite3.Connection, legal_entity: str) -> None:
    db.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have created the schema since we looked.
        if db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'meta'").fetchone()[0] == 0:
            # Statement by statement: executescript() would commit the open transaction first.
            for statement in SCHEMA.strip().split(";\n"):
                db.execute(statement)
            db.executemany(
                "INSERT INTO meta VALUES (?, ?)", [("format", FORMAT), ("legal_entity", legal_entity), ("indexed_to", "0")]
            )
            db.executemany("INSERT INTO currencies (code, exponent) VALUES (?, ?)", [(c.code, c.exponent) for c in CURRENCIES.values()])
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def connect(path: str, *, create: bool, legal_entity: str) -> sqlite3.Connection:
    """An open connection to the ledger at `path` (created when missing and `create`)."""
    exists = os.path.exists(path) and os.path.getsize(path) > 0
    if not exists and not create:
        raise StoreFormatError(f"{path}: no ledger here (run `solvency ledger init`)")
    db = sqlite3.connect(path, isolation_level=None, timeout=60.0)
    try:
        if exists:
            check_format(db, path)
        else:
            # Larger pages make the random inserts into the per-account index cheaper.
            db.execute("PRAGMA page_size=16384")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA cache_size=-262144")
        db.execute("PRAGMA temp_store=MEMORY")
        db.execute("PRAGMA wal_autocheckpoint=16384")
        if not exists:
            _create(db, legal_entity)
            check_format(db, path)
    except sqlite3.DatabaseError as exc:
        db.close()
        raise StoreFormatError(f"{path}: not a ledger database ({exc})") from None
    except StoreFormatError:
        db.close()
        raise
    return db
