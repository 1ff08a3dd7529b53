"""Large-scale check (slow; run by `pytest -m slow`): 1M users, root sums and sampled proofs."""

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from solvency.tree.balances import from_arrays
from solvency.tree.build import build_tree
from solvency.tree.store import TreeStore
from verifier.proof import verify_proof


@pytest.mark.slow
def test_one_million_users(tmp_path):
    n = 1_000_000
    key = Ed25519PrivateKey.generate()
    rng = np.random.default_rng(11)
    amounts = rng.integers(0, 2**63, size=(n, 2), dtype=np.uint64)
    ids = [f"user-{i}" for i in range(n)]
    commitment = build_tree(from_arrays(ids, amounts, ("BTC", "USD")), epoch="big", as_of="2026-11-01T00:00:00Z", private_key=key, out_dir=tmp_path / "t")
    assert commitment.height == 20
    assert list(commitment.root_sums) == [sum(int(v) for v in amounts[:, j]) for j in range(2)]
    with TreeStore(tmp_path / "t") as store:
        for i in rng.integers(0, n, 50):
            facts = verify_proof(store.proof(ids[int(i)]), key.public_key())
            assert facts.balances == tuple(int(v) for v in amounts[int(i)])
