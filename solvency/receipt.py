"""Issuing signed balance receipts (docs/SPEC.md section 12) from a built tree.

The receipt states exactly the balances the user's proof shows and names the commitment by its
hash, so the bank can never hand out a receipt that disagrees with the tree it committed to.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from solvency.keys import public_key_of, sign_artifact
from solvency.tree.store import TreeStore
from verifier.commitment import commitment_hash
from verifier.proof import verify_proof
from verifier.receipt import RECEIPT_FORMAT, verify_receipt
from verifier.signature import key_id


def tree_dir_of(path: Path) -> Path:
    """A tree directory, given either the tree directory or an epoch directory holding one."""
    path = Path(path)
    for candidate in (path, path / "private" / "tree"):
        if (candidate / "commitment.json").is_file() and (candidate / "private").is_dir():
            return candidate
    raise FileNotFoundError(f"{path}: neither a tree directory nor an epoch directory with private/tree/")


def issue_receipt(proof_doc: dict[str, Any], private_key, issued_at: str | None = None) -> dict[str, Any]:
    """Sign the balances of `proof_doc` (which must verify under the bank's own key)."""
    public_key = public_key_of(private_key)
    facts = verify_proof(proof_doc, public_key)
    issued_at = issued_at or dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {
        "format": RECEIPT_FORMAT,
        "type": "receipt",
        "epoch": facts.epoch,
        "liabilities_commitment": commitment_hash(proof_doc["commitment"]).hex(),
        "user_id": facts.user_id,
        "assets": list(facts.assets),
        "balances": [str(b) for b in facts.balances],
        "issued_at": issued_at,
        "signer_key_id": key_id(public_key),
    }
    receipt = sign_artifact(body, private_key)
    verify_receipt(receipt, public_key, commitment=proof_doc["commitment"], proof_facts=facts)
    return receipt


def receipt_for_user(tree: Path, user_id: str, private_key) -> dict[str, Any]:
    """Issue the receipt of `user_id` from a tree directory or an epoch directory holding one.

    Raises FileNotFoundError (no tree there), `solvency.tree.store.TreeStoreError` (an unreadable
    tree) or `solvency.tree.store.UnknownUser` (no leaf of the user).
    """
    with TreeStore(tree_dir_of(Path(tree))) as store:
        proof = store.proof(user_id)
    return issue_receipt(proof, private_key)
