"""The ledger state an epoch commits to: balances and the hash-chain digest at one cut-off.

A commitment binds the ledger digest (entry count and head hash, docs/LEDGER.md). It must be the
digest *at the cut-off* on the committed axis -- the last entry with ``committed_at <= as_of`` --
not the head at publication time, or an auditor replaying the chain to that digest would find
other balances than the committed ones. `digest_as_of` finds it through the `Store` interface
only (so it works on every backend) by binary search over ``entries(after_seq)``, which costs
O(log n) single-entry reads. A store that offers ``digest_as_of(as_of)`` itself is asked
directly (the SQLite store's first ``entries`` call loads every account path, seconds at 2M
accounts).

Invariant: the cut-off must not be in the future. The committed axis is assigned by the store
from the wall clock, so an entry committed later could still fall before a future cut-off and
the balances would change after publication.
"""

from __future__ import annotations

from ledger.chain import GENESIS, LedgerDigest
from ledger.clock import now_us, parse_time
from ledger.store import Store


class CutOffError(ValueError):
    """The cut-off cannot be committed to (it lies in the future)."""


def _entry_at(store: Store, seq: int):
    for posted in store.entries(after_seq=seq - 1):
        return posted
    raise LookupError(f"the ledger has no entry {seq}")


def digest_as_of(store: Store, as_of: str) -> LedgerDigest:
    """Entry count and head hash of the ledger restricted to entries committed at or before `as_of`."""
    cut = parse_time(as_of)
    if cut > now_us():
        raise CutOffError(f"the cut-off {as_of} is in the future; entries committed before it could still arrive")
    native = getattr(store, "digest_as_of", None)
    if callable(native):  # a backend that answers it directly (an index on committed_at)
        return native(as_of)
    head = store.digest()
    if head.entry_count == 0:
        return head
    if _entry_at(store, head.entry_count).committed_at <= cut:
        return head
    lo, hi = 0, head.entry_count - 1  # invariant: entry lo is at or before the cut (0: none), entry hi+1 after
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _entry_at(store, mid).committed_at <= cut:
            lo = mid
        else:
            hi = mid - 1
    if lo == 0:
        return LedgerDigest(0, GENESIS.hex())
    return LedgerDigest(lo, _entry_at(store, lo).entry_hash)
