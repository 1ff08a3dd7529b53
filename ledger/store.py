"""The store interface every ledger backend implements (SQLite embedded, MongoDB in medici's layout).

Contract (checked by tests/ledger/store_contract.py for every backend):

* `post_batch` is all-or-nothing: either every entry of the batch is recorded, in batch order, in
  one transaction, or none is and `BatchRejected` carries *every* problem found (index, field,
  reason). Store-independent checks are in `ledger.entries`; the store adds idempotency conflicts
  and the reversal rules, evaluated inside its write transaction.
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
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

from ledger.accounts import AccountInfo
from ledger.chain import ChainBroken, LedgerDigest, PostedEntry, verify_chain
from ledger.definitions import BalanceDefinition
from ledger.entries import BatchRejected, EntryError, JournalEntry, LedgerError, UnknownEntry

AsOf = datetime | int | str | None

__all__ = [
    "AsOf",
    "BatchRejected",
    "ChainBroken",
    "EntryError",
    "JournalEntry",
    "LedgerDigest",
    "LedgerError",
    "PostedEntry",
    "Store",
    "TrialBalanceNotZero",
    "UnknownEntry",
    "open_store",
]


class TrialBalanceNotZero(LedgerError):
    """The sum of all postings in some currency is not zero: the books do not balance."""


class Store(ABC):
    """A double-entry journal. See the module docstring for the contract."""

    # Writing.

    @abstractmethod
    def post_batch(self, entries: Sequence[JournalEntry]) -> tuple[PostedEntry, ...]:
        """Record `entries` atomically; return one `PostedEntry` per input entry, in order
        (the original one for an idempotent replay). Raises `BatchRejected`."""

    @abstractmethod
    def check_batch(self, entries: Sequence[JournalEntry]) -> None:
        """Run every check of `post_batch` (the stored ledger's included) and write nothing:
        raises `BatchRejected` listing every problem, or returns None if the batch would post."""

    def post(self, entry: JournalEntry) -> PostedEntry:
        return self.post_batch([entry])[0]

    def reverse(
        self,
        entry_id: str,
        *,
        memo: str | None = None,
        reporting_at: int | None = None,
        idempotency_key: str | None = None,
        metadata: tuple = (),
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

    # Checks and lifecycle.

    def verify(self) -> LedgerDigest:
        """Recompute the hash chain and check every currency's trial balance is zero.

        Returns the head digest; raises `ChainBroken` or `TrialBalanceNotZero`.
        """
        digest = verify_chain(self.entries())
        stored = self.digest()
        if stored != digest:
            raise ChainBroken(digest.entry_count, f"stored head {stored} differs from recomputed {digest}")
        unbalanced = {code: total for code, total in self.trial_balance().items() if total != 0}
        if unbalanced:
            raise TrialBalanceNotZero(f"trial balance is not zero: {unbalanced}")
        return digest

    def close(self) -> None:
        """Release resources. The default does nothing."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(uri_or_path: str, *, create: bool = True) -> Store:
    """Open a ledger: a plain path or ``sqlite:///path`` opens SQLite (created if missing and
    `create`); ``mongodb://`` / ``mongodb+srv://`` imports `ledger.mongo` lazily and calls its
    ``open_store(uri, create=create)`` (without `create`, an empty database is not initialised)."""
    if uri_or_path.startswith(("mongodb://", "mongodb+srv://")):
        mongo = importlib.import_module("ledger.mongo")
        return mongo.open_store(uri_or_path, create=create)
    path = uri_or_path.removeprefix("sqlite:///") if uri_or_path.startswith("sqlite:///") else uri_or_path
    if "://" in path:
        raise ValueError(f"unsupported ledger URI {uri_or_path!r} (use a path, sqlite:///path or mongodb://...)")
    from ledger.sqlite.store import SQLiteStore

    return SQLiteStore(path, create=create)
