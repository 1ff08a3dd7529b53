"""`MongoStore`: the ledger's store interface over a MongoDB database in medici's layout.

The posting rules (validation, idempotency, reversals, ``committed_at``, the hash chain) are
`ledger.store.Store`'s; this module implements its storage protocol (one ``$in`` query for a
batch's keys, one for its reversal targets, two ``insert_many`` and the head update) and the reads.

Two modes, decided when the store is opened:

* **medici** (read-only): the database already holds ``medici_transactions`` and the toolkit's
  marker (``solvency_meta`` ``{_id: "store"}``) is absent, e.g. Galoy's production database.
  Balances follow medici's ``balance()`` rules (docs/MONGO.md section 1): every leg of the book
  counts, voided originals and their reversals included, pending sends included. Entries are the
  medici journals, in the order of their first leg's server-generated ObjectId; the hash chain and
  the digest are computed at read time over that order (`_derived_entries`). Posting is refused
  with `ReadOnlyLedger`.
* **owned**: the database was created by the toolkit (the marker is present). Journals and legs
  are written in medici's layout, so Galoy tooling and medici itself can read them, plus a
  ``solvency`` sub-document carrying the chain (seq, exact microsecond times, hashes, idempotency
  key, reversal link). Each batch is one multi-document transaction: the head document
  ``solvency_meta {_id: "head"}`` is read and conditionally updated in it, so concurrent writers
  serialise on it (a write conflict aborts and retries one of them), and unique indexes on
  ``solvency.idempotency_key`` and ``solvency.reverses`` are the backstop. A crash never leaves
  legs without their journal (medici's own gap when it runs without a session).

mongomock has no sessions: with it the store serialises writers with a process-local lock and
checks everything before the first write. That mode exists for tests only.

Threat model: the database may be written by other programs and is not trusted to be well
formed; amounts, currencies and times are validated strictly (`ledger.mongo.layout`). The hash
chain makes later edits of a published prefix evident, exactly as for SQLite.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from bson import Int64, ObjectId

from ledger.accounts import AccountInfo, account_type, path_problem, user_id_of
from ledger.chain import GENESIS, LedgerDigest, PostedEntry, content_hash, link_entry
from ledger.clock import as_time_us, format_time, now_us
from ledger.definitions import BalanceDefinition, BankRoles, CompiledDefinition, load_roles
from ledger.entries import JournalEntry, Posting
from ledger.errors import (
    FractionalAmounts,
    LedgerError,
    MediciDocumentError,
    ReadOnlyLedger,
    StoreFormatError,
    UnknownEntry,
)
from ledger.money import CURRENCIES
from ledger.mongo import layout, pipelines, roles
from ledger.store import AsOf, Head, Progress, ReversalTarget, Store, StoredKey

_RETRIES = 8
_T = TypeVar("_T")


class _Conflict(Exception):
    """Another writer moved the head between our read and our conditional update: retry."""


class MongoStore(Store):
    """See the module docstring. `database` is a pymongo (or mongomock) ``Database``."""

    def __init__(
        self,
        database: Any,
        *,
        book: str = layout.DEFAULT_BOOK,
        create: bool = True,
        transactions: bool | None = None,
        close_client: bool = False,
    ) -> None:
        self._db = database
        self._client = database.client
        self._close_client = close_client
        self._legs = database[layout.TRANSACTIONS]
        self._journals = database[layout.JOURNALS]
        self._meta = database[layout.META]
        self._lock = threading.Lock()
        self._compiled: dict[str, CompiledDefinition] = {}
        self._adjustments: dict[tuple[str, str], tuple[Decimal, int]] = {}
        if transactions is None:
            transactions = _sessions_supported(self._client)
        self._transactions = transactions
        marker = self._meta.find_one({"_id": layout.STORE_DOC})
        if marker is None and self._legs.find_one({}, {"_id": 1}) is None and self._journals.find_one({}, {"_id": 1}) is None:
            if not create:
                raise StoreFormatError(f"database {database.name!r} holds no ledger")
            marker = self._initialise(book)
        if marker is not None:
            if marker.get("format") != layout.FORMAT:
                raise StoreFormatError(f"database {database.name!r}: unknown store format {marker.get('format')!r} (expected {layout.FORMAT!r})")
            self.owned = True
            self.book = marker["book"]
        else:
            self.owned = False
            self.book = book

    # Set-up.

    def _initialise(self, book: str) -> dict[str, Any]:
        self.create_indexes()
        marker = {"_id": layout.STORE_DOC, "format": layout.FORMAT, "book": book, "created_at": now_us()}
        try:
            self._meta.insert_one(marker)
            self._meta.insert_one({"_id": layout.HEAD_DOC, "seq": 0, "committed_at": 0, "head_hash": GENESIS.hex()})
        except Exception as exc:  # another process initialised it at the same moment
            if not _is_duplicate(exc):
                raise
        stored: dict[str, Any] = self._meta.find_one({"_id": layout.STORE_DOC})
        return stored

    def create_indexes(self) -> None:
        """The indexes a toolkit-owned database needs (docs/MONGO.md, "Indexes")."""
        legs, journals = self._legs, self._journals
        legs.create_index([("book", 1), ("accounts", 1), ("currency", 1), ("solvency.committed_at", 1)], name="solvency_committed")
        legs.create_index([("book", 1), ("accounts", 1), ("currency", 1), ("solvency.reporting_at", 1)], name="solvency_reporting")
        legs.create_index([("solvency.seq", 1), ("_id", 1)], name="solvency_seq")
        legs.create_index([("_journal", 1)], name="medici_journal")
        journals.create_index([("solvency.entry_id", 1)], name="solvency_entry_id", unique=True, sparse=True)
        journals.create_index([("solvency.seq", 1)], name="solvency_seq", unique=True, sparse=True)
        journals.create_index([("solvency.idempotency_key", 1)], name="solvency_idempotency", unique=True, sparse=True)
        journals.create_index([("solvency.reverses", 1)], name="solvency_reverses", unique=True, sparse=True)

    def close(self) -> None:
        if self._close_client:
            self._client.close()

    # The storage protocol of `ledger.store.Store`, which holds the posting rules.

    def _transaction(self, body: Callable[[Any], _T]) -> _T:
        """One multi-document transaction (a process-local lock without sessions), retried when
        another writer moved the head or took a unique key first."""
        from pymongo.errors import OperationFailure

        if not self.owned:
            raise ReadOnlyLedger(
                f"database {self._db.name!r} is a medici ledger the toolkit did not create; it is read-only "
                "(import it with `solvency ledger import` to post to a copy)"
            )
        for attempt in range(_RETRIES):
            try:
                if not self._transactions:
                    with self._lock:
                        return body(None)
                with self._client.start_session() as session:
                    result: _T = session.with_transaction(body)
                    return result
            except _Conflict:
                continue
            except OperationFailure as exc:
                if _is_duplicate(exc) and attempt < _RETRIES - 1:
                    continue  # a concurrent writer took a key first: re-read and answer as a replay
                if exc.code == 20 or "replica set" in str(exc):
                    raise LedgerError(
                        "writing needs MongoDB transactions, i.e. a replica set or a sharded cluster "
                        "(a single-node replica set is enough: mongod --replSet rs0, then rs.initiate())"
                    ) from None
                raise
        raise LedgerError(f"could not commit the batch after {_RETRIES} attempts (write conflicts)")

    def _head(self, tx: Any) -> Head:
        head = self._meta.find_one({"_id": layout.HEAD_DOC}, **_kw(tx))
        if head is None:
            raise StoreFormatError("the head document is missing: the database was tampered with")
        return Head(int(head["seq"]), int(head["committed_at"]), _hash_bytes(layout.META, head, "head_hash"))

    def _stored_keys(self, tx: Any, keys: Sequence[str]) -> Mapping[str, StoredKey]:
        found = self._journals.find({"solvency.idempotency_key": {"$in": list(keys)}}, **_kw(tx))
        return {doc["solvency"]["idempotency_key"]: StoredKey(_hash_bytes(layout.JOURNALS, doc, "content_hash"), doc) for doc in found}

    def _reversal_targets(self, tx: Any, entry_ids: Sequence[str]) -> Mapping[str, ReversalTarget]:
        kw = _kw(tx)
        wanted = {"$in": list(entry_ids)}
        docs = list(self._journals.find({"solvency.entry_id": wanted}, **kw))
        taken = {
            doc["solvency"]["reverses"]: doc["solvency"]["entry_id"]
            for doc in self._journals.find({"solvency.reverses": wanted}, {"solvency.entry_id": 1, "solvency.reverses": 1}, **kw)
        }
        return {
            doc["solvency"]["entry_id"]: ReversalTarget(
                doc["solvency"].get("reverses") is not None,
                taken.get(doc["solvency"]["entry_id"]),
                tuple(self._postings_of(doc["_id"], kw)),
                doc["_id"],
            )
            for doc in docs
        }

    def _stored_entry(self, tx: Any, ref: Any) -> PostedEntry:
        return self._posted_from(ref, _kw(tx))

    def _append(
        self, tx: Any, head: Head, posted: Sequence[PostedEntry], links: Sequence[tuple[bytes, bytes]], reversed_refs: Mapping[str, Any]
    ) -> None:
        """Legs, then journals, then the head moved by a conditional update (a writer that moved
        it first makes this one retry). Without a session, our own documents are removed again
        when anything fails."""
        kw = _kw(tx)
        journal_docs: list[dict[str, Any]] = []
        leg_docs: list[dict[str, Any]] = []
        for item in posted:
            entry = item.entry
            original = None if entry.reverses is None else reversed_refs[entry.reverses]
            journal_id = layout.object_id_for(item.committed_at, item.seq, 0)
            legs = [self._leg_doc(item, p, idx, journal_id, original) for idx, p in enumerate(entry.postings)]
            leg_docs.extend(legs)
            journal_docs.append(self._journal_doc(item, journal_id, [leg["_id"] for leg in legs]))
        last = posted[-1]
        written: list[tuple[Any, list[Any]]] = []
        try:
            self._legs.insert_many(leg_docs, ordered=True, **kw)
            written.append((self._legs, [d["_id"] for d in leg_docs]))
            self._journals.insert_many(journal_docs, ordered=True, **kw)
            written.append((self._journals, [d["_id"] for d in journal_docs]))
            moved = self._meta.update_one(
                {"_id": layout.HEAD_DOC, "seq": head.seq},
                {"$set": {"seq": last.seq, "committed_at": Int64(last.committed_at), "head_hash": last.entry_hash}},
                **kw,
            )
            if moved.matched_count != 1:
                raise _Conflict()
        except BaseException:
            if tx is None:
                # No transaction (mongomock): undo our own uncommitted documents.
                for collection, ids in written:
                    collection.delete_many({"_id": {"$in": ids}})
            raise

    def _journal_doc(self, item: PostedEntry, journal_id: ObjectId, leg_ids: list[ObjectId]) -> dict[str, Any]:
        entry = item.entry
        solvency: dict[str, Any] = {
            "v": 1,
            "entry_id": item.entry_id,
            "seq": item.seq,
            "committed_at": Int64(item.committed_at),
            "reporting_at": Int64(item.reporting_at),
            "reporting_given": entry.reporting_at is not None,
            "content_hash": item.content_hash,
            "prev_hash": item.prev_hash,
            "entry_hash": item.entry_hash,
            "metadata": [[k, v] for k, v in entry.metadata],
        }
        if entry.idempotency_key is not None:
            solvency["idempotency_key"] = entry.idempotency_key
        if entry.reverses is not None:
            solvency["reverses"] = entry.reverses
        return {
            "_id": journal_id,
            "datetime": layout.us_to_datetime(item.reporting_at),
            "memo": entry.memo,
            "_transactions": leg_ids,
            "book": self.book,
            "voided": False,
            "solvency": solvency,
        }

    def _leg_doc(self, item: PostedEntry, posting: Posting, idx: int, journal_id: ObjectId, original: ObjectId | None) -> dict[str, Any]:
        entry, seq, committed, reporting = item.entry, item.seq, item.committed_at, item.reporting_at
        amount = Int64(posting.amount)
        doc: dict[str, Any] = {
            "_id": layout.object_id_for(committed, seq, idx),
            "_journal": journal_id,
            "account_path": posting.account.split(":"),
            "accounts": posting.account,
            "book": self.book,
            "credit": amount if posting.side == "credit" else Int64(0),
            "debit": amount if posting.side == "debit" else Int64(0),
            "datetime": layout.us_to_datetime(reporting),
            "timestamp": layout.us_to_datetime(committed),
            "memo": entry.memo,
            "currency": posting.currency,
            "pending": False,
            "solvency": {"seq": seq, "committed_at": Int64(committed), "reporting_at": Int64(reporting)},
        }
        kind = dict(entry.metadata).get("type")
        if isinstance(kind, str):
            doc["type"] = kind
        if original is not None:
            doc["_original_journal"] = original
        return doc

    # Reading entries.

    def _postings_of(self, journal_id: ObjectId, kw: dict[str, Any]) -> list[Posting]:
        postings = []
        for leg in self._legs.find({"_journal": journal_id}, **kw).sort("_id", 1):
            posting = layout.leg_posting(leg)
            if posting is not None:
                postings.append(posting)
        return postings

    def _posted_from(self, doc: dict[str, Any], kw: dict[str, Any], postings: list[Posting] | None = None) -> PostedEntry:
        sol = doc.get("solvency")
        if not isinstance(sol, dict):
            raise MediciDocumentError(layout.JOURNALS, doc.get("_id"), "solvency", "missing in a toolkit-owned database")
        if postings is None:
            postings = self._postings_of(doc["_id"], kw)
        metadata = tuple(sorted((str(k), _plain(v)) for k, v in sol.get("metadata", [])))
        entry = JournalEntry(
            postings=tuple(postings),
            memo=doc.get("memo", ""),
            metadata=metadata,
            reporting_at=int(sol["reporting_at"]) if sol.get("reporting_given") else None,
            idempotency_key=sol.get("idempotency_key"),
            reverses=sol.get("reverses"),
        )
        return PostedEntry(
            sol["entry_id"],
            int(sol["seq"]),
            int(sol["committed_at"]),
            int(sol["reporting_at"]),
            entry,
            sol["content_hash"],
            sol["prev_hash"],
            sol["entry_hash"],
        )

    def get_entry(self, entry_id: str) -> PostedEntry:
        if self.owned:
            doc = self._journals.find_one({"solvency.entry_id": entry_id})
            if doc is None:
                raise UnknownEntry(f"no entry {entry_id!r} in the ledger")
            return self._posted_from(doc, {})
        for posted in self._derived_entries():
            if posted.entry_id == entry_id:
                return posted
        raise UnknownEntry(f"no entry {entry_id!r} in the ledger")

    def entries(self, after_seq: int = 0) -> Iterator[PostedEntry]:
        if not self.owned:
            return (p for p in self._derived_entries() if p.seq > after_seq)
        return self._owned_entries(after_seq)

    def _owned_entries(self, after_seq: int) -> Iterator[PostedEntry]:
        head = self._meta.find_one({"_id": layout.HEAD_DOC})
        last = int(head["seq"]) if head else 0
        seq_range = {"$gt": after_seq, "$lte": last}
        journals = self._journals.find({"solvency.seq": seq_range}).sort("solvency.seq", 1)
        legs = self._legs.find({"solvency.seq": seq_range}).sort([("solvency.seq", 1), ("_id", 1)])
        pending = next(legs, None)
        for doc in journals:
            seq = doc["solvency"]["seq"]
            postings = []
            while pending is not None and pending.get("solvency", {}).get("seq") == seq:
                posting = layout.leg_posting(pending)
                if posting is not None:
                    postings.append(posting)
                pending = next(legs, None)
            yield self._posted_from(doc, {}, postings)

    def _derived_entries(self) -> Iterator[PostedEntry]:
        """medici journals as chained entries, computed at read time (docs/MONGO.md, "Digest").

        Metadata also carries Galoy's entry ``type`` (the legs' own ``type``; Galoy gives every leg
        of an entry the same one) and, under the ``floor`` fractional policy, the exact
        ``credit - debit`` of every fractional leg (``<leg id>=<value>``), whose posting is that
        value floored.

        Order: by the smallest server-generated ``_id`` among a journal's legs. ``committed_at`` is
        that ObjectId's second in microseconds, bumped by 1 us when needed so that it strictly
        increases. ``reporting_at`` is the legs' ``datetime``. Metadata records the medici journal
        id and, for a reversal, the voided journal (``_original_journal``). Fields that Galoy
        updates in place (``pending``, ``voided``, ``void_reason``, ``pubkey``...) are not part of
        the content, so those updates do not change the chain; amounts, accounts, currencies,
        dates and the set of legs are.
        """
        match = pipelines.base_match(self.book, owned=False)
        cursor = self._legs.aggregate(pipelines.journal_order_pipeline(match), allowDiskUse=True)
        prev = GENESIS
        last_time = -1
        seq = 0
        for group in cursor:
            legs = sorted(group["legs"], key=lambda leg: leg["_id"])  # $push order is not a contract
            first = legs[0]
            fractions: list[str] = []
            postings = tuple(p for p in (self._leg_posting(leg, fractions) for leg in legs) if p is not None)
            seq += 1
            committed = max(layout.object_id_seconds(group["first"]) * 1_000_000, last_time + 1)
            last_time = committed
            reporting = layout.datetime_to_us(first.get("datetime"), layout.TRANSACTIONS, first.get("_id"), "datetime")
            for leg in legs[1:]:
                if layout.datetime_to_us(leg.get("datetime"), layout.TRANSACTIONS, leg.get("_id"), "datetime") != reporting:
                    raise MediciDocumentError(
                        layout.TRANSACTIONS, leg.get("_id"), "datetime",
                        f"differs from the other legs of journal {group['_id']} (medici gives every leg the journal's date)",
                    )
            metadata: list[tuple[str, Any]] = [("medici_journal", str(group["_id"]) if group["_id"] is not None else None)]
            original = first.get("_original_journal")
            if original is not None:
                metadata.append(("medici_original_journal", str(original)))
            kind = next((k for k in map(layout.leg_type, legs) if k is not None), None)
            if kind is not None:
                metadata.append(("type", kind))
            if fractions:
                metadata.append(("medici_fractional", ";".join(fractions)))
            memo = first.get("memo")
            entry = JournalEntry(
                postings=postings,
                memo=memo if isinstance(memo, str) else "",
                metadata=tuple(metadata),
                reporting_at=reporting,
            )
            posted, prev = link_entry(prev, entry, content_hash(entry), seq, committed)
            yield posted

    def _leg_posting(self, leg: dict[str, Any], fractions: list[str]) -> Posting | None:
        """`layout.leg_posting`, except that under the ``floor`` policy a fractional leg becomes
        its floored ``credit - debit`` and its exact value is noted in `fractions`."""
        if self.fractional == "floor":
            net = self._exact_net(leg)
            if net is not None and net != net.to_integral_value():
                fractions.append(f"{leg['_id']}={net}")
                signed = math.floor(net)
                account, currency = layout.leg_account(leg), layout.leg_currency(leg)
                return None if signed == 0 else Posting(account, currency, "credit" if signed > 0 else "debit", abs(signed))
        return layout.leg_posting(leg)

    @staticmethod
    def _exact_net(leg: dict[str, Any]) -> Decimal | None:
        """Exact ``credit - debit`` of a leg whose amounts are numbers (whole or not), else None."""
        credit, debit = layout.exact_amount(leg.get("credit")), layout.exact_amount(leg.get("debit"))
        return None if credit is None or debit is None else credit - debit

    def bank_roles(self, override: str | None = None) -> BankRoles:
        """The override file; else, on a medici database holding Galoy's ``accounts``
        collection, the roles Galoy itself resolves (`ledger.mongo.roles`); else the toolkit's
        path convention."""
        if override is not None:
            return load_roles(override)
        if not self.owned and roles.has_galoy_roles(self._db):
            return roles.galoy_roles(self._db)
        return super().bank_roles()

    def fractional_legs(self) -> list[tuple[str, str, str, str, str]]:
        """Every leg of the book with a fractional amount: ``(leg _id, journal, account, currency,
        exact credit - debit)``, in ``_id`` order (one scan of the book's legs)."""
        out: list[tuple[str, str, str, str, str]] = []
        match = pipelines.base_match(self.book, owned=self.owned)
        for leg in self._legs.find(match).sort("_id", 1):
            if any(layout.fractional_amount(leg.get(f)) is not None for f in ("credit", "debit")):
                net = self._exact_net(leg)
                out.append((str(leg["_id"]), str(leg.get("_journal")), str(leg.get("accounts")), str(leg.get("currency")), str(net)))
        return out

    def fractional_adjustments(self) -> list[tuple[str, str, str, int]]:
        """``(account, currency, exact normal-side balance, floored)`` for every balance the
        ``floor`` policy rounded during this store's reads (the last reading of each)."""
        return [(a, c, str(exact), floored) for (a, c), (exact, floored) in sorted(self._adjustments.items())]

    def floored_balances(self, definition: BalanceDefinition, as_of: AsOf = None) -> list[tuple[str, str, Decimal, int]]:
        """``(account, currency, exact normal-side balance, floored)`` of every balance of
        `definition` at `as_of` that the ``floor`` policy rounds (one more read; none under
        ``refuse``, which fails the read instead)."""
        if self.fractional != "floor":
            return []
        found: dict[tuple[str, str], tuple[Decimal, int]] = {}
        for _ in self._grouped(definition, as_of, floored=found):
            pass
        return [(a, c, exact, rounded) for (a, c), (exact, rounded) in sorted(found.items())]

    def unbalanced_journals(self, as_of: Any = None, progress: Progress | None = None) -> list[tuple[str, str, str]]:
        """Per medici journal and currency, the exact sum of ``credit - debit`` of its legs
        (fractional amounts included, read exactly); every journal whose sum is not zero, named
        by its medici id (one server-side pipeline: `progress` is not told). On an owned
        database, the base check over the chained entries."""
        if self.owned:
            return super().unbalanced_journals(as_of, progress)
        cut = as_time_us(as_of)
        match = pipelines.and_filters(pipelines.base_match(self.book, owned=False), pipelines.time_filter("committed", cut, owned=False))
        out: list[tuple[str, str, str]] = []
        for group in self._legs.aggregate(pipelines.journal_order_pipeline(match), allowDiskUse=True):
            sums: dict[str, Decimal] = {}
            for leg in group["legs"]:
                net = self._exact_net(leg)
                if net is None:
                    problem = layout.amount_problem(leg.get("credit")) or layout.amount_problem(leg.get("debit")) or "not a number"
                    raise MediciDocumentError(layout.TRANSACTIONS, leg.get("_id"), "credit/debit", problem)
                code = layout.leg_currency(leg)
                sums[code] = sums.get(code, Decimal(0)) + net
            out.extend((str(group["_id"]), code, str(total)) for code, total in sorted(sums.items()) if total != 0)
        return out

    def accounts(self) -> Iterator[AccountInfo]:
        match = pipelines.base_match(self.book, owned=self.owned)
        cursor = self._legs.aggregate([{"$match": match}, {"$group": {"_id": "$accounts"}}, {"$sort": {"_id": 1}}], allowDiskUse=True)
        for row in cursor:
            if isinstance(row["_id"], str):
                yield AccountInfo(row["_id"])

    def digest(self) -> LedgerDigest:
        if self.owned:
            head = self._meta.find_one({"_id": layout.HEAD_DOC})
            return LedgerDigest(int(head["seq"]), head["head_hash"])
        count, last = 0, GENESIS.hex()
        for posted in self._derived_entries():
            count, last = posted.seq, posted.entry_hash
        return LedgerDigest(count, last)

    def digest_as_of(self, as_of: AsOf) -> LedgerDigest:
        """The digest of the chain's prefix committed at or before `as_of`: one indexed query on
        a toolkit-owned database, one pass over the derived chain on a medici database
        (``committed_at`` strictly increases along both chains)."""
        cut = as_time_us(as_of)
        if cut is None:
            return self.digest()
        if self.owned:
            head = self._meta.find_one({"_id": layout.HEAD_DOC})
            last = int(head["seq"]) if head else 0
            doc = self._journals.find_one(
                {"solvency.seq": {"$gte": 1, "$lte": last}, "solvency.committed_at": {"$lte": Int64(cut)}},
                {"solvency.seq": 1, "solvency.entry_hash": 1},
                sort=[("solvency.seq", -1)],
            )
            if doc is None:
                return LedgerDigest(0, GENESIS.hex())
            return LedgerDigest(int(doc["solvency"]["seq"]), doc["solvency"]["entry_hash"])
        count, last_hash = 0, GENESIS.hex()
        for posted in self._derived_entries():
            if posted.committed_at > cut:
                break
            count, last_hash = posted.seq, posted.entry_hash
        return LedgerDigest(count, last_hash)

    # Balances.

    def _time_filter(self, axis: str, as_of: AsOf) -> pipelines.Filter:
        cut = as_time_us(as_of)
        if cut is not None and axis == "committed" and not self.owned:
            self._check_cut(cut)
        return pipelines.time_filter(axis, cut, owned=self.owned)

    def _check_cut(self, cut: int) -> None:
        """Refuse a committed-axis cut-off that would split a medici journal (its legs got ids in
        different seconds), since the answer would not be a balanced set of entries."""
        bound = layout.object_id_bound_after_second(cut)
        for row in self._legs.aggregate(pipelines.straddle_pipeline(bound)):
            raise LedgerError(
                f"cut-off {format_time(cut)} splits medici journal {row['_id']} (legs {row['lo']} .. {row['hi']} "
                "were written in different seconds); choose a cut-off one second earlier or later"
            )

    def _rows(
        self, match: pipelines.Filter, pipeline_of: Callable[[pipelines.Filter], list[pipelines.Filter]] = pipelines.per_account_pipeline
    ) -> Iterator[dict[str, Any]]:
        """The pipeline's rows, each with ``net``: the exact ``credit - debit`` of its legs (an int,
        or a Decimal when fractional legs count). A group the server flagged (``bad``) is re-read
        leg by leg: any amount that is not a number is refused naming the leg; fractional legs
        are refused all together, every document named, unless the ``floor`` policy is in force."""
        offending: list[tuple[str, str, str]] = []
        for row in self._legs.aggregate(pipeline_of(match), allowDiskUse=True):
            net: int | Decimal = int(row["credit"]) - int(row["debit"])
            if row["bad"]:
                key = row["_id"]
                scope = {"accounts": key.get("a"), "currency": key.get("c")} if isinstance(key, dict) else {"currency": key}
                extra, legs = self._fractional_legs_in(pipelines.and_filters(match, scope))
                offending.extend(legs)
                net = net + extra
            if offending and self.fractional == "refuse":
                continue  # keep scanning so that the refusal names every fractional leg
            row["net"] = net
            yield row
        if offending and self.fractional == "refuse":
            # Name every fractional leg of the book, not only those of this query (one scan).
            match_all = pipelines.base_match(self.book, owned=self.owned)
            _, everywhere = self._fractional_legs_in(match_all)
            raise FractionalAmounts(everywhere or offending)

    def _fractional_legs_in(self, match: pipelines.Filter) -> tuple[Decimal, list[tuple[str, str, str]]]:
        """Exact ``credit - debit`` summed over the legs of `match` the server left out, and those
        legs as ``(_id, field, value)``; a leg whose amount is not a number at all is refused."""
        extra = Decimal(0)
        legs: list[tuple[str, str, str]] = []
        for leg in self._legs.find(match).sort("_id", 1):
            if layout.amount_problem(leg.get("credit")) is None and layout.amount_problem(leg.get("debit")) is None:
                continue
            net = self._exact_net(leg)
            if net is None:
                self._raise_bad(leg["_id"], 1)
            extra += net  # type: ignore[operator]
            legs.extend((str(leg["_id"]), f, str(layout.exact_amount(leg.get(f)))) for f in ("credit", "debit")
                        if layout.fractional_amount(leg.get(f)) is not None)
        return extra, legs

    def _raise_bad(self, doc_id: Any, count: int) -> None:
        doc = self._legs.find_one({"_id": doc_id}) or {"_id": doc_id}
        for field in ("credit", "debit"):
            problem = layout.amount_problem(doc.get(field))
            if problem:
                more = f" ({count - 1} more bad leg(s) in the same account)" if count > 1 else ""
                raise MediciDocumentError(layout.TRANSACTIONS, doc_id, field, problem + more)
        raise MediciDocumentError(layout.TRANSACTIONS, doc_id, "credit/debit", "rejected by the server-side amount check")

    def _check_currency(self, code: Any, first_id: Any) -> str:
        if not isinstance(code, str) or code not in CURRENCIES:
            reason = "missing (Galoy writes BTC or USD)" if code is None else f"unknown currency {code!r} (known: {', '.join(CURRENCIES)})"
            raise MediciDocumentError(layout.TRANSACTIONS, first_id, "currency", reason)
        return code

    def trial_balance(self, as_of: AsOf = None) -> Mapping[str, int]:
        match = pipelines.and_filters(pipelines.base_match(self.book, owned=self.owned), self._time_filter("committed", as_of))
        out = {code: 0 for code in sorted(CURRENCIES)}
        for row in self._rows(match, pipelines.per_currency_pipeline):
            code = self._check_currency(row["_id"], row["first_id"])
            out[code] = math.floor(row["net"])
        return out

    def _compiled_for(self, definition: BalanceDefinition) -> CompiledDefinition:
        compiled = self._compiled.get(definition.content_hash)
        if compiled is None:
            compiled = self._compiled[definition.content_hash] = CompiledDefinition(definition)
        return compiled

    def _grouped(
        self, definition: BalanceDefinition, as_of: AsOf, account: str | None = None,
        floored: dict[tuple[str, str], tuple[Decimal, int]] | None = None,
    ) -> Iterator[tuple[str, str, int]]:
        """``(account, currency, normal-side balance)`` per (account, currency) of `definition`,
        in account order, from ONE server-side pipeline. Each balance the floor policy rounds is
        also recorded in `floored`, when given, as ``(exact, floored)``."""
        definition = self.ready(definition)
        match = pipelines.and_filters(
            pipelines.base_match(self.book, owned=self.owned),
            {"accounts": account} if account is not None else {},
            pipelines.definition_filter(definition),
            self._time_filter(definition.time_axis, as_of),
        )
        compiled = self._compiled_for(definition)
        for row in self._rows(match):
            path = row["_id"].get("a")
            code = self._check_currency(row["_id"].get("c"), row["first_id"])
            problem = path_problem(path)
            if problem:
                raise MediciDocumentError(layout.TRANSACTIONS, row["first_id"], "accounts", problem)
            info = AccountInfo(path)
            if code not in compiled.currencies(info):
                continue  # belt and braces: the server filter and the Python definition agree
            normal = account_type(path).normal_sign * row["net"]
            if isinstance(normal, Decimal) and normal != normal.to_integral_value():
                # Galoy's own rule for a fractional wallet balance (docs/MONGO.md, "Fractional
                # amounts"): floor it. Only reached under the explicit `floor` policy.
                rounded = math.floor(normal)
                self._adjustments[(path, code)] = (normal, rounded)
                if floored is not None:
                    floored[(path, code)] = (normal, rounded)
                normal = rounded
            yield path, code, int(normal)

    def balance(self, definition: BalanceDefinition, account: str, as_of: AsOf = None) -> Mapping[str, int]:
        return {code: amount for _, code, amount in self._grouped(definition, as_of, account)}

    def totals(self, definition: BalanceDefinition, as_of: AsOf = None) -> Mapping[str, int]:
        sums: dict[str, int] = {}
        for _, code, amount in self._grouped(definition, as_of):
            sums[code] = sums.get(code, 0) + amount
        return dict(sorted(sums.items()))

    def user_balances(self, definition: BalanceDefinition, as_of: AsOf = None) -> Iterator[tuple[str, str, int]]:
        rows = ((user_id_of(path), code, amount) for path, code, amount in self._grouped(definition, as_of) if amount)
        if _liabilities_only(definition):
            # Paths under "Liabilities:" sort exactly as their wallet ids: stream in server order.
            return rows
        return iter(sorted(rows))


def _liabilities_only(definition: BalanceDefinition) -> bool:
    for selector in definition.include:
        literal_prefix = (selector.path or "").split("*")[0].split("?")[0]
        ns_prefix = (selector.namespace or "").split("*")[0].split("?")[0]
        if not (
            selector.type == "Liabilities"
            or literal_prefix.startswith("Liabilities:")
            or ns_prefix == "Liabilities"
            or ns_prefix.startswith("Liabilities:")
        ):
            return False
    return True


def _plain(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    return value


def _hash_bytes(collection: str, doc: dict[str, Any], field: str) -> bytes:
    """A stored hex hash as bytes (``solvency.<field>`` of a journal, ``<field>`` of the head)."""
    value = doc["solvency"].get(field) if collection == layout.JOURNALS else doc.get(field)
    if isinstance(value, str) and len(value) == 64:
        try:
            return bytes.fromhex(value)
        except ValueError:
            pass
    where = f"solvency.{field}" if collection == layout.JOURNALS else field
    raise MediciDocumentError(collection, doc.get("_id"), where, f"not a 32-byte hex hash: {value!r}")


def _kw(session: Any) -> dict[str, Any]:
    return {"session": session} if session is not None else {}


def _is_duplicate(exc: BaseException) -> bool:
    return getattr(exc, "code", None) == 11000 or "E11000" in str(exc)


def _sessions_supported(client: Any) -> bool:
    try:
        session = client.start_session()
    except NotImplementedError:  # mongomock
        return False
    session.end_session()
    return True
