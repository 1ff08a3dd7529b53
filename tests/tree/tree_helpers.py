"""Shared helpers of the tree tests (built trees of known balances)."""

import time
from datetime import UTC, datetime

import numpy as np

from solvency.tree.balances import from_arrays
from solvency.tree.build import build_tree
from solvency.tree.store import TreeStore

EPOCH = "2026-11"
AS_OF = "2026-11-01T00:00:00Z"
ASSETS = ("BTC", "USD")


def make_tree(path, key, ids, amounts, *, epoch=EPOCH, split=1, assets=ASSETS, min_leaves=2):
    balances = from_arrays(ids, np.array(amounts, dtype=np.uint64).reshape(len(ids), len(assets)), assets)
    build_tree(balances, epoch=epoch, as_of=AS_OF, private_key=key, out_dir=path, split=split, min_leaves=min_leaves)
    return TreeStore(path)


def now_as_of() -> str:
    """A whole-second cut-off already in the past and after everything posted so far."""
    time.sleep(1.05 - (time.time() % 1))
    return datetime.fromtimestamp(int(time.time()), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
