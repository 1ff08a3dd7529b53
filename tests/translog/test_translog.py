"""The transparency log: the prover's RFC 9162 proofs over pymerkle storage, and the verifier's
independent RFC 9162 verification (docs/SPEC.md section 10).

The roots are also recomputed here by a third, minimal implementation of RFC 9162 section 2.1.1
(MTH), so that prover, verifier and this test would all have to be wrong in the same way.
"""

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.translog import LogError, TransparencyLog
from verifier import canonical
from verifier.errors import CannotVerify
from verifier.translog import InvalidLogProof, LogConsistency, LogInclusion

MAX_N = 33


def mth(entries):
    """RFC 9162 section 2.1.1, written directly from the text."""
    if not entries:
        return hashlib.sha256(b"").digest()
    if len(entries) == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = 1
    while k * 2 < len(entries):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(entries[:k]) + mth(entries[k:])).digest()


def entry(i):
    return hashlib.sha256(f"commitment {i}".encode()).digest()


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    path = tmp_path_factory.mktemp("log") / "log.db"
    with TransparencyLog(path) as log:
        for i in range(MAX_N):
            assert log.append(entry(i)) == i
        yield log


def test_roots_agree_with_rfc_mth_for_every_size(log):
    entries = [entry(i) for i in range(MAX_N)]
    for size in range(0, MAX_N + 1):
        assert log.root(size) == mth(entries[:size])


def test_every_inclusion_proof_verifies(log):
    count = 0
    for size in range(1, MAX_N + 1):
        for index in range(size):
            proof = log.prove_inclusion(index, size)
            assert proof.log_root == mth([entry(i) for i in range(size)])
            assert proof.entry == entry(index)
            LogInclusion.from_json(proof.to_json()).verify()
            count += 1
    assert count == MAX_N * (MAX_N + 1) // 2


def test_every_consistency_proof_verifies(log):
    for second in range(1, MAX_N + 1):
        for first in range(1, second + 1):
            proof = log.prove_consistency(first, second)
            LogConsistency.from_json(proof.to_json()).verify()


def _flip(h: bytes, bit: int) -> bytes:
    b = bytearray(h)
    b[bit // 8] ^= 1 << (bit % 8)
    return bytes(b)


def _path_mutations(path):
    for i in range(len(path)):
        yield f"flip path[{i}]", path[:i] + (_flip(path[i], 0),) + path[i + 1 :]
        yield f"drop path[{i}]", path[:i] + path[i + 1 :]
    for i in range(len(path) - 1):
        if path[i] != path[i + 1]:
            yield f"swap path[{i}]", path[:i] + (path[i + 1], path[i]) + path[i + 2 :]
    yield "append hash", path + (entry(999),)
    yield "prepend hash", (entry(999),) + path


def test_every_single_mutation_of_an_inclusion_proof_fails(log):
    from dataclasses import replace

    for size in range(1, 20):
        for index in range(size):
            proof = log.prove_inclusion(index, size)
            mutants = [(name, replace(proof, path=p)) for name, p in _path_mutations(proof.path)]
            mutants += [
                ("flip root", replace(proof, log_root=_flip(proof.log_root, 7))),
                ("flip entry", replace(proof, entry=_flip(proof.entry, 255))),
                ("other entry", replace(proof, entry=entry(index + 1))),
            ]
            mutants += [(f"index {j}", replace(proof, leaf_index=j)) for j in range(size + 1) if j != index]
            for name, mutant in mutants:
                with pytest.raises(InvalidLogProof):
                    mutant.verify()
                    pytest.fail(f"size {size} index {index}: mutation {name!r} was accepted")


def test_every_single_mutation_of_a_consistency_proof_fails(log):
    from dataclasses import replace

    for second in range(2, 20):
        for first in range(1, second):
            proof = log.prove_consistency(first, second)
            mutants = [(name, replace(proof, path=p)) for name, p in _path_mutations(proof.path)]
            mutants += [
                ("flip first root", replace(proof, first_root=_flip(proof.first_root, 3))),
                ("flip second root", replace(proof, second_root=_flip(proof.second_root, 3))),
                ("swap roots", replace(proof, first_root=proof.second_root, second_root=proof.first_root)),
                ("forked history", replace(proof, first_root=mth([entry(i + 100) for i in range(first)]))),
            ]
            for name, mutant in mutants:
                with pytest.raises(InvalidLogProof):
                    mutant.verify()
                    pytest.fail(f"{first}->{second}: mutation {name!r} was accepted")


def test_rewritten_history_has_no_consistency_proof(tmp_path):
    """A bank that replaces epoch 1's commitment after publishing cannot link the roots."""
    with TransparencyLog(tmp_path / "honest.db") as honest, TransparencyLog(tmp_path / "forged.db") as forged:
        for i in range(3):
            honest.append(entry(i))
        published_root_3 = honest.root(3)
        forged.append(entry(0))
        forged.append(entry(12345))  # the rewritten epoch
        for i in range(2, 6):
            forged.append(entry(i))
        proof = forged.prove_consistency(3, 6)
        with pytest.raises(InvalidLogProof) as excinfo:
            LogConsistency(3, published_root_3, 6, proof.second_root, proof.path).verify()
        assert excinfo.value.reason == "LOG_CONSISTENCY_INVALID"


def test_equal_sizes_with_different_roots_is_a_fork():
    with pytest.raises(InvalidLogProof) as excinfo:
        LogConsistency(2, mth([entry(0), entry(1)]), 2, mth([entry(0), entry(2)]), ()).verify()
    assert excinfo.value.reason == "LOG_FORKED"


def test_shrinking_log_is_rejected():
    with pytest.raises(InvalidLogProof) as excinfo:
        LogConsistency(3, entry(0), 2, entry(1), (entry(2),)).verify()
    assert excinfo.value.reason == "LOG_SIZE_DECREASED"


def test_log_storage_is_append_only(log, tmp_path):
    import sqlite3

    with TransparencyLog(tmp_path / "l.db") as small:
        small.append(entry(0))
    con = sqlite3.connect(tmp_path / "l.db")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE leaf SET hash = ?", (b"x" * 32,))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM leaf")
    con.close()


def test_prover_refuses_bad_requests(log):
    with pytest.raises(LogError):
        log.append(b"short")
    with pytest.raises(LogError):
        log.prove_inclusion(MAX_N, MAX_N)
    with pytest.raises(LogError):
        log.prove_consistency(0, 3)
    with pytest.raises(LogError):
        log.prove_consistency(4, 3)


@pytest.mark.parametrize(
    "change",
    [
        {"format": "pos-log/2"},
        {"type": "consistency"},
        {"log_size": "3"},
        {"log_size": True},
        {"log_root": "AB" * 32},
        {"log_root": "ab" * 31},
        {"path": ["zz" * 32]},
        {"extra": 1},
    ],
)
def test_json_form_is_strict(log, change):
    data = dict(log.prove_inclusion(1, 3).to_json(), **change)
    expected = CannotVerify if "format" in change else InvalidLogProof
    with pytest.raises(expected):
        LogInclusion.from_json(data)


def test_json_form_is_canonical_json(log):
    data = log.prove_consistency(3, 7).to_json()
    assert canonical.loads(canonical.dumps(data)) == data


@settings(max_examples=40)
@given(size=st.integers(1, 300), data=st.data())
def test_random_large_sizes(tmp_path_factory, size, data):
    index = data.draw(st.integers(0, size - 1))
    first = data.draw(st.integers(1, size))
    entries = [entry(i) for i in range(size)]
    with TransparencyLog(tmp_path_factory.mktemp("r") / "log.db") as log:
        for e in entries:
            log.append(e)
        assert log.root() == mth(entries)
        log.prove_inclusion(index).verify()
        log.prove_consistency(first).verify()
