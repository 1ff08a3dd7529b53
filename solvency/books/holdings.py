"""What a node snapshot holds, per asset category of docs/SPEC.md 8.3, in sats.

One function for every reader of a snapshot's figures (the books' reconciliation here; the
metrics exporter reads the same categories), computed by the verifier's own `compute_totals`
from a snapshot loaded and cross-checked by `solvency.reserves.snapshot.load_snapshot`, so the
books, the attestation and the verifier can never disagree on what a category contains.
"""

from __future__ import annotations

from solvency.reserves.snapshot import Snapshot
from verifier.assets.attestation import compute_totals
from verifier.assets.rules import CATEGORIES


def snapshot_totals(snapshot: Snapshot) -> dict[str, int]:
    """Category -> sats, in the order of SPEC 8.3 (raises `VerificationError` if a channel breaks
    the escrow identity, `CannotVerify` for an unknown commitment type)."""
    body = {
        "channels": [
            {"channel_point": c.channel_point, "capacity": c.capacity, "local": c.local, "remote": c.remote,
             "unsettled": c.unsettled, "commit_fee": c.commit_fee, "commitment_type": c.commitment_type,
             "initiator": c.initiator, "pending_htlcs": c.pending_htlcs}
            for c in snapshot.channels
        ],
        "pending_channels": [{"kind": p.kind, "limbo": p.limbo} for p in snapshot.pending.channels],
        "onchain": {"confirmed": snapshot.wallet.confirmed, "unconfirmed": snapshot.wallet.unconfirmed,
                    "locked": snapshot.wallet.locked},
        "cold_utxos": [{"amount": u.amount} for u in snapshot.cold],
    }
    totals = compute_totals(body)
    return {name: totals[name] for name, _ in CATEGORIES}
