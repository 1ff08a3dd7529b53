"""The hash chain: canonical content, entry ids and verification of in-memory entries."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.chain import (
    EMPTY_DIGEST,
    ChainBroken,
    canonical_content,
    canonical_content_slow,
    content_hash,
    make_entry_id,
    verify_chain,
)
from ledger.clock import MAX_TIME_US
from ledger.entries import JournalEntry, Posting, entry_id_problem, transfer
from ledger.sqlite.store import SQLiteStore, seq_of_entry_id

TEXT = st.text(max_size=20)
SCALARS = st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | TEXT


@given(
    postings=st.lists(st.tuples(TEXT, TEXT, st.sampled_from(["debit", "credit"]), st.integers(1, 2**53 - 1)), min_size=2, max_size=4),
    memo=TEXT,
    metadata=st.dictionaries(st.text(min_size=1, max_size=5), SCALARS, max_size=3),
    reporting=st.none() | st.integers(0, 2**62),
    key=st.none() | TEXT,
    reverses=st.none() | TEXT,
)
def test_fast_canonical_content_equals_the_generic_encoder(postings, memo, metadata, reporting, key, reverses):
    entry = JournalEntry(tuple(Posting(*p) for p in postings), memo, tuple(sorted(metadata.items())), reporting, key, reverses)
    assert canonical_content(entry) == canonical_content_slow(entry)


def test_content_hash_depends_on_every_field():
    base = transfer("Assets:A", "Liabilities:b", "BTC", 5, "m", metadata=(("k", "v"),), reporting_at=7, idempotency_key="i")
    variants = [
        dataclasses.replace(base, memo="n"),
        dataclasses.replace(base, metadata=(("k", "w"),)),
        dataclasses.replace(base, reporting_at=8),
        dataclasses.replace(base, reporting_at=None),
        dataclasses.replace(base, idempotency_key="j"),
        dataclasses.replace(base, postings=base.postings[::-1]),
        transfer("Assets:A", "Liabilities:b", "BTC", 6, "m", metadata=(("k", "v"),), reporting_at=7, idempotency_key="i"),
        transfer("Assets:A", "Liabilities:b", "USD", 5, "m", metadata=(("k", "v"),), reporting_at=7, idempotency_key="i"),
    ]
    hashes = {content_hash(v) for v in variants}
    assert content_hash(base) not in hashes and len(hashes) == len(variants)


@given(st.lists(st.integers(0, MAX_TIME_US - 1), min_size=2, max_size=20, unique=True), st.integers(1, 2**40))
def test_entry_ids_sort_in_commit_order_and_embed_the_seq(times, seq0):
    times.sort()
    ids = [make_entry_id(t, seq0 + i) for i, t in enumerate(times)]
    assert ids == sorted(ids)
    for i, entry_id in enumerate(ids):
        assert entry_id_problem(entry_id) is None
        assert seq_of_entry_id(entry_id) == seq0 + i


def test_verify_chain_detects_every_kind_of_change(tmp_path):
    with SQLiteStore(str(tmp_path / "l.db")) as store:
        posted = list(store.post_batch([transfer("Assets:A", f"Liabilities:u{i}", "BTC", 10 + i) for i in range(4)]))
    assert verify_chain([]) == EMPTY_DIGEST
    assert verify_chain(posted).entry_count == 4
    bad_entry = dataclasses.replace(posted[1].entry, memo="edited")
    cases = [
        posted[:1] + posted[2:],  # deleted
        [posted[1], posted[0], *posted[2:]],  # reordered
        [posted[0], dataclasses.replace(posted[1], entry=bad_entry), *posted[2:]],
        [posted[0], dataclasses.replace(posted[1], committed_at=posted[0].committed_at), *posted[2:]],
        [posted[0], dataclasses.replace(posted[1], reporting_at=1), *posted[2:]],
        [posted[0], dataclasses.replace(posted[1], entry_hash="00" * 32), *posted[2:]],
        [posted[0], dataclasses.replace(posted[1], prev_hash="11" * 32), *posted[2:]],
        [posted[0], dataclasses.replace(posted[1], entry_id=make_entry_id(posted[1].committed_at, 9)), *posted[2:]],
    ]
    for case in cases:
        with pytest.raises(ChainBroken):
            verify_chain(case)
