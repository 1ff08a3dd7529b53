"""Internal nodes, inclusion paths and whole-tree recomputation (docs/SPEC.md sections 3.5-3.6).

The tree is a perfect binary tree of height h >= 1 over 2^h leaves (padded, never duplicated).
A node at height t >= 1 is

    H(TAG_NODE || u8(t) || h_L || u128(s_L,1) .. u128(s_L,m) || h_R || u128(s_R,1) .. u128(s_R,m))

and its sums are s_L,j + s_R,j, which MUST stay below 2^128. The node hash binds both children's
hashes *and both children's sums*, so a parent cannot claim a total other than the sum of its
children without a SHA-256 collision (the Hu-Zhang-Guo attack on Maxwell's original tree binds
only the parent's total). Binding the height stops a path of the wrong length from folding to
the same root.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from verifier.encoding import SUM_LIMIT, TAG_NODE, add_sums, node_hash


class SumOverflow(ValueError):
    """A node sum reached 2^128."""


@dataclass(frozen=True, slots=True)
class Sibling:
    hash: bytes
    sums: tuple[int, ...]


def fold_path(leaf_hash: bytes, leaf_sums: tuple[int, ...], index: int, path: tuple[Sibling, ...]) -> tuple[bytes, tuple[int, ...]]:
    """Fold a leaf up its path; bit t of `index` says whether the node at height t is a right child."""
    current_hash, current_sums = leaf_hash, tuple(leaf_sums)
    for level, sibling in enumerate(path):
        height = level + 1
        try:
            sums = add_sums(current_sums, sibling.sums)
        except ValueError:
            raise SumOverflow(f"the sum at height {height} reaches 2^128") from None
        if (index >> level) & 1:
            current_hash = node_hash(height, sibling.hash, sibling.sums, current_hash, current_sums)
        else:
            current_hash = node_hash(height, current_hash, current_sums, sibling.hash, sibling.sums)
        current_sums = sums
    return current_hash, current_sums


def root_of_leaves(hashes: list[bytes], sums: list[tuple[int, ...]],
                   progress: Callable[[int], None] | None = None) -> tuple[bytes, tuple[int, ...]]:
    """Recompute the root of a perfect tree from its leaf layer (SPEC 7). Raises SumOverflow."""
    n = len(hashes)
    if n < 2 or n & (n - 1):
        raise ValueError("the leaf layer must hold 2^h >= 2 leaves")
    height = 0
    while len(hashes) > 1:
        height += 1
        prefix = TAG_NODE + bytes([height])
        next_hashes, next_sums = [], []
        for i in range(0, len(hashes), 2):
            ls, rs = sums[i], sums[i + 1]
            total = tuple(a + b for a, b in zip(ls, rs))
            if any(v >= SUM_LIMIT for v in total):
                raise SumOverflow(f"the sum of nodes {i} and {i + 1} at height {height} reaches 2^128")
            data = b"".join(v.to_bytes(16, "big") for v in ls)
            data_r = b"".join(v.to_bytes(16, "big") for v in rs)
            next_hashes.append(hashlib.sha256(prefix + hashes[i] + data + hashes[i + 1] + data_r).digest())
            next_sums.append(total)
        hashes, sums = next_hashes, next_sums
        if progress is not None:
            progress(height)
    return hashes[0], sums[0]
