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
from typing import BinaryIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from solvency.receipt import tree_dir_of
from solvency.tree.store import TreeStore
from verifier import canonical
from verifier.bundle import BUNDLE_FORMAT, Bundle, verify_bundle
from verifier.epoch import Epoch, LogHead
from verifier.history import read_artifact
from verifier.proof import Proof


def make_bundle(proof: Proof, epoch: Epoch, head: LogHead) -> Bundle:
    """The bundle of a proof with its epoch and log head."""
    return Bundle(epoch=epoch, log_head=head, proof=proof)


class BundleWriter:
    """A binary file-like sink: proof lines in, bundle lines out (to `handle`)."""

    def __init__(self, handle: BinaryIO, epoch: Epoch, head: LogHead) -> None:
        self._handle = handle
        self._prefix = (
            b'{"epoch":' + canonical.dumps(epoch.to_json()) + b',"format":' + canonical.dumps(BUNDLE_FORMAT)
            + b',"log_head":' + canonical.dumps(head.to_json()) + b',"proof":'
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


def bundle_for_user(epoch_dir: str | Path, user_id: str, public_key: Ed25519PublicKey) -> Bundle:
    """The verified bundle of `user_id` from a published epoch directory (raises UnknownUser)."""
    epoch_dir = Path(epoch_dir)
    epoch_doc = Epoch.parse(read_artifact(epoch_dir / "public" / "epoch.json"))
    head_doc = LogHead.parse(read_artifact(epoch_dir / "public" / "log-head.json"))
    with TreeStore(tree_dir_of(epoch_dir)) as store:
        proof = store.proof(user_id)
    bundle = make_bundle(proof, epoch_doc, head_doc)
    verify_bundle(bundle, public_key, expected_epoch=epoch_dir.name, expected_user=user_id)
    return bundle
