"""Copy a medici (MongoDB) ledger into another, empty store, and prove the copy is faithful.

`copy_ledger` streams the source's entries (`MongoStore.entries`, commit order) into the target
in batches (`Store.post_batch`, all-or-nothing per batch), then checks, each from an independent
path, and raises `ImportMismatch` listing every difference:

* counts: journals and money-moving legs counted by the server (``$group`` / ``count``) equal the
  target's entries and postings;
* balances: for every account type, the per-(account, currency) balances computed by the source's
  aggregation pipeline equal the target's, as of the same cut-off;
* the target's hash chain verifies and its trial balance is zero in every currency.

Each imported entry keeps its reporting time (medici's ``datetime``), memo, and metadata (for a
medici source: the journal id and, for a void, the voided journal id). Its committed time is the
import time: the copy's committed axis starts at the import, so cut-offs on the source's committed
axis are taken with ``as_of`` at import time. Reversal links are carried over only from a
toolkit-owned source (a medici void becomes an ordinary entry that cancels the original, with the
link in metadata), because medici's void is not a ledger reversal (it flags the original in
place).

The target should be new: the CLI writes it under a temporary name and renames it only after every
check passed, so a failed import leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ledger.accounts import AccountType
from ledger.chain import LedgerDigest, PostedEntry
from ledger.clock import as_time_us
from ledger.definitions import BalanceDefinition, Selector
from ledger.entries import JournalEntry
from ledger.errors import BatchRejected, ImportMismatch, LedgerError
from ledger.mongo import pipelines
from ledger.mongo.store import MongoStore
from ledger.store import AsOf, Progress, Store, with_progress


@dataclass(frozen=True, slots=True)
class ImportReport:
    entries: int
    postings: int
    accounts_checked: int
    source_digest: LedgerDigest
    target_digest: LedgerDigest
    as_of: int | None
    balances_by_type: tuple[tuple[str, int], ...] = field(default=())


def _type_definitions() -> list[BalanceDefinition]:
    return [BalanceDefinition(f"import-{t.value.lower()}", "committed", (Selector(type=t.value),)) for t in AccountType]


def _source_entries(source: MongoStore, cut: int | None) -> Iterator[PostedEntry]:
    for posted in source.entries():
        if cut is not None:
            # medici's committed axis has one-second resolution (docs/MONGO.md, "Time axes").
            beyond = posted.committed_at // 1_000_000 > cut // 1_000_000 if not source.owned else posted.committed_at > cut
            if beyond:
                return
        yield posted


def copy_ledger(source: MongoStore, target: Store, *, as_of: AsOf = None, batch_size: int = 5000,
                progress: Progress | None = None) -> ImportReport:
    """Copy `source` (as of `as_of` on its committed axis) into the empty `target`; see the module
    docstring. Raises `BatchRejected` (annotated with the source entries) or `ImportMismatch`.
    `progress` hears the phase ``copying entries`` (total unknown: 0)."""
    if target.digest().entry_count != 0:
        raise LedgerError("the target ledger is not empty; import into a new ledger")
    cut = as_time_us(as_of)
    source.trial_balance(as_of=cut)  # refuses a cut-off that splits a journal, and bad documents
    ids: dict[str, str] = {}
    batch: list[JournalEntry] = []
    origin: list[PostedEntry] = []
    entries = postings = 0
    source_digest = LedgerDigest(0, "00" * 32)

    def flush() -> None:
        try:
            posted = target.post_batch(batch)
        except BatchRejected as exc:
            raise BatchRejected(
                [type(e)(e.index, e.field, f"{e.reason} [source entry seq {origin[e.index].seq}, {dict(origin[e.index].entry.metadata)}]") for e in exc.errors]
            ) from None
        if source.owned:
            for src, dst in zip(origin, posted):
                ids[src.entry_id] = dst.entry_id
        batch.clear()
        origin.clear()

    for posted in with_progress(_source_entries(source, cut), progress, "copying entries", 0):
        entry = posted.entry
        if source.owned and entry.reverses is not None and any(o.entry_id == entry.reverses for o in origin):
            flush()  # the reversed entry is in this batch: post it first to learn its new id
        reverses = ids.get(entry.reverses) if (source.owned and entry.reverses is not None) else None
        batch.append(
            JournalEntry(
                postings=entry.postings,
                memo=entry.memo,
                metadata=entry.metadata,
                reporting_at=posted.reporting_at,
                idempotency_key=entry.idempotency_key,
                reverses=reverses,
            )
        )
        origin.append(posted)
        entries += 1
        postings += len(entry.postings)
        source_digest = LedgerDigest(posted.seq, posted.entry_hash)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return check_copy(source, target, cut, entries, postings, source_digest)


def check_copy(source: MongoStore, target: Store, cut: int | None, entries: int, postings: int, source_digest: LedgerDigest) -> ImportReport:
    problems: list[str] = []
    journals, legs = source_counts(source, cut)
    target_entries = target.digest().entry_count
    target_postings = sum(len(p.entry.postings) for p in target.entries())
    if not (journals == entries == target_entries):
        problems.append(f"entry count: source journals {journals}, copied {entries}, target {target_entries}")
    if not (legs == postings == target_postings):
        problems.append(f"posting count: source legs {legs}, copied {postings}, target {target_postings}")
    checked = 0
    by_type = []
    for definition in _type_definitions():
        ours = {(u, c): a for u, c, a in source.user_balances(definition, as_of=cut)}
        theirs = {(u, c): a for u, c, a in target.user_balances(definition)}
        checked += len(ours)
        by_type.append((definition.name.removeprefix("import-"), len(ours)))
        for key in sorted(set(ours) | set(theirs)):
            if ours.get(key) != theirs.get(key):
                problems.append(f"{definition.include[0].type} {key[0]} {key[1]}: source {ours.get(key, 0)}, target {theirs.get(key, 0)}")
    try:
        target_digest = target.verify()
    except LedgerError as exc:
        problems.append(f"target does not verify: {exc}")
        target_digest = target.digest()
    if problems:
        raise ImportMismatch(problems)
    return ImportReport(entries, postings, checked, source_digest, target_digest, cut, tuple(by_type))


def source_counts(source: MongoStore, cut: int | None) -> tuple[int, int]:
    """(journals, legs that move money) in the source as of `cut`, counted by the server."""
    match = pipelines.and_filters(pipelines.base_match(source.book, owned=source.owned), pipelines.time_filter("committed", cut, owned=source.owned))
    legs = source._legs.count_documents(pipelines.and_filters(match, {"$expr": {"$ne": ["$credit", "$debit"]}}))
    rows = list(source._legs.aggregate([{"$match": match}, {"$group": {"_id": "$_journal"}}, {"$count": "n"}], allowDiskUse=True))
    return (rows[0]["n"] if rows else 0), legs
