"""`solvency tree build` as one library call: read the balances, build and sign the tree.

The balances come from a CSV/Parquet file (`solvency.tree.balances.load_file`) or from the ledger
at the cut-off (`solvency.tree.ledger_cut.read_liabilities`, the same reading `solvency publish`
does); `build_epoch` then writes the tree into a directory that must not exist
(`solvency.tree.build.build_tree`). Every expected failure is a `BuildRejected` with one message.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from solvency.tree.balances import Balances, BalancesRejected, load_file
from solvency.tree.build import DEFAULT_MIN_LEAVES, DEFAULT_SPLIT, build_tree, padded_leaf_count
from solvency.tree.ledger_cut import LedgerCutError, read_liabilities
from verifier.commitment import Commitment

#: ``progress(total, label)``: a context manager giving an ``update(count)`` callback, or None.
ProgressFactory = Callable[[int, str], AbstractContextManager[Callable[[int], None] | None]]


@contextmanager
def progress_bar(progress: ProgressFactory | None, total: int, label: str) -> Iterator[Callable[[int], None] | None]:
    if progress is None:
        yield None
        return
    with progress(total, label) as update:
        yield update


class BuildRejected(Exception):
    """The input was read and refused, or the tree cannot be built; nothing was written."""


@dataclass(frozen=True, slots=True)
class LedgerSource:
    """Read the balances from the ledger `db` with the balance definition `definition`."""

    db: str
    definition: str
    definitions_file: str | None = None
    read_options: tuple[tuple[str, str], ...] = ()  # fractional / journal_check / roles (docs/MONGO.md 11.2)


@dataclass(frozen=True, slots=True)
class Built:
    directory: Path
    commitment: Commitment
    balances: Balances
    notes: tuple[str, ...] = ()  # how the ledger was read: bank roles, waived journals, floored balances


def build_epoch(
    source: str | os.PathLike[str] | LedgerSource,
    *,
    out_dir: str | os.PathLike[str],
    epoch: str,
    as_of: str,
    private_key: Ed25519PrivateKey,
    currencies: tuple[str, ...],
    split: int = DEFAULT_SPLIT,
    min_leaves: int = DEFAULT_MIN_LEAVES,
    exclude_negative: bool = False,
    workers: int | None = None,
    progress: ProgressFactory | None = None,
) -> Built:
    """Build the tree of the balances in `source` (a balances file, or a `LedgerSource` read at
    `as_of`) into `out_dir`; returns the signed commitment and the balances committed. The privacy
    options default to those of `solvency publish` (SPEC 1); the commitment states them."""
    out = Path(out_dir)
    if out.exists():
        raise BuildRejected(f"{out} already exists; refusing to overwrite a built tree")
    balance_definition = ledger_digest = None
    notes: tuple[str, ...] = ()
    try:
        if isinstance(source, LedgerSource):
            liabilities = read_liabilities(source.db, source.definition, as_of, currencies,
                                           definitions_file=source.definitions_file, exclude_negative=exclude_negative,
                                           read_options=dict(source.read_options))
            balances, notes = liabilities.balances, liabilities.notes
            balance_definition, ledger_digest = liabilities.balance_definition, liabilities.ledger_digest
        else:
            balances = load_file(os.fspath(source), currencies, exclude_negative=exclude_negative)
    except (BalancesRejected, LedgerCutError) as exc:
        raise BuildRejected(str(exc)) from None
    except (OSError, ValueError) as exc:
        raise BuildRejected(f"cannot read the input: {exc}") from None
    if not balances.user_ids:
        raise BuildRejected("no users with a non-negative balance: nothing to commit")
    leaves = padded_leaf_count(len(balances.user_ids) * split, min_leaves)
    try:
        with progress_bar(progress, leaves, "hashing leaves") as update:
            commitment = build_tree(
                balances, epoch=epoch, as_of=as_of, private_key=private_key, out_dir=out,
                balance_definition=balance_definition, ledger_digest=ledger_digest,
                split=split, min_leaves=min_leaves, workers=workers, progress=update,
            )
    except (ValueError, FileExistsError) as exc:
        raise BuildRejected(str(exc)) from None
    return Built(out, commitment, balances, notes)
