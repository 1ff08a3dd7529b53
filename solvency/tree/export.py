"""Auditor export of the padded leaf layer (docs/SPEC.md section 7).

Leaf hashes and per-asset values in index order; no user ids and no salts. Values are the u64
leaf balances (the low 8 bytes of the stored u128 sums; the high 8 bytes of a leaf are zero).
"""

from __future__ import annotations

from typing import Any, BinaryIO

from solvency.tree.store import TreeStore
from verifier.full_tree import LEAVES_MAGIC


def _leaf_arrays(store: TreeStore) -> tuple[Any, Any]:
    import numpy as np

    count, size, m = store.meta["leaf_count"], store.size, store.m
    arr = np.frombuffer(store._nodes, dtype=np.uint8, count=count * size).reshape(count, size)
    hashes = arr[:, :32]
    sums = arr[:, 32:].reshape(count, m, 2, 8)
    if sums[:, :, 0, :].any():
        raise ValueError("a leaf value does not fit in 64 bits; the node store is corrupt")
    values = np.ascontiguousarray(sums[:, :, 1, :]).view(">u8").reshape(count, m)
    return hashes, values


def write_leaves_bin(store: TreeStore, handle: BinaryIO) -> None:
    import numpy as np

    hashes, values = _leaf_arrays(store)
    handle.write(LEAVES_MAGIC + bytes([store.m, store.height]))
    count = hashes.shape[0]
    step = 1 << 16
    for a in range(0, count, step):
        b = min(count, a + step)
        rec = np.concatenate([hashes[a:b], values[a:b].view(np.uint8).reshape(b - a, 8 * store.m)], axis=1)
        handle.write(rec.tobytes())


def write_leaves_parquet(store: TreeStore, handle: BinaryIO) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    hashes, values = _leaf_arrays(store)
    count = hashes.shape[0]
    columns = {
        "index": pa.array(np.arange(count, dtype=np.uint64)),
        "hash": pa.FixedSizeBinaryArray.from_buffers(pa.binary(32), count, [None, pa.py_buffer(np.ascontiguousarray(hashes).tobytes())]),
    }
    for j, code in enumerate(store.currencies):
        columns[code] = pa.array(values[:, j].astype(np.uint64))
    table = pa.table(columns).replace_schema_metadata({"pos-mst/format": "pos-mst/1", "pos-mst/epoch": store.epoch})
    pq.write_table(table, handle)
