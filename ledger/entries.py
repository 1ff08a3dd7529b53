"""Journal entries (entry sets) and their validation.

An entry is a set of postings; each posting is ``(account path, currency, side, amount)`` with
``side`` ``"debit"`` or ``"credit"`` and ``amount`` a positive ``int`` of minor units. Invariants
checked by `entry_problems` before anything is written:

* at least two postings; every account path valid (`ledger.accounts`), every currency known
  (`ledger.money.CURRENCIES`), every amount an in-range positive int (no float, bool, Decimal);
* for every currency, sum(debits) == sum(credits);
* memo is text (<= 1024 chars); metadata is a tuple of ``(key, value)`` pairs with unique string
  keys and scalar values (str, int in the I-JSON range, bool, None; never float);
* ``reporting_at`` is None or microseconds since the epoch; the idempotency key, if any, is 1-128
  printable ASCII characters; ``reverses``, if any, is an entry id.

The value types are frozen and do *not* validate on construction: validation returns
`EntryError` values (`ledger.errors`), so a batch reports every problem at once (beancount's
style) and a `BatchRejected` carries all of them. Checks that need the stored ledger (idempotency conflicts,
reversal rules) are done by the store inside its write transaction and reported the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ledger.accounts import path_problem
from ledger.clock import MAX_TIME_US, time_problem
from ledger.errors import EntryError
from ledger.money import CURRENCIES, MAX_SAFE_INT, amount_problem

DEBIT = "debit"
CREDIT = "credit"
SIDES = (DEBIT, CREDIT)
MAX_MEMO = 1024
MAX_METADATA = 64
MAX_POSTINGS = 10_000
_KEY = re.compile(r"[\x21-\x7e]{1,128}")
_ENTRY_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")

MetadataValue = str | int | bool | None


@dataclass(frozen=True, slots=True)
class Posting:
    account: str
    currency: str
    side: str
    amount: int

    @property
    def signed(self) -> int:
        """Credits positive, debits negative: the store's sign convention."""
        return self.amount if self.side == CREDIT else -self.amount

    def mirrored(self) -> Posting:
        return Posting(self.account, self.currency, CREDIT if self.side == DEBIT else DEBIT, self.amount)


def debit(account: str, currency: str, amount: int) -> Posting:
    return Posting(account, currency, DEBIT, amount)


def credit(account: str, currency: str, amount: int) -> Posting:
    return Posting(account, currency, CREDIT, amount)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """What a caller asks the ledger to record. The store assigns id, sequence and commit time."""

    postings: tuple[Posting, ...]
    memo: str = ""
    metadata: tuple[tuple[str, MetadataValue], ...] = ()
    reporting_at: int | None = None
    idempotency_key: str | None = None
    reverses: str | None = None


def transfer(
    debit_account: str,
    credit_account: str,
    currency: str,
    amount: int,
    memo: str = "",
    *,
    metadata: tuple[tuple[str, MetadataValue], ...] = (),
    reporting_at: int | None = None,
    idempotency_key: str | None = None,
) -> JournalEntry:
    """The common two-posting entry: debit one account, credit another, same amount."""
    return JournalEntry(
        (Posting(debit_account, currency, DEBIT, amount), Posting(credit_account, currency, CREDIT, amount)),
        memo,
        metadata,
        reporting_at,
        idempotency_key,
    )


def entry_id_problem(value: object) -> str | None:
    if not isinstance(value, str) or not _ENTRY_ID.fullmatch(value):
        return f"not an entry id (lower-case UUIDv7 text): {value!r}"
    return None


def _metadata_problems(index: int, metadata: object) -> list[EntryError]:
    if not isinstance(metadata, tuple):
        return [EntryError(index, "metadata", f"must be a tuple of (key, value) pairs, not {type(metadata).__name__}")]
    if len(metadata) > MAX_METADATA:
        return [EntryError(index, "metadata", f"more than {MAX_METADATA} keys")]
    out: list[EntryError] = []
    seen: set[str] = set()
    for pair in metadata:
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str) and pair[0]):
            out.append(EntryError(index, "metadata", f"not a (non-empty string key, value) pair: {pair!r}"))
            continue
        key, value = pair
        field = f"metadata.{key}"
        if key in seen:
            out.append(EntryError(index, field, "duplicate key"))
        seen.add(key)
        if isinstance(value, float):
            out.append(EntryError(index, field, f"floats are not allowed (got {value!r})"))
        elif isinstance(value, int) and not isinstance(value, bool) and not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            out.append(EntryError(index, field, "integer outside the I-JSON safe range; use a string"))
        elif not (value is None or isinstance(value, (str, int, bool))):
            out.append(EntryError(index, field, f"value must be str, int, bool or null, not {type(value).__name__}"))
    return out


def entry_problems(entry: object, index: int) -> list[EntryError]:
    """Every problem of one entry that can be found without the stored ledger."""
    if not isinstance(entry, JournalEntry):
        return [EntryError(index, "entry", f"must be a JournalEntry, not {type(entry).__name__}")]
    out: list[EntryError] = []
    postings = entry.postings
    if not isinstance(postings, tuple):
        return [EntryError(index, "postings", f"must be a tuple of Posting, not {type(postings).__name__}")]
    if len(postings) < 2:
        out.append(EntryError(index, "postings", f"an entry needs at least 2 postings (got {len(postings)})"))
    if len(postings) > MAX_POSTINGS:
        out.append(EntryError(index, "postings", f"more than {MAX_POSTINGS} postings"))
    totals: dict[str, int] = {}
    balanced_check = True
    for k, posting in enumerate(postings):
        where = f"postings[{k}]"
        if not isinstance(posting, Posting):
            out.append(EntryError(index, where, f"must be a Posting, not {type(posting).__name__}"))
            balanced_check = False
            continue
        problem = path_problem(posting.account)
        if problem:
            out.append(EntryError(index, f"{where}.account", problem))
        currency = CURRENCIES.get(posting.currency) if isinstance(posting.currency, str) else None
        if currency is None:
            out.append(EntryError(index, f"{where}.currency", f"unknown currency {posting.currency!r} (known: {', '.join(CURRENCIES)})"))
            balanced_check = False
        if posting.side not in SIDES:
            out.append(EntryError(index, f"{where}.side", f"must be 'debit' or 'credit' (got {posting.side!r})"))
            balanced_check = False
        problem = amount_problem(posting.amount, currency)
        if problem:
            out.append(EntryError(index, f"{where}.amount", problem))
            balanced_check = False
        if balanced_check:
            totals[posting.currency] = totals.get(posting.currency, 0) + posting.signed
    if balanced_check:
        for code, total in sorted(totals.items()):
            if total != 0:
                out.append(
                    EntryError(index, "postings", f"unbalanced in {code}: credits - debits = {total} (must be 0)")
                )
    if not isinstance(entry.memo, str):
        out.append(EntryError(index, "memo", f"must be a string, not {type(entry.memo).__name__}"))
    elif len(entry.memo) > MAX_MEMO:
        out.append(EntryError(index, "memo", f"longer than {MAX_MEMO} characters"))
    out.extend(_metadata_problems(index, entry.metadata))
    if entry.reporting_at is not None:
        problem = time_problem(entry.reporting_at)
        if problem:
            out.append(EntryError(index, "reporting_at", problem))
    key = entry.idempotency_key
    if key is not None and not (isinstance(key, str) and _KEY.fullmatch(key)):
        out.append(EntryError(index, "idempotency_key", f"must be 1-128 printable ASCII characters (got {key!r})"))
    if entry.reverses is not None:
        problem = entry_id_problem(entry.reverses)
        if problem:
            out.append(EntryError(index, "reverses", problem))
    return out


def certainly_valid(entry: object, known_accounts: Mapping[str, object]) -> bool:
    """True only when `entry_problems(entry)` is certainly empty: a cheap check of the common
    case (plain ints, no metadata, no reversal) that posting runs first; anything unusual returns
    False and gets the full `entry_problems` treatment. `known_accounts` holds paths already
    validated (the store's committed accounts)."""
    try:
        if type(entry) is not JournalEntry:
            return False
        postings = entry.postings
        if type(postings) is not tuple or not 2 <= len(postings) <= MAX_POSTINGS:
            return False
        totals: dict[str, int] = {}
        for p in postings:
            if type(p) is not Posting:
                return False
            amount = p.amount
            if type(amount) is not int or amount <= 0:
                return False
            code = p.currency
            currency = CURRENCIES.get(code)
            if currency is None or amount > currency.max_amount:
                return False
            if p.account not in known_accounts and path_problem(p.account) is not None:
                return False
            side = p.side
            if side == CREDIT:
                totals[code] = totals.get(code, 0) + amount
            elif side == DEBIT:
                totals[code] = totals.get(code, 0) - amount
            else:
                return False
        if any(totals.values()):
            return False
        reporting, key = entry.reporting_at, entry.idempotency_key
        return (
            type(entry.memo) is str
            and len(entry.memo) <= MAX_MEMO
            and entry.metadata == ()
            and entry.reverses is None
            and (reporting is None or (type(reporting) is int and 0 <= reporting < MAX_TIME_US))
            and (key is None or (type(key) is str and _KEY.fullmatch(key) is not None))
        )
    except TypeError:
        # An unhashable currency or account: let the full rules say what is wrong.
        return False


def batch_problems(entries: Sequence[object]) -> list[EntryError]:
    """Every store-independent problem of a batch, in batch order."""
    out: list[EntryError] = []
    if len(entries) == 0:
        return [EntryError(0, "batch", "empty batch")]
    for index, entry in enumerate(entries):
        out.extend(entry_problems(entry, index))
    return out
