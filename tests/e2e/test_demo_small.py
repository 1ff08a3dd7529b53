"""The demo generator must work for any small bank, not only for the sizes the other tests use:
a seed with no pending channel confirmations once crashed it with an empty batch."""

import pytest

from solvency.demo.story import run_demo
from verifier.history import verify_history
from verifier.signature import load_public_key


@pytest.mark.parametrize("users,seed", [(30, 5), (12, 1)])
def test_small_demo_publishes_a_verifiable_history(tmp_path, users, seed):
    run_demo(tmp_path / "out", users=users, seed=seed, echo=lambda *a, **k: None)
    facts = verify_history(tmp_path / "out" / "publication", load_public_key(str(tmp_path / "out" / "bank.key.pub")))
    assert facts["log_size"] == 2
