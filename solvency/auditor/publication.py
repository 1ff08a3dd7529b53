"""Finding and reading one epoch of a publication (docs/SPEC.md section 11.1).

Layout: ``PUBDIR/<epoch>/public/{commitment,assets,epoch,log-head}.json`` (or, on a mirror, the
same files directly in ``PUBDIR/<epoch>/``) and the bank's ``PUBDIR/<epoch>/private/`` with the
tree (``private/tree/``), the auditor leaf export (``private/leaves.bin`` or ``.parquet``), the
proof-bundle export (``private/proofs.jsonl``) and the transparency log (``private/log.db``).
An auditor who received the private exports separately passes their paths explicitly.

Nothing here verifies anything: public files are parsed strictly, once, into the verifier's
typed artifacts (canonical JSON via `read_artifact`, then `Commitment`, `Attestation`, `Epoch`
and `LogHead`; a file that does not parse raises the verifier's error), and every check, signatures
included, is left to `solvency.auditor.checks`. Epochs are
ordered by the ``sequence`` their ``epoch.json`` states, which the history check then verifies.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from verifier import canonical
from verifier.assets.artifact import Attestation
from verifier.commitment import Commitment
from verifier.epoch import Epoch, LogHead
from verifier.full_tree import LeafLayer
from verifier.history import epoch_dirs, public_dir, read_artifact

if TYPE_CHECKING:
    import pandas as pd

LEAF_EXPORTS = ("leaves.bin", "leaves.parquet")
PROOFS_EXPORT = "proofs.jsonl"


@dataclass(frozen=True, slots=True)
class EpochPaths:
    """Where one epoch's files are; the private paths are None when absent."""

    name: str
    directory: Path
    public: Path

    @property
    def commitment(self) -> Path:
        return self.public / "commitment.json"

    @property
    def assets(self) -> Path:
        return self.public / "assets.json"

    @property
    def epoch(self) -> Path:
        return self.public / "epoch.json"

    @property
    def log_head(self) -> Path:
        return self.public / "log-head.json"

    @property
    def private(self) -> Path | None:
        candidate = self.directory / "private"
        return candidate if candidate.is_dir() else None

    @property
    def leaves(self) -> Path | None:
        if self.private is None:
            return None
        return next((self.private / n for n in LEAF_EXPORTS if (self.private / n).is_file()), None)

    @property
    def proofs(self) -> Path | None:
        if self.private is None or not (self.private / PROOFS_EXPORT).is_file():
            return None
        return self.private / PROOFS_EXPORT

    @property
    def tree(self) -> Path | None:
        if self.private is None:
            return None
        candidate = self.private / "tree"
        return candidate if (candidate / "commitment.json").is_file() else None


def _sequence(path: Path) -> float:
    try:
        value = canonical.loads((path / "epoch.json").read_bytes()).get("sequence")
    except Exception:  # noqa: BLE001 - an unreadable epoch sorts last; the history check reports it
        return float("inf")
    return value if type(value) is int else float("inf")


def list_epochs(pubdir: str | os.PathLike[str]) -> list[EpochPaths]:
    """Every epoch directory of `pubdir`, in the order of the sequence numbers they state."""
    found = [EpochPaths(d.name, d, public_dir(d)) for d in epoch_dirs(Path(pubdir))]
    return sorted(found, key=lambda p: (_sequence(p.public), p.name))


def locate_epoch(pubdir: str | os.PathLike[str], epoch: str | None = None) -> EpochPaths:
    """The epoch named `epoch`, or the latest one (highest stated sequence) when None."""
    epochs = list_epochs(pubdir)
    if epoch is None:
        return epochs[-1]
    for paths in epochs:
        if paths.name == epoch:
            return paths
    raise FileNotFoundError(f"{pubdir}: no epoch {epoch!r} (published: {', '.join(p.name for p in epochs)})")


@dataclass(frozen=True, slots=True)
class PublicFiles:
    """The parsed public artifacts of one epoch (`assets` is None when the epoch binds none)."""

    commitment: Commitment
    assets: Attestation | None
    epoch: Epoch
    log_head: LogHead


def read_public(paths: EpochPaths) -> PublicFiles:
    """Strict parse of the public files into the verifier's types (raises the verifier's errors)."""
    epoch = Epoch.parse(read_artifact(paths.epoch))
    bound = paths.assets.is_file() or epoch.asset_attestation is not None
    assets = Attestation.parse(read_artifact(paths.assets)) if bound else None
    return PublicFiles(Commitment.parse(read_artifact(paths.commitment)), assets, epoch, LogHead.parse(read_artifact(paths.log_head)))


def describe(files: PublicFiles) -> pd.DataFrame:
    """The facts an auditor reads first, as a two-column DataFrame (field, value)."""
    import pandas as pd

    com, epoch, head = files.commitment, files.epoch, files.log_head
    definition, digest = com.balance_definition, com.ledger_digest
    rows = [
        ("epoch", com.epoch),
        ("sequence", epoch.sequence),
        ("cut-off (as_of)", com.as_of),
        ("assets", ", ".join(com.assets)),
        ("leaves", f"{com.leaf_count} (height {com.height})"),
        ("root hash", com.root_hash.hex()),
        ("root sums", ", ".join(f"{a} {s}" for a, s in zip(com.assets, com.root_sums))),
        ("balance definition", "none" if definition is None else f"{definition.name} ({definition.content_hash.hex()[:16]}...)"),
        ("ledger digest", "none" if digest is None else f"{digest.entry_count} entries, head {digest.head_hash.hex()[:16]}..."),
        ("previous epoch", "none" if epoch.previous is None else epoch.previous.epoch),
        ("log", f"size {head.log_size}, root {head.log_root.hex()[:16]}..."),
        ("asset attestation", "none" if files.assets is None else f"anchor block {files.assets.anchor.height}"),
        ("signer key id", com.signer_key_id),
    ]
    return pd.DataFrame([(k, str(v)) for k, v in rows], columns=["field", "value"])


def leaf_values(layer: LeafLayer, assets: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """The leaf values as a DataFrame (one uint64 column per asset, indexed by leaf position);
    hashes are left out: they carry nothing an auditor can read."""
    import numpy as np
    import pandas as pd

    values = np.array(layer.values, dtype=np.uint64).reshape(len(layer.values), len(assets))
    frame = pd.DataFrame(values, columns=list(assets))
    frame.index.name = "leaf"
    return frame
