
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tree_helpers import make_tree


@pytest.fixture(scope="session")
def bank_key():
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="session")
def other_key():
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="session")
def tree(tmp_path_factory, bank_key):
    """21 users (leaf count 32, so 11 padding leaves), two assets."""
    ids = [f"user-{i}" for i in range(21)]
    amounts = [[(i * 7919) % 100_000, (i * 104729) % 50_000] for i in range(21)]
    store = make_tree(tmp_path_factory.mktemp("tree") / "t", bank_key, ids, amounts)
    yield store, dict(zip(ids, amounts))
    store.close()


@pytest.fixture()
def proof(tree):
    store, _ = tree
    return store.proof("user-5").to_json()
