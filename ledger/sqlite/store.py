"""The embedded SQLite store: the `ledger.store.Store` contract on one SQLite file.

The posting rules (validation, idempotency, reversals, ``committed_at``, the hash chain) are
`ledger.store.Store`'s; this module implements its storage protocol and the fast reads. The file
format is in `ledger.sqlite.schema`; definitions are compiled to SQL by `ledger.sqlite.select`.
Invariants and how the storage enforces them:

* One transaction per batch, opened with ``BEGIN IMMEDIATE`` so that the head of the chain, the
  idempotency keys and the reversal links are read under SQLite's write lock: two processes
  posting at once are serialised, and a key posted by the other process is seen and answered as a
  replay. Partial unique indexes on ``idempotency_key`` and ``reverses`` are the backstop; an
  ``IntegrityError`` rolls the batch back and it is re-read and retried once.
* Append-only: triggers abort any UPDATE or DELETE on ``entries`` and ``postings``.
* WAL journal with ``synchronous=FULL``: a committed batch survives a crash, a batch killed before
  COMMIT leaves nothing (the SIGKILL test shows it).
* ``committed_at`` is strictly increasing along ``seq`` (checked by `ledger.chain.verify_chain`),
  which lets committed-axis cut-offs be resolved to a ``seq`` by binary search on the primary key.
* The account caches hold committed accounts only, so ids of a rolled-back batch are never reused
  from memory.

Threat model: the store protects against honest mistakes and crashes and makes tampering
evident through the hash chain; it does not stop someone with write access to the file from
rewriting history (publishing the head digest does that).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from ledger.accounts import DEFAULT_LEGAL_ENTITY, AccountInfo, legal_entity_problem, path_problem
from ledger.chain import GENESIS, LedgerDigest, PostedEntry, make_entry_id
from ledger.clock import as_time_us
from ledger.definitions import BalanceDefinition
from ledger.entries import JournalEntry, Posting
from ledger.errors import ChainBroken, LedgerError, UnknownEntry
from ledger.sqlite.schema import FORMAT, SCHEMA, connect, meta, seq_of_entry_id
from ledger.sqlite.select import SIGN_SQL, USER_ID_SQL, definition_condition, only_liabilities, register_functions
from ledger.store import EMPTY_HEAD, AsOf, Head, Progress, ReversalTarget, Store, StoredKey

__all__ = ["FORMAT", "SCHEMA", "SQLiteStore", "seq_of_entry_id"]

_CHUNK = 900
_T = TypeVar("_T")
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class SQLiteStore(Store):
    """A ledger in one SQLite file. Not thread-safe; use one instance per thread or process."""

    #: The tail is merged into the per-account index once it holds this many entries. Larger
    #: values make posting cheaper (the index is rewritten less often) and tail scans longer.
    merge_entries = 100_000

    def __init__(self, path: str, *, create: bool = True, legal_entity: str = DEFAULT_LEGAL_ENTITY) -> None:
        self.path = path
        self._db = connect(path, create=create, legal_entity=legal_entity)
        register_functions(self._db)
        self._currency_ids: dict[str, int] = {}
        self._currency_codes: dict[int, str] = {}
        for cid, code in self._db.execute("SELECT id, code FROM currencies"):
            self._currency_ids[code] = cid
            self._currency_codes[cid] = code
        self._legal_entity = meta(self._db, "legal_entity")
        # Committed accounts only: ids of a rolled-back batch never enter these caches.
        self._account_ids: dict[str, int] = {}
        self._account_infos: dict[int, AccountInfo] = {}
        self._accounts_loaded_to = 0

    def close(self) -> None:
        self._db.close()

    # Accounts.

    def _load_accounts(self) -> None:
        rows = self._db.execute(
            "SELECT id, path, legal_entity FROM accounts WHERE id > ? ORDER BY id", (self._accounts_loaded_to,)
        ).fetchall()
        for aid, path, entity in rows:
            self._account_ids[path] = aid
            self._account_infos[aid] = AccountInfo(path, entity)
            self._accounts_loaded_to = aid

    def accounts(self) -> Iterator[AccountInfo]:
        for path, entity in self._db.execute("SELECT path, legal_entity FROM accounts ORDER BY path"):
            yield AccountInfo(path, entity)

    def open_accounts(self, accounts: Sequence[AccountInfo]) -> None:
        """Open accounts explicitly, e.g. with a legal entity other than the ledger's default.

        Opening an existing account with the same legal entity is a no-op; with a different one it
        is refused (`LedgerError`), as is an invalid path or entity. All or nothing.
        """
        for info in accounts:
            problem = path_problem(info.path) or legal_entity_problem(info.legal_entity)
            if problem:
                raise LedgerError(problem)
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for info in accounts:
                row = self._db.execute("SELECT legal_entity FROM accounts WHERE path = ?", (info.path,)).fetchone()
                if row is None:
                    self._db.execute("INSERT INTO accounts (path, legal_entity) VALUES (?, ?)", (info.path, info.legal_entity))
                elif row[0] != info.legal_entity:
                    raise LedgerError(f"account {info.path} is already open for legal entity {row[0]!r}")
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._load_accounts()

    def _new_account_ids(self, posted: Sequence[PostedEntry]) -> dict[str, int]:
        """Inside the write transaction: ids of the batch's accounts that are not in the cache of
        committed accounts, creating them. They join the cache only after COMMIT."""
        known = self._account_ids
        missing = sorted({p.account for item in posted for p in item.entry.postings if p.account not in known})
        ids: dict[str, int] = {}
        if missing:
            self._db.executemany(
                "INSERT OR IGNORE INTO accounts (path, legal_entity) VALUES (?, ?)",
                [(p, self._legal_entity) for p in missing],
            )
            for chunk in _chunks(missing):
                marks = ",".join("?" * len(chunk))
                ids.update(self._db.execute(f"SELECT path, id FROM accounts WHERE path IN ({marks})", chunk))
        return ids

    # The storage protocol of `ledger.store.Store`, which holds the posting rules.

    def _known_accounts(self) -> Mapping[str, object]:
        return self._account_ids

    def _transaction(self, body: Callable[[Any], _T]) -> _T:
        """``BEGIN IMMEDIATE``: the head, the keys and the reversal links are read under SQLite's
        write lock. The account caches are refreshed before the body and after COMMIT only."""
        db = self._db
        for attempt in (1, 2):
            db.execute("BEGIN IMMEDIATE")
            try:
                self._load_accounts()
                result = body(None)
                db.execute("COMMIT")
            except sqlite3.IntegrityError:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                # A unique index caught what the locked re-read should have: re-read and retry once.
                if attempt == 2:
                    raise
                continue
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            self._load_accounts()
            return result
        raise AssertionError("unreachable")

    def _head(self, tx: Any) -> Head:
        row = self._db.execute("SELECT seq, committed_at, entry_hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
        return Head(row[0], row[1], row[2]) if row else EMPTY_HEAD

    def _stored_keys(self, tx: Any, keys: Sequence[str]) -> Mapping[str, StoredKey]:
        stored: dict[str, StoredKey] = {}
        for chunk in _chunks(keys):
            marks = ",".join("?" * len(chunk))
            for key, chash, seq in self._db.execute(
                f"SELECT idempotency_key, content_hash, seq FROM entries WHERE idempotency_key IN ({marks})", chunk
            ):
                stored[key] = StoredKey(chash, seq)
        return stored

    def _reversal_targets(self, tx: Any, entry_ids: Sequence[str]) -> Mapping[str, ReversalTarget]:
        db = self._db
        found: dict[str, ReversalTarget] = {}
        for entry_id in entry_ids:
            seq = seq_of_entry_id(entry_id)
            if seq is None:
                continue
            row = db.execute("SELECT committed_at, reverses FROM entries WHERE seq = ?", (seq,)).fetchone()
            if row is None or make_entry_id(row[0], seq) != entry_id:
                continue
            taken = db.execute("SELECT seq, committed_at FROM entries WHERE reverses = ?", (seq,)).fetchone()
            by = None if taken is None else make_entry_id(taken[1], taken[0])
            found[entry_id] = ReversalTarget(row[1] is not None, by, tuple(self._postings_of(seq)), seq)
        return found

    def _stored_entry(self, tx: Any, ref: Any) -> PostedEntry:
        return self._read_entry(ref)

    def _append(
        self, tx: Any, head: Head, posted: Sequence[PostedEntry], links: Sequence[tuple[bytes, bytes]], reversed_refs: Mapping[str, Any]
    ) -> None:
        """Two ``executemany`` (entries, postings) in commit order, then the sorted merge of the
        tail into the per-account index when the tail has grown long enough."""
        db = self._db
        known = self._account_ids.get
        new_ids = self._new_account_ids(posted)
        currency_ids = self._currency_ids
        encode = _ENCODER.encode
        entry_rows = []
        posting_rows = []
        for item, (chash, link) in zip(posted, links):
            entry = item.entry
            seq = item.seq
            reporting = item.reporting_at
            entry_rows.append(
                (
                    seq,
                    item.committed_at,
                    reporting,
                    0 if entry.reporting_at is None else 1,
                    entry.memo,
                    encode(dict(entry.metadata)) if entry.metadata else "{}",
                    entry.idempotency_key,
                    None if entry.reverses is None else reversed_refs[entry.reverses],
                    chash,
                    link,
                )
            )
            idx = 0
            for p in entry.postings:
                posting_rows.append(
                    (seq, idx, known(p.account) or new_ids[p.account], currency_ids[p.currency], p.amount if p.side == "credit" else -p.amount, reporting)
                )
                idx += 1
        db.executemany("INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?)", entry_rows)
        db.executemany("INSERT INTO postings VALUES (?,?,?,?,?,?)", posting_rows)
        last = posted[-1].seq
        indexed_to = int(meta(db, "indexed_to"))
        if last - indexed_to >= self.merge_entries:
            self._merge(indexed_to, last)

    # Reading entries.

    def _postings_of(self, seq: int) -> list[Posting]:
        self._load_accounts()
        out = []
        for aid, cid, amount in self._db.execute(
            "SELECT account_id, currency_id, amount FROM postings WHERE entry_seq = ? ORDER BY idx", (seq,)
        ):
            side = "credit" if amount > 0 else "debit"
            out.append(Posting(self._account_infos[aid].path, self._currency_codes[cid], side, abs(amount)))
        return out

    # The id of the reversed entry and the previous entry's hash are looked up by primary key.
    _ENTRY_COLUMNS = (
        "seq, committed_at, reporting_at, reporting_given, memo, metadata, idempotency_key, reverses, "
        "(SELECT o.committed_at FROM entries o WHERE o.seq = entries.reverses), content_hash, "
        "(SELECT q.entry_hash FROM entries q WHERE q.seq = entries.seq - 1), entry_hash"
    )

    def _build(self, row: tuple[Any, ...], postings: list[Posting]) -> PostedEntry:
        seq, committed, reporting, given, memo, metadata, key, reverses, reversed_at, chash, prev, link = row
        entry = JournalEntry(
            postings=tuple(postings),
            memo=memo,
            metadata=tuple(sorted(json.loads(metadata).items())),
            reporting_at=reporting if given else None,
            idempotency_key=key,
            reverses=None if reverses is None else make_entry_id(reversed_at, reverses),
        )
        prev_hex = prev.hex() if prev is not None else GENESIS.hex()
        return PostedEntry(make_entry_id(committed, seq), seq, committed, reporting, entry, chash.hex(), prev_hex, link.hex())

    def _read_entry(self, seq: int) -> PostedEntry:
        row = self._db.execute(f"SELECT {self._ENTRY_COLUMNS} FROM entries WHERE seq = ?", (seq,)).fetchone()
        if row is None:
            raise UnknownEntry(f"no entry with seq {seq}")
        return self._build(row, self._postings_of(seq))

    def get_entry(self, entry_id: str) -> PostedEntry:
        seq = seq_of_entry_id(entry_id)
        row = self._db.execute(f"SELECT {self._ENTRY_COLUMNS} FROM entries WHERE seq = ?", (seq,)).fetchone() if seq else None
        if seq is None or row is None or make_entry_id(row[1], seq) != entry_id:
            raise UnknownEntry(f"no entry {entry_id!r} in the ledger")
        return self._build(row, self._postings_of(seq))

    def entries(self, after_seq: int = 0) -> Iterator[PostedEntry]:
        # A second connection gives a stable snapshot while the caller iterates.
        reader = sqlite3.connect(self.path, isolation_level=None, timeout=60.0)
        try:
            reader.execute("BEGIN")
            self._load_accounts()
            paths = {aid: info.path for aid, info in self._account_infos.items()}
            for aid, path in reader.execute("SELECT id, path FROM accounts WHERE id > ?", (self._accounts_loaded_to,)):
                paths[aid] = path
            codes = self._currency_codes
            entry_rows = reader.execute(f"SELECT {self._ENTRY_COLUMNS} FROM entries WHERE seq > ? ORDER BY seq", (after_seq,))
            posting_rows = reader.execute(
                "SELECT entry_seq, account_id, currency_id, amount FROM postings WHERE entry_seq > ? ORDER BY entry_seq, idx",
                (after_seq,),
            )
            pending = next(posting_rows, None)
            for row in entry_rows:
                seq = row[0]
                postings = []
                while pending is not None and pending[0] == seq:
                    _, aid, cid, amount = pending
                    postings.append(Posting(paths[aid], codes[cid], "credit" if amount > 0 else "debit", abs(amount)))
                    pending = next(posting_rows, None)
                yield self._build(row, postings)
            reader.execute("COMMIT")
        finally:
            reader.close()

    def digest(self) -> LedgerDigest:
        row = self._db.execute("SELECT seq, entry_hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
        return LedgerDigest(row[0], row[1].hex()) if row else LedgerDigest(0, GENESIS.hex())

    def digest_as_of(self, as_of: AsOf) -> LedgerDigest:
        """The digest of the chain's prefix committed at or before `as_of` (O(log n) reads)."""
        seq = self._seq_cut(as_of)
        if seq == 0:
            return LedgerDigest(0, GENESIS.hex())
        row = self._db.execute("SELECT entry_hash FROM entries WHERE seq = ?", (seq,)).fetchone()
        return LedgerDigest(seq, row[0].hex())

    # Balances.

    def _seq_cut(self, as_of: AsOf, db: sqlite3.Connection | None = None) -> int:
        """The last seq with ``committed_at <= as_of`` (binary search; committed_at is monotonic)."""
        db = db or self._db
        head = db.execute("SELECT max(seq) FROM entries").fetchone()[0] or 0
        cut = as_time_us(as_of)
        if cut is None:
            return head
        lo, hi = 0, head
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if db.execute("SELECT committed_at FROM entries WHERE seq = ?", (mid,)).fetchone()[0] <= cut:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def trial_balance(self, as_of: AsOf = None) -> Mapping[str, int]:
        out = {code: 0 for code in sorted(self._currency_ids)}
        if as_of is None:
            # Every stored posting, including any that no entry owns (`verify` reports those).
            rows = self._db.execute("SELECT currency_id, SUM(amount) FROM postings GROUP BY currency_id")
        else:
            rows = self._db.execute(
                "SELECT currency_id, SUM(amount) FROM postings WHERE entry_seq <= ? GROUP BY currency_id", (self._seq_cut(as_of),)
            )
        for cid, total in rows:
            out[self._currency_codes[cid]] = total
        return out

    def verify(self, progress: Progress | None = None) -> LedgerDigest:
        digest = super().verify(progress)
        orphans = self._db.execute(
            "SELECT count(*) FROM postings WHERE entry_seq < 1 OR entry_seq > ?", (digest.entry_count,)
        ).fetchone()[0]
        if orphans:
            raise ChainBroken(digest.entry_count + 1, f"{orphans} posting(s) belong to no entry")
        self._verify_index(digest.entry_count)
        return digest

    def _verify_index(self, head: int) -> None:
        """The per-account index must hold exactly the postings of entries ``seq <= indexed_to``:
        as many rows, and each equal to the posting with its (entry_seq, idx)."""

        def query(db: sqlite3.Connection) -> tuple[int, int, int, int]:
            indexed_to = int(meta(db, "indexed_to"))
            expected = db.execute("SELECT count(*) FROM postings WHERE entry_seq <= ?", (indexed_to,)).fetchone()[0]
            found = db.execute("SELECT count(*) FROM posting_index").fetchone()[0]
            matching = db.execute(
                "SELECT count(*) FROM posting_index i JOIN postings p ON p.entry_seq = i.entry_seq AND p.idx = i.idx "
                "WHERE p.entry_seq <= ? AND p.account_id = i.account_id AND p.currency_id = i.currency_id "
                "AND p.amount = i.amount AND p.reporting_at = i.reporting_at",
                (indexed_to,),
            ).fetchone()[0]
            return indexed_to, expected, found, matching

        indexed_to, expected, found, matching = self._read(query)
        if indexed_to > head:
            raise ChainBroken(head, f"the per-account index claims entries up to seq {indexed_to}")
        if not expected == found == matching:
            raise ChainBroken(
                indexed_to, f"the per-account index disagrees with the postings ({found} rows, {matching} match, {expected} expected)"
            )

    # The per-account index and its tail.

    def _merge(self, indexed_to: int, head: int) -> None:
        """Inside a write transaction: move the tail ``(indexed_to, head]`` into the index, sorted."""
        self._db.execute(
            "INSERT INTO posting_index SELECT account_id, currency_id, entry_seq, idx, amount, reporting_at "
            "FROM postings WHERE entry_seq > ? AND entry_seq <= ? ORDER BY account_id, currency_id, entry_seq, idx",
            (indexed_to, head),
        )
        self._db.execute("UPDATE meta SET value = ? WHERE key = 'indexed_to'", (str(head),))

    def merge_index(self) -> int:
        """Merge the whole tail into the per-account index now; returns the number of entries merged.

        Never needed for correctness (queries read index and tail); useful before a long series
        of per-account queries.
        """
        self._db.execute("BEGIN IMMEDIATE")
        try:
            indexed_to = int(meta(self._db, "indexed_to"))
            head: int = self._db.execute("SELECT coalesce(max(seq), 0) FROM entries").fetchone()[0]
            if head > indexed_to:
                self._merge(indexed_to, head)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return head - indexed_to

    def _reader(self) -> sqlite3.Connection:
        """A second connection: a consistent snapshot (index, tail and indexed_to) while streaming."""
        reader = sqlite3.connect(self.path, isolation_level=None, timeout=60.0)
        reader.execute("PRAGMA cache_size=-262144")
        register_functions(reader)
        return reader

    def _parts(self, db: sqlite3.Connection, definition: BalanceDefinition, as_of: AsOf) -> tuple[str, list[object], str, list[object]]:
        """WHERE clauses (and params) selecting the definition's postings as of `as_of` in the
        index (``p`` = posting_index) and in the tail (``p`` = postings). Call inside a read
        transaction of `db`."""
        condition, params = definition_condition(self.ready(definition), self._currency_ids)
        indexed_to = int(meta(db, "indexed_to"))
        if definition.time_axis == "committed":
            seq = self._seq_cut(as_of, db)
            main = (f"p.entry_seq <= ? AND {condition}", [seq, *params])
            tail = (f"p.entry_seq > ? AND p.entry_seq <= ? AND {condition}", [indexed_to, seq, *params])
        else:
            cut = as_time_us(as_of)
            axis, axis_params = ("p.reporting_at <= ?", [cut]) if cut is not None else ("1", [])
            main = (f"{axis} AND {condition}", [*axis_params, *params])
            tail = (f"p.entry_seq > ? AND {axis} AND {condition}", [indexed_to, *axis_params, *params])
        return (*main, *tail)

    def _read(self, query: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run `query(db)` inside one read transaction on the store's connection."""
        self._db.execute("BEGIN")
        try:
            return query(self._db)
        finally:
            self._db.execute("COMMIT")

    def balance(self, definition: BalanceDefinition, account: str, as_of: AsOf = None) -> Mapping[str, int]:
        def query(db: sqlite3.Connection) -> list[tuple[int, int]]:
            main, main_params, tail, tail_params = self._parts(db, definition, as_of)
            return db.execute(
                f"SELECT currency_id, SUM(v) FROM ("
                f" SELECT p.currency_id AS currency_id, {SIGN_SQL} * p.amount AS v FROM accounts a"
                f" CROSS JOIN posting_index p WHERE a.path = ? AND p.account_id = a.id AND {main}"
                f" UNION ALL SELECT p.currency_id, {SIGN_SQL} * p.amount FROM accounts a"
                f" CROSS JOIN postings p WHERE a.path = ? AND p.account_id = a.id AND {tail}"
                f") GROUP BY currency_id",
                [account, *main_params, account, *tail_params],
            ).fetchall()

        return dict(sorted((self._currency_codes[cid], total) for cid, total in self._read(query)))

    def totals(self, definition: BalanceDefinition, as_of: AsOf = None) -> Mapping[str, int]:
        def query(db: sqlite3.Connection) -> list[tuple[int, int]]:
            main, main_params, tail, tail_params = self._parts(db, definition, as_of)
            return db.execute(
                f"SELECT currency_id, SUM(v) FROM ("
                f" SELECT p.currency_id AS currency_id, {SIGN_SQL} * p.amount AS v FROM accounts a"
                f" CROSS JOIN posting_index p WHERE p.account_id = a.id AND {main}"
                f" UNION ALL SELECT p.currency_id, {SIGN_SQL} * p.amount FROM postings p"
                f" JOIN accounts a ON a.id = p.account_id WHERE {tail}"
                f") GROUP BY currency_id",
                [*main_params, *tail_params],
            ).fetchall()

        return dict(sorted((self._currency_codes[cid], total) for cid, total in self._read(query)))

    def user_balances(self, definition: BalanceDefinition, as_of: AsOf = None) -> Iterator[tuple[str, str, int]]:
        # Path order is user-id order when every account is a Liabilities account; the accounts'
        # path index then drives the scan and nothing is sorted.
        order = "a.path" if only_liabilities(definition) else USER_ID_SQL
        return self._stream_balances(definition, as_of, order)

    def _stream_balances(self, definition: BalanceDefinition, as_of: AsOf, order: str) -> Iterator[tuple[str, str, int]]:
        codes = self._currency_codes
        select = f"{USER_ID_SQL}, p.currency_id, {SIGN_SQL} * SUM(p.amount)"
        reader = self._reader()
        try:
            reader.execute("BEGIN")
            main, main_params, tail, tail_params = self._parts(reader, definition, as_of)
            # The tail is small (at most `merge_entries` entries): aggregate and sort it here.
            tail_rows = sorted(
                reader.execute(
                    f"SELECT {select} FROM postings p JOIN accounts a ON a.id = p.account_id WHERE {tail} "
                    "GROUP BY a.id, p.currency_id",
                    tail_params,
                )
            )
            cursor = reader.execute(
                f"SELECT {select} FROM accounts a CROSS JOIN posting_index p WHERE p.account_id = a.id AND {main} "
                # Grouping by the (unique) path keeps the path-ordered outer loop: no temp B-tree.
                f"GROUP BY a.path, p.currency_id ORDER BY {order}, p.currency_id",
                main_params,
            )
            # A full outer merge-join of two streams sorted by (user id, currency id). Currency ids
            # are assigned in code order, so id order is code order within one user.
            t, n = 0, len(tail_rows)
            next_user, next_cid = tail_rows[0][0:2] if n else (None, 0)
            while rows := cursor.fetchmany(10_000):
                for user, cid, amount in rows:
                    if next_user is not None and (next_user < user or (next_user == user and next_cid <= cid)):
                        while t < n and tail_rows[t][0:2] < (user, cid):
                            if tail_rows[t][2]:
                                yield tail_rows[t][0], codes[tail_rows[t][1]], tail_rows[t][2]
                            t += 1
                        if t < n and tail_rows[t][0] == user and tail_rows[t][1] == cid:
                            amount += tail_rows[t][2]
                            t += 1
                        next_user, next_cid = tail_rows[t][0:2] if t < n else (None, 0)
                    if amount:
                        yield user, codes[cid], amount
            for user, cid, amount in tail_rows[t:]:
                if amount:
                    yield user, codes[cid], amount
            reader.execute("COMMIT")
        finally:
            reader.close()
