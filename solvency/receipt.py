"""Issuing signed balance receipts (docs/SPEC.md section 12) from a built tree.

The receipt states exactly the balances the user's proof shows and names the commitment by its
hash, so the bank can never hand out a receipt that disagrees with the tree it committed to.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from solvency.keys import public_key_of, sign
from solvency.tree.store import TreeStore
from verifier.proof import Proof, verify_proof
from verifier.receipt import Receipt, verify_receipt
from verifier.schema import UtcTime
from verifier.signature import key_id


def tree_dir_of(path: Path) -> Path:
    """A tree directory, given either the tree directory or an epoch directory holding one."""
    path = Path(path)
    for candidate in (path, path / "private" / "tree"):
        if (candidate / "commitment.json").is_file() and (candidate / "private").is_dir():
            return candidate
    raise FileNotFoundError(f"{path}: neither a tree directory nor an epoch directory with private/tree/")


def issue_receipt(proof: Proof, private_key: Ed25519PrivateKey, issued_at: str | None = None) -> Receipt:
    """Sign the balances of `proof` (which must verify under the bank's own key)."""
    public_key = public_key_of(private_key)
    facts = verify_proof(proof, public_key)
    when = UtcTime(issued_at) if issued_at else UtcTime.of(dt.datetime.now(dt.UTC).replace(microsecond=0))
    receipt = sign(Receipt(
        epoch=facts.epoch, liabilities_commitment=proof.commitment.hash(), user_id=facts.user_id, assets=facts.assets,
        balances=facts.balances, issued_at=when, signer_key_id=key_id(public_key),
    ), private_key)
    verify_receipt(receipt, public_key, commitment=proof.commitment, proof_facts=facts)
    return receipt


def receipt_for_user(tree: Path, user_id: str, private_key: Ed25519PrivateKey) -> Receipt:
    """Issue the receipt of `user_id` from a tree directory or an epoch directory holding one.

    Raises FileNotFoundError (no tree there), `solvency.tree.store.TreeStoreError` (an unreadable
    tree) or `solvency.tree.store.UnknownUser` (no leaf of the user).
    """
    with TreeStore(tree_dir_of(Path(tree))) as store:
        proof = store.proof(user_id)
    return issue_receipt(proof, private_key)
