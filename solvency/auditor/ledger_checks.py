"""The checks that tie a published epoch to the bank's ledger: the committed balance definition
is the ledger's (content hash), the ledger's hash chain is intact and its digest at the cut-off
is the committed one, the ledger's liabilities at the cut-off add up to the committed root sums,
and the non-zero leaves are exactly the ledger's per-user balance vectors (compared as
multisets, so no user id is needed). When the commitment states that balances are split over
several leaves (SPEC 4 ``privacy``), each user's parts are first added up through the tree's
private user index (which leaf positions belong together, no ids compared), and every non-zero
leaf must belong to some user. Without a ledger they are skipped, never passed.
"""

from __future__ import annotations

import json
from collections import Counter

from solvency.auditor.context import Audit, AuditMismatch, Skip, sums_text
from solvency.tree.ledger_cut import digest_as_of
from solvency.tree.store import TreeStore


def check_definition(audit: Audit) -> str:
    audit.store  # noqa: B018 - no ledger: skipped, not failed
    d = audit.definition
    return f"the committed definition {d.name!r} ({d.time_axis} axis) has content hash {d.content_hash[:16]}... in the ledger's definitions"


def check_ledger_digest(audit: Audit) -> str:
    store = audit.store
    head = store.verify()
    com = audit.public.commitment
    committed = com.ledger_digest
    if committed is None:
        raise AuditMismatch("the commitment names no ledger digest: it cannot be tied to the ledger", reason="NO_LEDGER_DIGEST")
    at_cut = digest_as_of(store, com.as_of)
    if (at_cut.entry_count, at_cut.head_hash) != (committed.entry_count, committed.head_hash.hex()):
        raise AuditMismatch(f"the ledger at {com.as_of} has {at_cut.entry_count} entries with head {at_cut.head_hash[:16]}...; "
                            f"the commitment says {committed.entry_count} with head {committed.head_hash.hex()[:16]}...",
                            reason="LEDGER_DIGEST_MISMATCH")
    return (f"hash chain intact ({head.entry_count} entries now); at the cut-off {com.as_of}: {at_cut.entry_count} entries, "
            f"head {at_cut.head_hash[:16]}..., as committed")


def check_liabilities(audit: Audit) -> str:
    com = audit.public.commitment
    assets = com.assets
    totals: dict[str, int] = {}
    negative = 0
    for _, currency, amount in audit.ledger_balances:
        if amount < 0:
            negative += 1
        totals[currency] = totals.get(currency, 0) + amount
    if negative:
        raise AuditMismatch(f"the ledger has {negative} negative balance(s) under {audit.definition.name!r}, "
                            "which a sum tree cannot hold", reason="NEGATIVE_BALANCE")
    stray = sorted(c for c, v in totals.items() if c not in assets and v)
    if stray:
        raise AuditMismatch(f"the ledger holds liabilities in {', '.join(stray)}, which the commitment does not cover",
                            reason="LIABILITIES_MISMATCH")
    ledger = [totals.get(a, 0) for a in assets]
    committed = list(com.root_sums)
    independent = dict(audit.store.totals(audit.definition, com.as_of))
    if ledger != committed or [independent.get(a, 0) for a in assets] != committed:
        raise AuditMismatch(f"the ledger's liabilities at the cut-off are {sums_text(assets, ledger)} (store totals "
                            f"{sums_text(assets, [independent.get(a, 0) for a in assets])}); the commitment says "
                            f"{sums_text(assets, committed)}", reason="LIABILITIES_MISMATCH")
    return f"{len(audit.ledger_balances)} balances under {audit.definition.name!r} at {com.as_of} add up to the root sums {sums_text(assets, committed)}"


def _tree_split(audit: Audit) -> int | None:
    if audit.paths.tree is None:
        return None
    try:
        return int(json.loads((audit.paths.tree / "private" / "tree.json").read_text())["split"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _split_user_sums(audit: Audit, split: int) -> list[tuple[int, ...]]:
    """Each user's leaf values added up over their `split` parts (the tree's private user index)."""
    if audit.paths.tree is None:
        raise Skip(f"balances are split over {split} leaves each and the private tree (which parts belong together) "
                   "was not handed over")
    values = audit.layer.values
    with TreeStore(audit.paths.tree) as store:
        rows = list(store.user_positions())
    owned = {p for row in rows for p in row}
    if len(owned) != split * len(rows) or any(len(row) != split for row in rows):
        raise AuditMismatch(f"the tree's user index does not give every user {split} distinct leaves", reason="LEAF_VALUES_MISMATCH")
    stray = sum(1 for i, v in enumerate(values) if any(v) and i not in owned)
    if stray:
        raise AuditMismatch(f"{stray} non-zero leaf/leaves belong to no user", reason="LEAF_VALUES_MISMATCH")
    return [tuple(sum(values[p][j] for p in row) for j in range(len(values[0]))) for row in rows]


def check_leaf_values(audit: Audit) -> str:
    com = audit.public.commitment
    assets = com.assets
    split = com.privacy.split if com.privacy is not None else _tree_split(audit)
    per_user: dict[str, list[int]] = {}
    for user, currency, amount in audit.ledger_balances:
        if currency in assets:
            per_user.setdefault(user, [0] * len(assets))[assets.index(currency)] = amount
    ledger = Counter(tuple(v) for v in per_user.values() if any(v))
    if split is not None and split > 1:
        users = Counter(v for v in _split_user_sums(audit, split) if any(v))
        if ledger != users:
            raise AuditMismatch(f"{sum((ledger - users).values())} ledger balance vector(s) equal no user's leaves added up and "
                                f"{sum((users - ledger).values())} users' leaves match no ledger balance", reason="LEAF_VALUES_MISMATCH")
        return (f"every user's {split} leaves add up to exactly the ledger's per-user balance vectors ({sum(users.values())} "
                "non-zero, compared as multisets, no user ids); every other leaf is zero")
    leaves = Counter(v for v in audit.layer.values if any(v))
    if ledger != leaves:
        missing = sum((ledger - leaves).values())
        extra = sum((leaves - ledger).values())
        hint = "" if split is not None else " (if the bank split balances over several leaves, ask for the split: then leaves are parts)"
        raise AuditMismatch(f"{missing} ledger balance vector(s) have no equal leaf and {extra} non-zero leaf/leaves "
                            f"match no ledger balance{hint}", reason="LEAF_VALUES_MISMATCH")
    zero = len(audit.layer.values) - sum(leaves.values())
    return (f"the {sum(leaves.values())} non-zero leaves are exactly the ledger's per-user balance vectors "
            f"(compared as multisets, no user ids); {zero} zero leaves")
