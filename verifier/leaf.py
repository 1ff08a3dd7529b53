"""Leaves of the liabilities tree (docs/SPEC.md sections 3.2-3.4).

A user leaf binds the tree context (epoch id and ordered asset list), the user's commitment
``uc = H(TAG_USER || salt || lp(user_id))`` and the user's balances (u64 each). A padding leaf is
hashed exactly like a user leaf with all balances zero over a pseudo-user commitment
``HMAC(epoch_key, TAG_PADDING || u64(index))``; without the secret epoch key the two are
indistinguishable, and a zero leaf cannot lower any sum. The salt is 256 bits, fresh per user,
per epoch and per leaf part, so nobody without the salt can link a leaf to a user or brute-force
a balance (the Summa v1 weakness), and equal balances never share a leaf (the Kraken weakness).
"""

from __future__ import annotations

from collections.abc import Sequence

from verifier.encoding import context_hash, leaf_hash, user_commitment


def user_leaf_hash(epoch: str, assets: Sequence[str], user_id: str, salt: bytes, balances: Sequence[int]) -> bytes:
    """Recompute a user's leaf hash from the user's own data (SPEC 3.3)."""
    return leaf_hash(context_hash(epoch, assets), user_commitment(salt, user_id), balances)
