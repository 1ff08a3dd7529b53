"""The typed artifacts (docs/SPEC.md sections 4, 5, 11.2, 11.3, 12, 13): `parse` and `to_json` are
exact inverses, `to_json` gives the bytes of the SPEC vectors and of a real publication, and
`parse` refuses unknown, missing and mistyped members and unknown versions."""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verifier import canonical
from verifier.assets.artifact import Statement, StatementRow
from verifier.bundle import Bundle
from verifier.commitment import BalanceDefinition, Commitment, LedgerDigest, Privacy
from verifier.definition import Definition
from verifier.epoch import Epoch, LogHead, Previous
from verifier.errors import (
    CannotVerify,
    InvalidBundle,
    InvalidCommitment,
    InvalidEpoch,
    InvalidLogHead,
    InvalidProof,
    InvalidReceipt,
    Reason,
)
from verifier.merkle import Sibling
from verifier.proof import Proof, ProofLeaf
from verifier.receipt import Receipt
from verifier.schema import UtcTime
from verifier.signature import Signature
from verifier.translog import LogConsistency, LogInclusion

HERE = Path(__file__).parent
VECTORS = json.loads((HERE.parent / "vectors" / "pos_mst_proofs.json").read_text())
FIXTURES = HERE / "fixtures"

# Strategies: every value the SPEC allows, nothing else.
hashes = st.binary(min_size=32, max_size=32)
key_ids = st.text("0123456789abcdef", min_size=32, max_size=32)
epoch_ids = st.text("abcXYZ019._:-", min_size=1, max_size=64)
asset_lists = st.lists(st.from_regex(r"[A-Z][A-Z0-9]{1,11}", fullmatch=True), min_size=1, max_size=16, unique=True).map(tuple)
times = st.datetimes(timezones=st.just(UTC)).map(lambda d: UtcTime.of(d.replace(microsecond=0)))
user_ids = st.text(st.characters(min_codepoint=0x20, blacklist_categories=("Cs",), blacklist_characters="\x7f"), min_size=1, max_size=60)
u64 = st.integers(0, 2**64 - 1)
u128 = st.integers(0, 2**128 - 1)
signatures = st.builds(Signature, key_id=key_ids, value=st.binary(min_size=64, max_size=64))
# The solvency statement of SPEC 8.7 (epoch.json carries it as JSON, in its exact schema).
i128 = st.integers(-(2**127), 2**127)
statement_rows = st.builds(StatementRow, st.from_regex(r"[A-Z][A-Z0-9]{1,11}", fullmatch=True), st.sampled_from(["sat", "cent"]),
                           i128, i128, i128)
statements = st.builds(Statement, st.lists(statement_rows, min_size=1, max_size=3).map(tuple), st.none(), st.none()).map(
    lambda s: s.to_json())


def signed(strategy):
    """An artifact strategy whose signer key id is the signature's (parse requires it)."""
    return st.tuples(strategy, signatures).map(lambda pair: pair[0].with_signature(pair[1]))


@st.composite
def commitments(draw, assets=None):
    assets = assets if assets is not None else draw(asset_lists)
    sig = draw(signatures)
    height = draw(st.integers(1, 40))
    return Commitment(
        epoch=draw(epoch_ids), as_of=draw(times), assets=assets, height=height,
        root_hash=draw(hashes), root_sums=tuple(draw(u128) for _ in assets),
        balance_definition=draw(st.none() | st.builds(BalanceDefinition, st.text(min_size=1, max_size=20), hashes)),
        ledger_digest=draw(st.none() | st.builds(LedgerDigest, st.integers(0, 2**53 - 1), st.binary(min_size=1, max_size=64))),
        signer_key_id=sig.key_id, signature=sig,
        privacy=draw(st.none() | st.builds(Privacy, st.integers(1, 64), st.integers(2, 1 << height))),
    )


@st.composite
def proofs(draw):
    commitment = draw(commitments())
    m = len(commitment.assets)
    # Proof-level amounts may be negative or too wide: SPEC 6 steps 6-7 give those their own reasons.
    amounts = st.integers(-(10**30), 10**40)
    sibling = st.builds(Sibling, hashes, st.tuples(*[amounts] * m))
    leaf = st.builds(ProofLeaf, st.integers(0, 2**53 - 1), hashes, st.tuples(*[amounts] * m),
                     st.lists(sibling, max_size=4).map(tuple))
    return Proof(draw(epoch_ids), draw(user_ids), draw(st.tuples(*[amounts] * m)),
                 tuple(draw(st.lists(leaf, min_size=1, max_size=3))), commitment)


@st.composite
def epochs(draw):
    sequence = draw(st.integers(0, 2**53 - 1))
    previous = None if sequence == 0 else draw(st.builds(Previous, epoch_ids, hashes))
    sig = draw(signatures)
    attestation = draw(st.none() | hashes)  # the statement is null exactly when no attestation is bound
    return Epoch(draw(epoch_ids), sequence, draw(times), draw(hashes), attestation,
                 None if attestation is None else draw(statements), previous, sig.key_id, sig)


sizes = st.integers(1, 2**53 - 1)
paths = st.lists(hashes, max_size=8).map(tuple)
inclusions = st.builds(LogInclusion, log_size=sizes, log_root=hashes, leaf_index=st.integers(0, 2**53 - 1), entry=hashes, path=paths)
consistencies = st.builds(LogConsistency, first_size=sizes, first_root=hashes, second_size=sizes, second_root=hashes, path=paths)


@st.composite
def log_heads(draw):
    sig = draw(signatures)
    return LogHead(draw(epoch_ids), draw(hashes), draw(sizes), draw(hashes), draw(inclusions), draw(st.none() | consistencies),
                   sig.key_id, sig)


@st.composite
def receipts(draw):
    assets = draw(asset_lists)
    sig = draw(signatures)
    return Receipt(draw(epoch_ids), draw(hashes), draw(user_ids), assets, tuple(draw(u64) for _ in assets), draw(times),
                   sig.key_id, sig)


bundles = st.builds(Bundle, epochs(), log_heads(), proofs())


def round_trips(cls, artifact):
    doc = artifact.to_json()
    assert cls.parse(doc) == artifact
    # The JSON is canonical-encodable and survives the bytes too.
    assert cls.parse(canonical.loads(canonical.dumps(doc))) == artifact


@given(commitments())
def test_commitment_round_trip(artifact):
    round_trips(Commitment, artifact)


@given(proofs())
def test_proof_round_trip(artifact):
    round_trips(Proof, artifact)


@given(epochs())
def test_epoch_round_trip(artifact):
    round_trips(Epoch, artifact)


@given(log_heads())
def test_log_head_round_trip(artifact):
    round_trips(LogHead, artifact)


@given(bundles)
def test_bundle_round_trip(artifact):
    round_trips(Bundle, artifact)


@given(receipts())
def test_receipt_round_trip(artifact):
    round_trips(Receipt, artifact)


@given(inclusions, consistencies)
def test_log_proofs_round_trip(inclusion, consistency):
    round_trips(LogInclusion, inclusion)
    round_trips(LogConsistency, consistency)


def _signature_is_an_object(case) -> bool:
    # A signature member of another JSON type is refused when the proof is parsed (BAD_SIGNATURE).
    return isinstance(json.loads(case["proof"])["commitment"]["signature"], dict)


# The SPEC vectors: every proof that parses is written back byte for byte.
@pytest.mark.parametrize("case", [c for c in VECTORS["tests"] if c["reason"] not in
                                  ("NON_CANONICAL_ENCODING", "UNSUPPORTED_VERSION", "SCHEMA", "BAD_TREE_SHAPE")
                                  and _signature_is_an_object(c)],
                         ids=lambda c: str(c["tcId"]))
def test_to_json_gives_the_vector_bytes(case):
    text = case["proof"].encode()
    proof = Proof.parse(canonical.loads(text))
    assert canonical.dumps(proof.to_json()) == text.rstrip(b"\n")
    assert canonical.dumps(proof.commitment.to_json()) == canonical.dumps(json.loads(text)["commitment"])


def _fixture_files():
    for path in sorted(FIXTURES.rglob("*.json")):
        if path.name != "assets.json":  # the attestation is verifier.assets' artifact, tested in tests/assets
            yield pytest.param(path, id=str(path.relative_to(FIXTURES)))


KINDS = {"commitment": Commitment, "epoch": Epoch, "log-head": LogHead, "proof-bundle": Bundle, "receipt": Receipt}


@pytest.mark.parametrize("path", list(_fixture_files()))
def test_to_bytes_gives_the_published_bytes(path):
    """Files of a real publication (`solvency demo --users 12 --seed 5`, written by the dict-literal
    prover before it built these typed objects): parse, then write back exactly the same bytes."""
    data = path.read_bytes()
    doc = canonical.loads(data)
    artifact = Definition.parse(doc) if path.name == "definition.json" else KINDS[doc["type"]].parse(doc)
    assert artifact.to_bytes() == data


@pytest.mark.parametrize(
    "cls,valid,family",
    [(Commitment, "publication/2026-11-21/public/commitment.json", InvalidCommitment),
     (Epoch, "publication/2026-11-21/public/epoch.json", InvalidEpoch),
     (LogHead, "publication/2026-11-21/public/log-head.json", InvalidLogHead),
     (Receipt, "receipt.json", InvalidReceipt),
     (Bundle, "bundle.json", InvalidBundle)],
)
def test_parse_is_strict(cls, valid, family):
    doc = canonical.loads((FIXTURES / valid).read_bytes())
    cls.parse(doc)
    schema_reasons = {Reason.SCHEMA, Reason.EPOCH_SCHEMA, Reason.RECEIPT_SCHEMA, Reason.BUNDLE_SCHEMA}
    for change in ({"extra": 1}, {"epoch": 7}):
        with pytest.raises(family) as info:
            cls.parse({**doc, **change})
        assert info.value.reason in schema_reasons
    missing = {k: v for k, v in doc.items() if k != "type" and k != "format"}
    missing.pop(sorted(missing)[0])
    with pytest.raises(family):
        cls.parse({**missing, "format": doc["format"], "type": doc["type"]})
    with pytest.raises(CannotVerify) as info:
        cls.parse({**doc, "format": doc["format"][:-1] + "9"})
    assert info.value.reason == Reason.UNSUPPORTED_VERSION


def test_proof_parse_reports_the_embedded_commitment_in_the_proof_family():
    doc = canonical.loads(VECTORS["tests"][0]["proof"].encode())
    doc["commitment"] = {**doc["commitment"], "height": 4}
    with pytest.raises(InvalidProof) as info:
        Proof.parse(doc)
    assert info.value.reason == Reason.BAD_TREE_SHAPE


@pytest.mark.parametrize("text", ["2026-11-01T00:00:00Z", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_utc_time_accepts_its_one_form(text):
    assert str(UtcTime(text)) == text and UtcTime.of(UtcTime(text).to_datetime()) == text


@pytest.mark.parametrize("text", ["2026-11-01T00:00:00+00:00", "2026-11-01T00:00:00.5Z", "2026-02-30T00:00:00Z",
                                  "2026-11-01t00:00:00z", "2026-11-01T24:00:00Z", " 2026-11-01T00:00:00Z"])
def test_utc_time_refuses_every_other_form(text):
    with pytest.raises(ValueError):
        UtcTime(text)
