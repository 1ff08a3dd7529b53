"""Property: any corrupted value in any lncli/bitcoind file gives a named SnapshotError, never a crash."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import assets_builder as b
import pytest
from assets_cli import EPOCH
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvency.reserves.attest import build_attestation
from solvency.reserves.fields import SnapshotError
from solvency.reserves.snapshot import load_snapshot
from verifier.assets.artifact import CommitmentCopy, ProofOfControl
from verifier.schema import UtcTime

FILES = b.snapshot_files()
JSON_FILES = {name: (json.loads(v, parse_float=Decimal) if isinstance(v, str) else v) for name, v in FILES.items()}

SUMMARY = CommitmentCopy("ab" * 32, EPOCH, ("BTC", "USD"), (150_000_000, 3_000_000), UtcTime(b.AS_OF))
PROOFS = tuple(ProofOfControl(**p) for p in b.proofs_for(b.challenge_message(EPOCH, b.ANCHOR_HEIGHT, b.ANCHOR_HASH, SUMMARY.hash))["proofs"])

REPLACEMENTS = st.sampled_from([None, True, 1.5, -1, 0, 2**70, "", "-5", "x", "00", [], {}, [1], {"a": 1}])


def _leaves(value, path=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, path + (i,))
    yield path


def _default(o):
    if isinstance(o, Decimal):
        return float(o)  # only for writing the corrupted fixture back out
    raise TypeError


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_corrupted_value_is_a_named_error_or_harmless(tmp_path_factory, data):
    name = data.draw(st.sampled_from(sorted(JSON_FILES)))
    doc = copy.deepcopy(JSON_FILES[name])
    path = data.draw(st.sampled_from([p for p in _leaves(doc) if p]))
    replacement = data.draw(REPLACEMENTS)
    target = doc
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = replacement
    directory = tmp_path_factory.mktemp("corrupt")
    snap = b.Snapshot(EPOCH, {"format": "unused"})
    snap.files = dict(FILES)
    snap.files[name] = json.dumps(doc, default=_default)
    for file_name, value in snap.files.items():
        (directory / file_name).write_text(value if isinstance(value, str) else json.dumps(value))
    try:
        snapshot = load_snapshot(directory)
        # The prover's next step must not crash on what loading let through either.
        build_attestation(snapshot, EPOCH, SUMMARY, PROOFS, None)
    except SnapshotError as exc:
        assert exc.file and str(exc)


@pytest.mark.parametrize("name", sorted(FILES))
def test_truncated_file_is_a_named_error(tmp_path, name):
    for file_name, value in FILES.items():
        text = value if isinstance(value, str) else json.dumps(value)
        (tmp_path / file_name).write_text(text[: len(text) // 2] if file_name == name else text)
    with pytest.raises(SnapshotError) as info:
        load_snapshot(tmp_path)
    assert name in str(info.value)


def test_uncorrupted_baseline_builds(tmp_path):
    # Without this, the property above could pass vacuously by failing early on every example.
    for file_name, value in FILES.items():
        (tmp_path / file_name).write_text(value if isinstance(value, str) else json.dumps(value))
    attestation = build_attestation(load_snapshot(tmp_path), EPOCH, SUMMARY, PROOFS, None)
    assert attestation.totals.cold_storage == 187_345_678
