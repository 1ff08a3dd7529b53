"""SPEC 3.1: a negative balance never enters the tree and never removes a positive one.

With ``exclude_negative`` every negative (user, asset) amount is committed as 0 and listed in the
report; every non-negative amount, of the same user in another asset too, stays in the tree. So
the root sums are exactly the sums of all positive balances, whatever the mix of signs.
"""

from __future__ import annotations

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.tree.balances import from_ledger_rows, from_rows
from solvency.tree.build import build_tree

ASSETS = ("BTC", "USD")
KEY = Ed25519PrivateKey.generate()

amount = st.integers(min_value=-(2**40), max_value=2**40)
books = st.dictionaries(st.sampled_from([f"u{i}" for i in range(12)]),
                        st.tuples(st.one_of(st.none(), amount), st.one_of(st.none(), amount)), min_size=1)


def rows_of(book):
    return [(user, code, value) for user, values in book.items() for code, value in zip(ASSETS, values) if value is not None]


def positive_sums(book):
    return tuple(sum(v[j] for v in book.values() if v[j] is not None and v[j] > 0) for j in range(len(ASSETS)))


@given(books)
def test_every_positive_balance_is_kept_and_every_negative_is_listed(book):
    for read in (from_rows, from_ledger_rows):
        balances = read(rows_of(book), ASSETS, source="t", exclude_negative=True)
        assert balances.totals == positive_sums(book)
        held = dict(zip(balances.user_ids, balances.amounts.tolist()))
        for user, values in book.items():
            if any(v is not None and v > 0 for v in values):
                assert held[user] == [max(v or 0, 0) for v in values]
        listed = sorted((n.user_id, n.currency, n.amount) for n in balances.excluded_negative)
        assert listed == sorted((u, c, v) for u, c, v in rows_of(book) if v < 0)


@settings(max_examples=15)
@given(books)
def test_root_sums_equal_the_sum_of_all_positive_balances(tmp_path_factory, book):
    balances = from_rows(rows_of(book), ASSETS, source="t", exclude_negative=True)
    if not balances.user_ids:
        return
    commitment = build_tree(balances, epoch="e1", as_of="2026-11-01T00:00:00Z", private_key=KEY,
                            out_dir=tmp_path_factory.mktemp("neg") / "t")
    assert commitment.root_sums == positive_sums(book)
    assert np.all(balances.amounts >= 0)
