"""The store interface every ledger backend implements (SQLite embedded, MongoDB in medici's layout).

Contract (checked by tests/ledger/store_contract.py for every backend):

* `post_batch` is all-or-nothing: either every entry of the batch is recorded, in batch order, in
  one transaction, or none is and `BatchRejected` carries *every* problem found (index, field,
  reason). Store-independent checks are in `ledger.entries`; `Store` adds idempotency conflicts
  and the reversal rules, evaluated inside the backend's write transaction.
* Append-only: there is no update or delete. A correction is a reversal entry (`reverse`, or an
  entry with ``reverses`` set whose postings mirror the original's); an entry is reversed at most
  once and a reversal is never reversed.
* Idempotency: an entry with an ``idempotency_key`` already used returns the original
  `PostedEntry` when its content hash is equal and is rejected otherwise. Two processes posting the
  same key concurrently record it once.
* ``committed_at`` is strictly increasing in commit order and ``seq`` is gap-free from 1; every
  entry links to the previous one by hash (`ledger.chain`). `digest` returns the head.
* As-of semantics: ``as_of`` is None (everything), a timezone-aware datetime, RFC 3339 text or
  integer microseconds. On the committed axis an entry counts when ``committed_at <= as_of``, so
  the answer for a past cut-off never changes, whatever is posted later (backdated or not). On the
  reporting axis it counts when ``reporting_at <= as_of``; that answer changes when backdated
  entries arrive, by design.
* Balances are in each account's normal side (`ledger.accounts`): liabilities and assets are both
  positive when the bank owes / holds. `user_balances` yields ``(user_id, currency, amount)``
  sorted by user id then currency, omits zero balances, and ``user_id`` is the path after
  ``Liabilities:`` (the wallet id) or the full path for other account types.

How the rules are enforced: `Store.post_batch` and `Store.check_batch` are written once, here, as
a template over a narrow storage protocol that each backend implements (`_transaction`, `_head`,
`_stored_keys`, `_reversal_targets`, `_stored_entry`, `_append`, `_known_accounts`). The base
validates the batch, resolves idempotency keys, applies the reversal rules, assigns ``seq`` and
``committed_at`` and links the hash chain; a backend only reads and writes. Every primitive is
batch-shaped (all keys of a batch in one call, the whole batch appended in one call), so a backend
can answer a batch in a handful of round trips. A backend's write path computes no hash and no
time: it stores what `Store` assigned.

Threat model: the rules protect the books against honest mistakes, retries and concurrent writers
(the storage serialises write transactions); tampering with the stored data is made evident by the
hash chain, not prevented.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar, cast

from ledger.accounts import AccountInfo
from ledger.chain import GENESIS, LedgerDigest, PostedEntry, content_hash, link_entry, verify_chain
from ledger.clock import now_us
from ledger.definitions import POLICIES, BalanceDefinition, BankRoles, bind, convention_roles, load_roles
from ledger.entries import JournalEntry, MetadataValue, Posting, certainly_valid, entry_problems
from ledger.errors import BatchRejected, ChainBroken, EntryError, TrialBalanceNotZero

AsOf = datetime | int | str | None
_T = TypeVar("_T")

#: ``progress(phase, done, total)``: told how far long work is, now and then (every
#: `PROGRESS_STEP` items and at the end of each phase); it must not raise. ``total`` is 0 when unknown.
Progress = Callable[[str, int, int], None]
PROGRESS_STEP = 5000

__all__ = ["PROGRESS_STEP", "AsOf", "Head", "Progress", "ReversalTarget", "Store", "StoredKey", "with_progress"]


def with_progress(items: Iterable[_T], progress: Progress | None, phase: str, total: int) -> Iterator[_T]:
    """`items`, telling `progress` how many were consumed (every `PROGRESS_STEP` and at the end)."""
    if progress is None:
        yield from items
        return
    done = 0
    progress(phase, 0, total)
    for item in items:
        yield item
        done += 1
        if done % PROGRESS_STEP == 0:
            progress(phase, done, total)
    if done % PROGRESS_STEP:
        progress(phase, done, total)


@dataclass(frozen=True, slots=True)
class Head:
    """The last entry of the chain as a write transaction sees it (``Head(0, 0, GENESIS)`` when
    the ledger is empty)."""

    seq: int
    committed_at: int
    entry_hash: bytes


EMPTY_HEAD = Head(0, 0, GENESIS)


@dataclass(frozen=True, slots=True)
class StoredKey:
    """A stored entry that holds an idempotency key: its content hash and the backend's handle
    of it (given back to `Store._stored_entry` to answer a replay)."""

    content_hash: bytes
    ref: Any


@dataclass(frozen=True, slots=True)
class ReversalTarget:
    """A stored entry named by a batch entry's ``reverses``: whether it is itself a reversal, the
    id of the entry that already reversed it (None if none), its postings in order, and the
    backend's handle of it (given back to `Store._append`)."""

    is_reversal: bool
    reversed_by: str | None
    postings: tuple[Posting, ...]
    ref: Any


class Store(ABC):
    """A double-entry journal. See the module docstring for the contract."""

    # Writing: the posting rules, over the storage primitives below.

    def post_batch(self, entries: Sequence[JournalEntry], progress: Progress | None = None) -> tuple[PostedEntry, ...]:
        """Record `entries` atomically; return one `PostedEntry` per input entry, in order
        (the original one for an idempotent replay). Raises `BatchRejected`. `progress` hears
        the phases ``checking entries``, ``linking entries`` and ``writing entries`` (one write)."""
        return self._run_batch(entries, write=True, progress=progress)[0]

    def post_batch_written(
        self, entries: Sequence[JournalEntry], progress: Progress | None = None
    ) -> tuple[tuple[PostedEntry, ...], tuple[bool, ...]]:
        """`post_batch`, and for each input entry whether this call wrote it (False: an idempotent
        replay, answered with the original, stored earlier or earlier in the batch). Decided inside
        the write transaction, so two processes posting the same batch never both claim an entry."""
        return self._run_batch(entries, write=True, progress=progress)

    def check_batch(self, entries: Sequence[JournalEntry]) -> None:
        """Run every check of `post_batch` (the stored ledger's included) and write nothing:
        raises `BatchRejected` listing every problem, or returns None if the batch would post."""
        self._run_batch(entries, write=False)

    def _run_batch(
        self, entries: Sequence[JournalEntry], *, write: bool, progress: Progress | None = None
    ) -> tuple[tuple[PostedEntry, ...], tuple[bool, ...]]:
        """The store-independent checks (every entry, so that the rejection lists every problem),
        then the ledger-dependent checks and the write inside one write transaction."""
        batch = list(entries)
        if not batch:
            raise BatchRejected([EntryError(0, "batch", "empty batch")])
        errors: list[EntryError] = []
        bad: set[int] = set()
        known = self._known_accounts()
        for index, entry in enumerate(with_progress(batch, progress, "checking entries", len(batch))):
            if not certainly_valid(entry, known):
                problems = entry_problems(entry, index)
                if problems:
                    errors.extend(problems)
                    bad.add(index)
        hashes = [b"" if i in bad else content_hash(e) for i, e in enumerate(batch)]
        return self._transaction(lambda tx: self._post_in(tx, batch, hashes, errors, bad, write, progress))

    def _post_in(
        self, tx: Any, batch: list[JournalEntry], hashes: list[bytes], errors: list[EntryError], bad: set[int], write: bool,
        progress: Progress | None = None,
    ) -> tuple[tuple[PostedEntry, ...], tuple[bool, ...]]:
        head = self._head(tx)
        found = list(errors)
        replays = self._resolve_keys(tx, batch, hashes, bad, found)
        targets = self._check_reversals(tx, batch, bad, replays, found)
        if found:
            found.sort(key=lambda e: e.index)
            raise BatchRejected(found)
        if not write:
            return (), ()
        return self._link(tx, head, batch, hashes, replays, targets, progress), tuple(i not in replays for i in range(len(batch)))

    def _resolve_keys(
        self, tx: Any, batch: list[JournalEntry], hashes: list[bytes], bad: set[int], errors: list[EntryError]
    ) -> dict[int, Any]:
        """Replays in the batch: index -> `StoredKey` of the stored original with the same key and
        content, or the index of an earlier entry of the same batch with the same key and content.
        A key used with different content is an error."""
        keyed = [(i, e.idempotency_key) for i, e in enumerate(batch) if i not in bad and e.idempotency_key is not None]
        if not keyed:
            return {}
        stored = self._stored_keys(tx, sorted({k for _, k in keyed}))
        replays: dict[int, Any] = {}
        first_in_batch: dict[str, int] = {}
        for i, key in keyed:
            if key in stored:
                if stored[key].content_hash == hashes[i]:
                    replays[i] = stored[key]
                else:
                    errors.append(EntryError(i, "idempotency_key", f"key {key!r} was already used for an entry with different content"))
            elif key in first_in_batch:
                j = first_in_batch[key]
                if hashes[j] == hashes[i]:
                    replays[i] = j
                else:
                    errors.append(EntryError(i, "idempotency_key", f"key {key!r} is used by entry {j} of this batch with different content"))
            else:
                first_in_batch[key] = i
        return replays

    def _check_reversals(
        self, tx: Any, batch: list[JournalEntry], bad: set[int], replays: Mapping[int, Any], errors: list[EntryError]
    ) -> Mapping[str, ReversalTarget]:
        """The reversal rules for the batch's new entries: the target exists, is not a reversal,
        is reversed at most once (by the ledger and the batch together), and the reversal's
        postings mirror the target's exactly (as a multiset). Returns the targets by entry id."""
        wanted = [(i, e.reverses) for i, e in enumerate(batch) if i not in bad and i not in replays and e.reverses is not None]
        if not wanted:
            return {}
        targets = self._reversal_targets(tx, sorted({target for _, target in wanted}))
        claimed: dict[str, int] = {}
        for i, target in wanted:
            stored = targets.get(target)
            if stored is None:
                errors.append(EntryError(i, "reverses", f"no entry {target} in the ledger"))
            elif stored.is_reversal:
                errors.append(EntryError(i, "reverses", f"entry {target} is itself a reversal; reversing a reversal is not allowed"))
            elif stored.reversed_by is not None:
                errors.append(EntryError(i, "reverses", f"entry {target} was already reversed by {stored.reversed_by}"))
            elif target in claimed:
                errors.append(EntryError(i, "reverses", f"entry {target} is also reversed by entry {claimed[target]} of this batch"))
            else:
                claimed[target] = i
                mirrored = sorted((p.account, p.currency, p.side, p.amount) for p in (q.mirrored() for q in stored.postings))
                if sorted((p.account, p.currency, p.side, p.amount) for p in batch[i].postings) != mirrored:
                    errors.append(EntryError(i, "postings", f"a reversal must mirror the postings of {target} exactly"))
        return targets

    def _link(
        self,
        tx: Any,
        head: Head,
        batch: list[JournalEntry],
        hashes: list[bytes],
        replays: Mapping[int, Any],
        targets: Mapping[str, ReversalTarget],
        progress: Progress | None = None,
    ) -> tuple[PostedEntry, ...]:
        """Assign ``seq`` (gap-free), ``committed_at`` (``max(now, previous + 1)``: strictly
        increasing even if the wall clock steps back) and the chain link to every new entry,
        append them in one call, and answer replays with their originals."""
        seq, last_time, prev = head.seq, head.committed_at, head.entry_hash
        now = now_us()
        posted: list[PostedEntry] = []
        links: list[tuple[bytes, bytes]] = []
        results: list[PostedEntry | None] = []
        for i, entry in enumerate(with_progress(batch, progress, "linking entries", len(batch))):
            if i in replays:
                results.append(None)
                continue
            seq += 1
            last_time = now if now > last_time else last_time + 1
            item, link = link_entry(prev, entry, hashes[i], seq, last_time)
            posted.append(item)
            links.append((hashes[i], link))
            results.append(item)
            prev = link
        if posted:
            if progress is not None:
                progress("writing entries", 0, len(posted))
            self._append(tx, head, posted, links, {target: stored.ref for target, stored in targets.items()})
            if progress is not None:
                progress("writing entries", len(posted), len(posted))
        for i, ref in replays.items():
            results[i] = self._stored_entry(tx, ref.ref) if isinstance(ref, StoredKey) else results[ref]
        return tuple(cast(list[PostedEntry], results))

    # The storage protocol. Every method but `_transaction` and `_known_accounts` runs inside a
    # write transaction and gets its handle `tx`.

    @abstractmethod
    def _transaction(self, body: Callable[[Any], _T]) -> _T:
        """Run ``body(tx)`` in one write transaction that excludes every other writer: commit if
        it returns, roll back if it raises (and re-raise). A backend may run `body` again after a
        conflict it detects (another writer moved the head, a unique index fired); `body` re-reads
        everything. A store that refuses writes raises here."""

    @abstractmethod
    def _head(self, tx: Any) -> Head:
        """The last entry of the chain."""

    @abstractmethod
    def _stored_keys(self, tx: Any, keys: Sequence[str]) -> Mapping[str, StoredKey]:
        """The stored entries holding any of `keys` (sorted, distinct), by key, in one lookup."""

    @abstractmethod
    def _reversal_targets(self, tx: Any, entry_ids: Sequence[str]) -> Mapping[str, ReversalTarget]:
        """The stored entries with these ids (sorted, distinct), by id; an unknown id is absent."""

    @abstractmethod
    def _stored_entry(self, tx: Any, ref: Any) -> PostedEntry:
        """The stored entry behind a `StoredKey.ref`."""

    @abstractmethod
    def _append(
        self, tx: Any, head: Head, posted: Sequence[PostedEntry], links: Sequence[tuple[bytes, bytes]], reversed_refs: Mapping[str, Any]
    ) -> None:
        """Write `posted` (new entries, already numbered, timed and linked to `head`) after
        `head`, in one call. ``links[k]`` is ``(content hash, entry hash)`` of ``posted[k]`` as
        bytes; `reversed_refs` maps the id of every entry reversed by the batch to its
        `ReversalTarget.ref`. Accounts new to the ledger are opened here."""

    def _known_accounts(self) -> Mapping[str, object]:
        """Account paths already validated (committed accounts), for the cheap validity check
        that runs before the transaction. The default knows none."""
        return {}

    def post(self, entry: JournalEntry) -> PostedEntry:
        return self.post_batch([entry])[0]

    def reverse(
        self,
        entry_id: str,
        *,
        memo: str | None = None,
        reporting_at: int | None = None,
        idempotency_key: str | None = None,
        metadata: tuple[tuple[str, MetadataValue], ...] = (),
    ) -> PostedEntry:
        """Post the reversal of `entry_id`: the same postings with sides swapped, linked to it.

        Raises `UnknownEntry` if there is no such entry and `BatchRejected` if it is a reversal
        itself or was already reversed.
        """
        original = self.get_entry(entry_id)
        reversal = JournalEntry(
            postings=tuple(p.mirrored() for p in original.entry.postings),
            memo=memo if memo is not None else f"reversal of {entry_id}",
            metadata=metadata,
            reporting_at=reporting_at,
            idempotency_key=idempotency_key,
            reverses=entry_id,
        )
        return self.post(reversal)

    # Reading.

    @abstractmethod
    def get_entry(self, entry_id: str) -> PostedEntry:
        """The entry with this id; raises `UnknownEntry`."""

    @abstractmethod
    def entries(self, after_seq: int = 0) -> Iterator[PostedEntry]:
        """Every entry with ``seq > after_seq``, in commit order, streamed."""

    @abstractmethod
    def accounts(self) -> Iterator[AccountInfo]:
        """Every account ever posted to, sorted by path."""

    @abstractmethod
    def digest(self) -> LedgerDigest:
        """Entry count and head hash of the chain."""

    @abstractmethod
    def digest_as_of(self, as_of: AsOf) -> LedgerDigest:
        """Entry count and head hash of the chain's prefix committed at or before `as_of`
        (``committed_at`` strictly increases along the chain, so that prefix is exactly the
        state the committed axis sees at `as_of`); the whole chain when `as_of` is None."""

    @abstractmethod
    def trial_balance(self, as_of: AsOf = None) -> Mapping[str, int]:
        """Per currency, credits minus debits over all accounts on the committed axis (0 when
        the books balance). Every currency of the currency table appears."""

    @abstractmethod
    def balance(self, definition: BalanceDefinition, account: str, as_of: AsOf = None) -> Mapping[str, int]:
        """Per currency, the normal-side balance of `account` restricted to `definition`, as of
        `as_of` on the definition's axis (an account outside the definition has no currencies)."""

    @abstractmethod
    def totals(self, definition: BalanceDefinition, as_of: AsOf = None) -> Mapping[str, int]:
        """Per currency, the sum of the normal-side balances of every account in `definition`."""

    @abstractmethod
    def user_balances(self, definition: BalanceDefinition, as_of: AsOf = None) -> Iterator[tuple[str, str, int]]:
        """``(user_id, currency, amount)`` for every non-zero (account, currency) of `definition`,
        sorted by user id then currency, streamed."""

    # Bank roles, read policies and the per-journal check.

    #: How fractional amounts are read (`ledger.definitions.POLICIES`); only a medici database
    #: can hold them. `set_fractional` changes it; `bind_definitions` records it.
    fractional = "refuse"
    journal_check = "enforced"
    roles_file: str | None = None

    def set_read_options(self, *, fractional: str | None = None, journal_check: str | None = None, roles: str | None = None) -> None:
        """The read policies (`ledger.definitions.POLICIES`) and the bank-roles override file."""
        for name, value in (("fractional", fractional), ("journal_check", journal_check)):
            if value is not None:
                if value not in POLICIES[name]:
                    raise ValueError(f"unknown {name} policy {value!r} (known: {', '.join(POLICIES[name])})")
                setattr(self, name, value)
        if roles is not None:
            self.roles_file = roles

    def fractional_adjustments(self) -> list[tuple[str, str, str, int]]:
        """``(account, currency, exact balance, floored)`` rounded by the ``floor`` policy so far
        (a store of whole amounts has none)."""
        return []

    def floored_balances(self, definition: BalanceDefinition, as_of: AsOf = None) -> list[tuple[str, str, Decimal, int]]:
        """``(account, currency, exact normal-side balance, floored)`` of every balance of
        `definition` at `as_of` that the ``floor`` policy rounds (a store of whole amounts has none)."""
        return []

    def fractional_legs(self) -> list[tuple[str, str, str, str, str]]:
        """``(leg, entry, account, currency, exact credit - debit)`` of every stored leg whose
        amount is not a whole number of minor units (a store of whole amounts has none)."""
        return []

    def bank_roles(self, override: str | None = None) -> BankRoles:
        """Which accounts are the bank's own wallets: the override file when given, else what the
        backend finds (the default: the toolkit's readable paths, `convention_roles`)."""
        if override is not None:
            return load_roles(override)
        return convention_roles(a.path for a in self.accounts())

    def bind_definitions(self, definitions: Mapping[str, BalanceDefinition]) -> Mapping[str, BalanceDefinition]:
        """`definitions` bound to this ledger's bank roles (resolved only if one selects by role,
        from `roles_file` when set) and to the read policies in force; the bound hashes cover both."""
        roles = self.bank_roles(self.roles_file) if any(d.uses_roles for d in definitions.values()) else None
        return bind(definitions, roles, {"fractional": self.fractional, "journal_check": self.journal_check})

    def ready(self, definition: BalanceDefinition) -> BalanceDefinition:
        """`definition` bound to this ledger's bank roles if it selects by role and is unbound
        (so that reading balances needs no ceremony); hashing still needs `bind_definitions`."""
        if not definition.uses_roles or definition.roles is not None:
            return definition
        cache: dict[BalanceDefinition, BalanceDefinition] = self.__dict__.setdefault("_ready_cache", {})
        if definition not in cache:
            cache[definition] = self.bind_definitions({definition.name: definition})[definition.name]
        return cache[definition]

    def unbalanced_journals(self, as_of: AsOf = None, progress: Progress | None = None) -> list[tuple[str, str, str]]:
        """``(entry, currency, credit - debit)`` for every entry committed at or before `as_of`
        whose legs do not balance in a currency. Stores that validate on posting have none; a
        backend reading another program's data overrides this with an exact check. `progress`
        hears the phase ``checking journals``."""
        from ledger.clock import as_time_us

        cut = as_time_us(as_of)
        out: list[tuple[str, str, str]] = []
        total = self.digest().entry_count if progress is not None else 0
        for posted in with_progress(self.entries(), progress, "checking journals", total):
            if cut is not None and posted.committed_at > cut:
                break
            sums: dict[str, int] = {}
            for p in posted.entry.postings:
                sums[p.currency] = sums.get(p.currency, 0) + p.signed
            out.extend((posted.entry_id, code, str(total)) for code, total in sorted(sums.items()) if total)
        return out

    # Checks and lifecycle.

    def verify(self, progress: Progress | None = None) -> LedgerDigest:
        """Recompute the hash chain and check every currency's trial balance is zero.

        Returns the head digest; raises `ChainBroken` or `TrialBalanceNotZero`. `progress` hears
        the phase ``verifying the hash chain``.
        """
        total = self.digest().entry_count if progress is not None else 0
        digest = verify_chain(with_progress(self.entries(), progress, "verifying the hash chain", total))
        stored = self.digest()
        if stored != digest:
            raise ChainBroken(digest.entry_count, f"stored head {stored} differs from recomputed {digest}")
        unbalanced = {code: total for code, total in self.trial_balance().items() if total != 0}
        if unbalanced:
            raise TrialBalanceNotZero(f"trial balance is not zero: {unbalanced}")
        return digest

    def close(self) -> None:  # noqa: B027 (a deliberate no-op default, not an abstract method)
        """Release resources. The default does nothing."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
