"""Galoy's bank roles, read from its own collections (docs/MONGO.md, "Bank roles").

Galoy keeps every wallet, the bank's own included, as ``Liabilities:<walletId>``. Which wallets
belong to the bank is decided by the role of the account that owns them: Galoy's ``accounts``
collection (mongoose model ``Account``) has ``role`` in ``user``, ``dealer``, ``bankowner``,
``funder``, an ``id`` (UUID) and a ``defaultWalletId``; its ``wallets`` collection (model
``Wallet``) has ``id`` (the wallet UUID), ``accountId`` (the owning account's ``id``; older
releases stored ``_accountId``, the account's ``_id``) and ``currency``. Galoy's own resolvers
(GaloyMoney/blink ``core/api/src/services/mongodb/index.ts``, cached by
``core/api/src/services/ledger/caching.ts``) take the single account of each role: the bank
owner's and the funder's ``defaultWalletId``, the dealer's BTC and USD wallets.

Here every wallet of a role account is the bank's (its default wallet and any other): a wallet
that belongs to the bank is never a customer's. Two accounts with the same bank role are refused,
since Galoy's ``findOne`` would pick one of them arbitrarily; the override file settles such a
layout. The database is only read.
"""

from __future__ import annotations

from typing import Any

from ledger.definitions import ROLES, BankRoles
from ledger.errors import MediciDocumentError

ACCOUNTS = "accounts"
WALLETS = "wallets"


def has_galoy_roles(database: Any) -> bool:
    """True when the database holds Galoy's ``accounts`` collection with a bank-role account."""
    return database[ACCOUNTS].find_one({"role": {"$in": list(ROLES)}}, {"_id": 1}) is not None


def galoy_roles(database: Any) -> BankRoles:
    """Every wallet of Galoy's bankowner, dealer and funder accounts, by role."""
    found: dict[str, str] = {}
    for role in ROLES:
        accounts = list(database[ACCOUNTS].find({"role": role}))
        if len(accounts) > 1:
            ids = ", ".join(str(a.get("_id")) for a in accounts)
            raise MediciDocumentError(ACCOUNTS, accounts[1].get("_id"), "role",
                                      f"{len(accounts)} accounts have role {role!r} ({ids}); Galoy uses one: "
                                      "name the bank's wallets in a roles override file (--roles)")
        for account in accounts:
            for wallet_id in _wallet_ids(database, account):
                path = f"Liabilities:{wallet_id}"
                if found.get(path, role) != role:
                    raise MediciDocumentError(WALLETS, wallet_id, "accountId", f"wallet belongs to both {found[path]} and {role}")
                found[path] = role
    return BankRoles.of(found, f"Galoy's {ACCOUNTS}/{WALLETS} collections of database {database.name!r}")


def _wallet_ids(database: Any, account: dict[str, Any]) -> list[str]:
    owners: list[dict[str, Any]] = []
    if isinstance(account.get("id"), str):
        owners.append({"accountId": account["id"]})
    owners.append({"_accountId": account["_id"]})
    ids = {w["id"] for w in database[WALLETS].find({"$or": owners}, {"id": 1}) if isinstance(w.get("id"), str) and w["id"]}
    default = account.get("defaultWalletId")
    if isinstance(default, str) and default:
        ids.add(default)
    return sorted(ids)
