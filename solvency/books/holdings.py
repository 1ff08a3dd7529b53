"""What a node snapshot holds, per asset category of docs/SPEC.md 8.3, in sats.

One function for every reader of a snapshot's figures (the books' reconciliation here; the
metrics exporter reads the same categories), computed by the verifier's own `tally` from a
snapshot loaded and cross-checked by `solvency.reserves.snapshot.load_snapshot`, so the books,
the attestation and the verifier can never disagree on what a category contains.
"""

from __future__ import annotations

from solvency.reserves.snapshot import Snapshot
from verifier.assets.statement import tally


def snapshot_totals(snapshot: Snapshot) -> dict[str, int]:
    """Category -> sats, in the order of SPEC 8.3 (raises `VerificationError` if a channel breaks
    the escrow identity, `CannotVerify` for an unknown commitment type)."""
    wallet, bria = snapshot.wallet, snapshot.bria_wallet
    bria_amounts = (0, 0) if bria is None else (sum(u.value for u in bria.utxos if u.height is not None),
                                                 sum(u.value for u in bria.utxos if u.height is None))
    return tally(
        snapshot.channels,
        ((p.kind, p.limbo) for p in snapshot.pending.channels),
        (wallet.confirmed, wallet.unconfirmed, wallet.locked),
        (u.amount for u in snapshot.cold),
        bria_amounts,
    ).to_json()
