"""The ledger state an epoch commits to: balances and the hash-chain digest at one cut-off.

A commitment binds the ledger digest (entry count and head hash, docs/LEDGER.md). It must be the
digest *at the cut-off* on the committed axis -- the last entry with ``committed_at <= as_of`` --
not the head at publication time, or an auditor replaying the chain to that digest would find
other balances than the committed ones. Each store answers it from its own index
(`ledger.store.Store.digest_as_of`; the store contract tests check it against a replay of the
chain).

Invariant: the cut-off must not be in the future. The committed axis is assigned by the store
from the wall clock, so an entry committed later could still fall before a future cut-off and
the balances would change after publication.
"""

from __future__ import annotations

from ledger.chain import LedgerDigest
from ledger.clock import now_us, parse_time
from ledger.store import Store


class CutOffError(ValueError):
    """The cut-off cannot be committed to (it lies in the future)."""


def digest_as_of(store: Store, as_of: str) -> LedgerDigest:
    """Entry count and head hash of the ledger restricted to entries committed at or before `as_of`."""
    cut = parse_time(as_of)
    if cut > now_us():
        raise CutOffError(f"the cut-off {as_of} is in the future; entries committed before it could still arrive")
    return store.digest_as_of(cut)
