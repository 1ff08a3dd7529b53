"""Accounts: one model for medici/Galoy paths and Monzo-style structured addresses.

The single model is the *path*: ``Type:segment[:segment...]`` (``Assets:Reserve:Lightning``,
``Liabilities:<walletId>``). The first segment is the account type, which fixes the normal side:

=============  ===========  ==========================================
type           normal side  balance reported as
=============  ===========  ==========================================
Assets         debit        debits - credits
Expenses       debit        debits - credits
Liabilities    credit       credits - debits
Equity         credit       credits - debits
Revenue        credit       credits - debits
=============  ===========  ==========================================

A Monzo-style address ``(namespace, name, legal_entity, currency, account_id)`` maps onto it
exactly (see `Address`): ``namespace`` is the path without its last segment (it starts with the
type), ``name`` is the last segment, ``account_id`` is the full path (the stable identifier of the
account), ``currency`` is the posting's currency (an account may hold several, as in medici), and
``legal_entity`` is an attribute of the account recorded when it is first used (default
``"bank"``). Balances are therefore keyed by ``(account path, currency)``.

Invariants: a path has at least two segments; segments are non-empty and use only
``[A-Za-z0-9_.@+-]`` (UUID wallet ids qualify); the whole path is at most 256 characters. Paths
are case-sensitive and never normalised, so two spellings can never alias one account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

MAX_PATH_LENGTH = 256
DEFAULT_LEGAL_ENTITY = "bank"
_SEGMENT = re.compile(r"[A-Za-z0-9_.@+\-]+")
_ENTITY = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


class AccountType(StrEnum):
    ASSETS = "Assets"
    LIABILITIES = "Liabilities"
    EQUITY = "Equity"
    REVENUE = "Revenue"
    EXPENSES = "Expenses"

    @property
    def normal_sign(self) -> int:
        """+1 for credit-normal types, -1 for debit-normal ones (the store keeps credits positive)."""
        return -1 if self in (AccountType.ASSETS, AccountType.EXPENSES) else 1

    @property
    def normal_side(self) -> str:
        return "debit" if self.normal_sign < 0 else "credit"


ACCOUNT_TYPES: dict[str, AccountType] = {t.value: t for t in AccountType}


def path_problem(path: object) -> str | None:
    """Why `path` is not a valid account path (None when it is valid)."""
    if not isinstance(path, str):
        return f"account must be a string path, not {type(path).__name__}"
    if len(path) > MAX_PATH_LENGTH:
        return f"account path is longer than {MAX_PATH_LENGTH} characters"
    segments = path.split(":")
    if segments[0] not in ACCOUNT_TYPES:
        return f"account {path!r} must start with one of {', '.join(ACCOUNT_TYPES)}"
    if len(segments) < 2:
        return f"account {path!r} needs at least one segment after the type"
    for segment in segments[1:]:
        if not _SEGMENT.fullmatch(segment):
            return f"account {path!r} has an empty or invalid segment {segment!r} (allowed: A-Z a-z 0-9 _ . @ + -)"
    return None


def legal_entity_problem(entity: object) -> str | None:
    if not isinstance(entity, str) or not _ENTITY.fullmatch(entity):
        return f"legal entity must match [A-Za-z0-9_.-]{{1,64}} (got {entity!r})"
    return None


def account_type(path: str) -> AccountType:
    """The type of a *valid* path."""
    return ACCOUNT_TYPES[path.split(":", 1)[0]]


def namespace_of(path: str) -> str:
    """``Assets:Reserve:Lightning`` -> ``Assets:Reserve``; ``Liabilities:w1`` -> ``Liabilities``."""
    return path.rpartition(":")[0]


def user_id_of(path: str) -> str:
    """The user (wallet) id of a liabilities account: the path after ``Liabilities:``.

    For any other account type the full path is returned, so the mapping stays injective.
    """
    prefix = "Liabilities:"
    return path[len(prefix):] if path.startswith(prefix) else path


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """An account as the store knows it: its path plus the attributes recorded at first use."""

    path: str
    legal_entity: str = DEFAULT_LEGAL_ENTITY

    @property
    def type(self) -> AccountType:
        return account_type(self.path)

    @property
    def namespace(self) -> str:
        return namespace_of(self.path)

    @property
    def name(self) -> str:
        return self.path.rpartition(":")[2]


@dataclass(frozen=True, slots=True)
class Address:
    """A Monzo-style structured address of one account in one currency.

    ``Address.from_path("Liabilities:w1", "BTC")`` and
    ``Address(namespace="Liabilities", name="w1", legal_entity="bank", currency="BTC")`` are the
    same address; `path` gives back the one model. ``account_id`` is the path itself.
    """

    namespace: str
    name: str
    legal_entity: str
    currency: str

    @property
    def path(self) -> str:
        return f"{self.namespace}:{self.name}"

    @property
    def account_id(self) -> str:
        return self.path

    @property
    def type(self) -> AccountType:
        return account_type(self.path)

    def problem(self) -> str | None:
        return path_problem(self.path) or legal_entity_problem(self.legal_entity)

    @classmethod
    def from_path(cls, path: str, currency: str, legal_entity: str = DEFAULT_LEGAL_ENTITY) -> Address:
        problem = path_problem(path)
        if problem:
            raise ValueError(problem)
        namespace, _, name = path.rpartition(":")
        return cls(namespace=namespace, name=name, legal_entity=legal_entity, currency=currency)
