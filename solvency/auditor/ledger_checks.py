"""The checks that tie a published epoch to the bank's ledger: the committed balance definition
is the ledger's (content hash), the ledger's hash chain is intact and its digest at the cut-off
is the committed one, the ledger's liabilities at the cut-off add up to the committed root sums,
and the non-zero leaves are exactly the ledger's per-user balance vectors (compared as
multisets, so no user id is needed). Without a ledger they are skipped, never passed.
"""

from __future__ import annotations

import json
from collections import Counter

from solvency.auditor.context import Audit, AuditMismatch, Skip, sums_text
from solvency.tree.ledger_cut import digest_as_of


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


def check_leaf_values(audit: Audit) -> str:
    assets = audit.public.commitment.assets
    split = _tree_split(audit)
    if split is not None and split > 1:
        raise Skip(f"balances are split over {split} leaves each: leaf values are parts, not per-user balances")
    per_user: dict[str, list[int]] = {}
    for user, currency, amount in audit.ledger_balances:
        if currency in assets:
            per_user.setdefault(user, [0] * len(assets))[assets.index(currency)] = amount
    ledger = Counter(tuple(v) for v in per_user.values() if any(v))
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
