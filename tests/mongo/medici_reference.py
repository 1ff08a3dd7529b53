"""An independent re-implementation of medici's ``Book.balance()`` over raw documents.

It shares no code with ``ledger.mongo``: it works on the decoded Extended JSON documents exactly
as they sit in ``medici_transactions`` and follows medici's rules (flash-oss/medici,
``src/Book.ts`` ``balance()``, ``src/helper/parse/parseFilterQuery.ts``,
``parseAccountField.ts``, ``parseDateField.ts``):

* the filter is ``{book: <name>}`` plus the account filter: an account string with exactly
  ``maxAccountPath`` (3) segments matches ``accounts`` exactly, a shorter one matches the prefix
  segment by segment (``account_path.0``, ``account_path.1``, ...); a list of accounts is an
  ``$or`` of those;
* ``start_date`` / ``end_date`` filter ``datetime`` with ``$gte`` / ``$lte`` (inclusive);
* any other key filters the leg by equality: top-level if it is a schema key, else ``meta.<key>``;
* **no** filter on ``voided``: a voided journal's original legs (``voided: true``) and its
  reversal legs are both summed, so they cancel; nor on ``pending`` (Galoy's pending sends are
  already debited);
* the result is ``sum(credit) - sum(debit)`` in JavaScript numbers (IEEE doubles), rounded with
  ``toFixed(precision)`` (precision 8).

Galoy's wallet balance is ``MainBook.balance({account: "Liabilities:<walletId>"})``
(blink ``core/api/src/services/ledger/index.ts``, ``getWalletBalanceAmount``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

MAX_ACCOUNT_PATH = 3
PRECISION = 8
GALOY_SCHEMA_KEYS = {
    "credit", "debit", "meta", "datetime", "account_path", "accounts", "book", "memo", "_journal",
    "timestamp", "voided", "void_reason", "_original_journal", "_id", "hash", "external_id", "vout",
    "txid", "type", "pending", "bundle_completion_state", "currency", "feeKnownInAdvance",
    "related_journal", "payee_addresses", "request_id", "payout_id", "memoPayer", "sats",
    "satsAmount", "centsAmount", "satsFee", "centsFee", "displayAmount", "displayFee",
    "displayCurrency", "username", "pubkey", "fee", "feeUsd", "usd",
}


def _account_matches(leg: Mapping, account: str | list[str]) -> bool:
    if isinstance(account, list):
        if len(account) == 1:
            return _account_matches(leg, account[0])
        return any(_account_matches(leg, a) for a in account)
    parts = account.split(":")
    if len(parts) == MAX_ACCOUNT_PATH:
        return leg.get("accounts") == account
    path = leg.get("account_path") or []
    return all(i < len(path) and path[i] == part for i, part in enumerate(parts))


def _matches(leg: Mapping, book: str, account, start_date, end_date, extra: Mapping) -> bool:
    if leg.get("book") != book:
        return False
    if account is not None and not _account_matches(leg, account):
        return False
    when: datetime | None = leg.get("datetime")
    if start_date is not None and (when is None or when < start_date):
        return False
    if end_date is not None and (when is None or when > end_date):
        return False
    for key, value in extra.items():
        holder = leg if key in GALOY_SCHEMA_KEYS else (leg.get("meta") or {})
        if holder.get(key) != value:
            return False
    return True


def medici_balance(
    transactions: Iterable[Mapping],
    *,
    book: str = "MainBook",
    account: str | list[str] | None = None,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    **extra,
) -> tuple[float, int]:
    """``(balance, notes)`` as medici's ``book.balance(query)`` returns them."""
    credit = 0.0
    debit = 0.0
    notes = 0
    for leg in transactions:
        if _matches(leg, book, account, start_date, end_date, extra):
            credit += float(leg.get("credit") or 0)
            debit += float(leg.get("debit") or 0)
            notes += 1
    return float(f"{credit - debit:.{PRECISION}f}"), notes


def galoy_wallet_balance(transactions: Iterable[Mapping], wallet_id: str, **query) -> float:
    """Galoy's ``getWalletBalanceAmount``: the medici balance of ``Liabilities:<walletId>``."""
    balance, _ = medici_balance(transactions, account=f"Liabilities:{wallet_id}", **query)
    return balance
