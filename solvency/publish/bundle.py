"""Proof bundles (docs/SPEC.md section 13): a user's proof with its signed epoch and log head.

`bundle_for_user` answers one user from a published epoch directory in O(log n) (the tree's node
store) and verifies the bundle with the verifier before handing it out. `BundleWriter` turns the
tree's bulk proof export (canonical JSON Lines, one proof per line) into bundle lines without
re-encoding the proofs: a bundle's canonical encoding is the concatenation of its members in key
order (`epoch`, `format`, `log_head`, `proof`, `type`), and the epoch and log head are encoded
once per epoch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

from solvency.receipt import tree_dir_of
from solvency.tree.store import TreeStore
from verifier import canonical
from verifier.bundle import BUNDLE_FORMAT, verify_bundle
from verifier.history import read_artifact


def make_bundle(proof: dict[str, Any], epoch_doc: dict[str, Any], head_doc: dict[str, Any]) -> dict[str, Any]:
    return {"epoch": epoch_doc, "format": BUNDLE_FORMAT, "log_head": head_doc, "proof": proof, "type": "proof-bundle"}


class BundleWriter:
    """A binary file-like sink: proof lines in, bundle lines out (to `handle`)."""

    def __init__(self, handle: BinaryIO, epoch_doc: dict[str, Any], head_doc: dict[str, Any]) -> None:
        self._handle = handle
        self._prefix = (
            b'{"epoch":' + canonical.dumps(epoch_doc) + b',"format":' + canonical.dumps(BUNDLE_FORMAT)
            + b',"log_head":' + canonical.dumps(head_doc) + b',"proof":'
        )
        self._suffix = b',"type":"proof-bundle"}\n'
        self._partial = b""

    def write(self, data: bytes) -> int:
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        if lines:
            prefix, suffix = self._prefix, self._suffix
            self._handle.write(b"".join(prefix + line + suffix for line in lines))
        return len(data)

    def close(self) -> None:
        if self._partial:
            raise ValueError("the proof export ended in the middle of a line")


def bundle_for_user(epoch_dir: str | Path, user_id: str, public_key) -> dict[str, Any]:
    """The verified bundle of `user_id` from a published epoch directory (raises UnknownUser)."""
    epoch_dir = Path(epoch_dir)
    epoch_doc = read_artifact(epoch_dir / "public" / "epoch.json")
    head_doc = read_artifact(epoch_dir / "public" / "log-head.json")
    with TreeStore(tree_dir_of(epoch_dir)) as store:
        proof = store.proof(user_id)
    bundle = make_bundle(proof, epoch_doc, head_doc)
    verify_bundle(bundle, public_key, expected_epoch=epoch_dir.name, expected_user=user_id)
    return bundle
