"""The typed attestation: strict `parse`, `to_json`/`to_bytes` symmetric with it, and the prover's bytes.

Properties: for every attestation the strategies build, ``Attestation.parse(a.to_json()) == a`` and
``Attestation.from_bytes(a.to_bytes()) == a``; the typed prover (`solvency.reserves.attest.attest`)
writes exactly the bytes of ``solvency assets attest``; any unknown or missing member, wrong type
or non-canonical decimal is refused with a reason, never a crash.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from datetime import UTC, datetime
from pathlib import Path

import assets_builder as b
import pytest
from assets_cli import EPOCH
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.reserves.attest import attest, commitment_copy
from solvency.reserves.snapshot import load_snapshot
from verifier import canonical
from verifier.assets.address import NETWORK_NAMES
from verifier.assets.anchor import BlockHeader
from verifier.assets.artifact import (
    PENDING_KINDS,
    PROOF_FORMATS,
    Anchor,
    Attestation,
    Bria,
    Channel,
    CommitmentCopy,
    NodeSignature,
    Onchain,
    PendingChannel,
    Price,
    ProofOfControl,
    Statement,
    StatementRow,
    Totals,
    Utxo,
)
from verifier.assets.artifact import Combined as CombinedView
from verifier.assets.errors import CannotVerify, InvalidAttestation, Reason
from verifier.schema import UtcTime
from verifier.signature import Signature

SAT = st.integers(0, 21_000_000 * 10**8)
HEX64 = st.binary(min_size=32, max_size=32).map(bytes.hex)
PUBKEY = st.tuples(st.sampled_from(["02", "03"]), HEX64).map("".join)
OUTPOINT = st.tuples(HEX64, st.integers(0, 2**32 - 1)).map(lambda t: f"{t[0]}:{t[1]}")
EPOCHS = st.from_regex(r"[A-Za-z0-9._:-]{1,64}", fullmatch=True)
CODES = st.from_regex(r"[A-Z][A-Z0-9]{1,11}", fullmatch=True)
TEXT = st.text(max_size=30)
DECIMAL = st.integers(-(10**30), 10**30)
TIMES = st.datetimes(min_value=datetime(1000, 1, 1), timezones=st.just(UTC)).map(lambda d: UtcTime.of(d.replace(microsecond=0)))


@st.composite
def commitment_copies(draw: st.DrawFn) -> CommitmentCopy:
    codes = tuple(draw(st.lists(CODES, min_size=1, max_size=4, unique=True)))
    sums = tuple(draw(st.lists(st.integers(0, 2**128 - 1), min_size=len(codes), max_size=len(codes))))
    return CommitmentCopy(draw(HEX64), draw(EPOCHS), codes, sums, draw(TIMES))


HEADERS = st.builds(BlockHeader, st.integers(-(2**31), 2**31 - 1), HEX64, HEX64, st.integers(0, 2**32 - 1),
                    st.from_regex(r"[0-9a-f]{8}", fullmatch=True), st.integers(0, 2**32 - 1))
CHANNELS = st.builds(Channel, OUTPOINT, st.integers(0, 2**64 - 1).map(str), PUBKEY, st.booleans(), SAT, SAT, SAT, SAT, SAT,
                     TEXT, st.booleans(), st.integers(0, 966))


@st.composite
def pending_channels(draw: st.DrawFn) -> PendingChannel:
    kind = draw(st.sampled_from(PENDING_KINDS))
    capacity = draw(SAT)
    local, remote = draw(st.integers(0, capacity)), draw(st.integers(0, capacity))
    limbo = local if kind == "pending_open" else draw(st.integers(0, capacity))
    return PendingChannel(kind, draw(OUTPOINT), capacity, local, remote, draw(TEXT), draw(TEXT), limbo)


UTXOS = st.builds(Utxo, HEX64, st.integers(0, 2**32 - 1), SAT, st.binary(min_size=1, max_size=40).map(bytes.hex), TEXT,
                  st.none() | TEXT, st.none() | st.integers(0, 2**32 - 1))
PRICES = st.builds(Price, st.integers(1, 2**53 - 1), st.text(min_size=1, max_size=200), TIMES)
STATEMENTS = st.builds(
    Statement,
    st.lists(st.builds(StatementRow, CODES, TEXT, DECIMAL, DECIMAL, DECIMAL), max_size=4).map(tuple),
    st.none() | PRICES,
    st.none() | st.builds(CombinedView, DECIMAL, DECIMAL, DECIMAL),
)
TOTALS = st.builds(Totals, *[st.integers(0, 2**53 - 1)] * 12)
BRIAS = st.builds(Bria, st.from_regex(r"[0-9A-Za-z_.:-]{1,100}", fullmatch=True), SAT, SAT, st.lists(UTXOS, max_size=3).map(lambda us: _distinct(us, lambda u: u.outpoint)))


def _distinct(items: list, key) -> tuple:
    seen, out = set(), []
    for item in items:
        if key(item) not in seen:
            seen.add(key(item))
            out.append(item)
    return tuple(out)


@st.composite
def attestations(draw: st.DrawFn) -> Attestation:
    points = _distinct(draw(st.lists(st.one_of(CHANNELS, pending_channels()), max_size=4)), lambda c: c.channel_point)
    utxos = _distinct(draw(st.lists(UTXOS, max_size=5)), lambda u: (u.txid, u.vout))
    split = draw(st.integers(0, len(utxos)))
    proofs = _distinct(draw(st.lists(st.builds(ProofOfControl, TEXT, st.sampled_from(PROOF_FORMATS), TEXT), max_size=4)),
                       lambda p: p.address)
    fmt = draw(st.sampled_from(["pos-assets/2", "pos-assets/3"]))
    totals = draw(TOTALS)
    if fmt == "pos-assets/2":  # a /2 attestation has neither bria nor its categories
        totals = dataclasses.replace(totals, bria_confirmed=0, bria_unconfirmed=0)
    return Attestation(
        format=fmt, bria=None if fmt == "pos-assets/2" else draw(st.none() | BRIAS),
        epoch=draw(EPOCHS), network=draw(st.sampled_from(sorted(NETWORK_NAMES))),
        anchor=Anchor(draw(st.integers(0, 2**32 - 1)), draw(HEX64), draw(HEADERS)), commitment=draw(commitment_copies()),
        challenge=draw(TEXT), node_pubkey=draw(PUBKEY),
        channels=tuple(c for c in points if isinstance(c, Channel)),
        pending_channels=tuple(c for c in points if isinstance(c, PendingChannel)),
        onchain=draw(st.builds(Onchain, SAT, SAT, SAT, SAT)),
        onchain_utxos=draw(st.none() | st.just(utxos[split:])), cold_utxos=utxos[:split], proofs=proofs,
        totals=totals, statement=draw(STATEMENTS),
        node_signature=NodeSignature(draw(TEXT), draw(TEXT)),
        signature=Signature(draw(st.binary(min_size=16, max_size=16)).hex(), draw(st.binary(min_size=64, max_size=64))),
    )


@settings(max_examples=200, deadline=None)
@given(attestations())
def test_parse_of_to_json_is_the_identity(attestation):
    assert Attestation.parse(attestation.to_json()) == attestation
    assert Attestation.from_bytes(attestation.to_bytes()) == attestation
    assert attestation.to_bytes() == canonical.dump_file_bytes(attestation.to_json())


def test_the_typed_prover_writes_the_bytes_of_the_cli(attested, bank, snapshot):
    """`attest()` gives the very file `solvency assets attest` wrote (Ed25519 is deterministic)."""
    published = attested.read_bytes()
    directory = attested.parent / "snap"
    snap = load_snapshot(directory)
    typed = attest(snap, EPOCH, commitment_copy(bank["commitment"], EPOCH, bank["private"].public_key()), bank["private"])
    assert typed.to_bytes() == published
    assert Attestation.from_bytes(published) == typed
    assert Attestation.from_bytes(published).to_bytes() == published


def _member_paths(value, path=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield path + (k,)
            yield from _member_paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _member_paths(v, path + (i,))


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    """(a typed attestation signed by the prover, the bank key, the commitment)."""
    from solvency.keys import generate_key

    root = tmp_path_factory.mktemp("artifact")
    private = generate_key(root / "bank.key")
    commitment = b.commitment(private, EPOCH)
    directory = b.Snapshot(EPOCH, commitment).write(root / "snap")
    copy_ = commitment_copy(commitment, EPOCH, private.public_key())
    return attest(load_snapshot(directory), EPOCH, copy_, private), private, commitment


@pytest.fixture(scope="module")
def published(signed):
    return signed[0].to_json()


def test_unknown_and_missing_members_are_refused(published):
    for path in _member_paths(published):
        missing = copy.deepcopy(published)
        target = missing
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]
        with pytest.raises((InvalidAttestation, CannotVerify)):
            Attestation.parse(missing)
    extra = copy.deepcopy(published)
    extra["anchor"]["time"] = 0
    with pytest.raises(InvalidAttestation) as info:
        Attestation.parse(extra)
    assert info.value.reason == Reason.SCHEMA


@pytest.mark.parametrize(
    "edit,reason",
    [
        (lambda d: d["anchor"].update(height=True), Reason.SCHEMA),
        (lambda d: d["onchain"].update(total=1.0), Reason.SCHEMA),
        (lambda d: d["commitment"].update(root_sums=["01", "1"]), Reason.SCHEMA),
        (lambda d: d["statement"]["per_asset"][0].update(margin="-0"), Reason.SCHEMA),
        (lambda d: d["totals"].update(cold_storage=-1), Reason.SCHEMA),
        (lambda d: d["cold_utxos"].append(d["cold_utxos"][0]), Reason.SCHEMA),
        (lambda d: d["pending_channels"][0].update(limbo=10**9), Reason.ESCROW_MISMATCH),
        (lambda d: d["signature"].update(value="00"), Reason.BAD_SIGNATURE),
        (lambda d: d.update(format="pos-assets/4"), Reason.UNSUPPORTED_VERSION),
        (lambda d: d.update(format="pos-assets/2"), Reason.SCHEMA),
        (lambda d: d.pop("bria"), Reason.SCHEMA),
        (lambda d: d.update(format="pos-assets/1"), Reason.UNSUPPORTED_VERSION),
        (lambda d: d["anchor"]["header"].update(bits="1d00ffff0"), Reason.SCHEMA),
        (lambda d: d["anchor"]["header"].update(version=2**31), Reason.SCHEMA),
        (lambda d: d["anchor"].pop("header"), Reason.SCHEMA),
        (lambda d: d["commitment"].update(as_of="2026-11-20 23:59:59"), Reason.SCHEMA),
        (lambda d: d.update(network="liquid"), Reason.UNSUPPORTED_NETWORK),
        (lambda d: d["proofs"][0].update(format="bip322-full"), Reason.UNSUPPORTED_PROOF),
    ],
    ids=["bool-int", "float", "leading-zero", "minus-zero", "negative", "duplicate-utxo", "limbo", "signature",
         "version", "v2-with-bria", "v3-without-bria", "version-1", "bits-length", "header-version-range", "no-header", "as-of", "network", "proof-format"],
)
def test_strict_parse_reasons(published, edit, reason):
    doc = copy.deepcopy(published)
    edit(doc)
    with pytest.raises((InvalidAttestation, CannotVerify)) as info:
        Attestation.parse(doc)
    assert info.value.reason == reason


def test_a_failed_check_names_the_checks_passed_before_it(signed):
    from dataclasses import replace

    from solvency.keys import sign
    from verifier.assets.attestation import STEPS, verify_attestation

    attestation, private, commitment = signed
    facts = verify_attestation(attestation.to_json(), private.public_key(), commitment=commitment)
    assert any("proofs of control" in line for line in facts.checked)
    totals = replace(attestation.totals, cold_storage=attestation.totals.cold_storage + 1)
    lie = replace(attestation, totals=totals, node_signature=None, signature=None)
    lie = sign(lie.with_node_signature(NodeSignature(lie.node_message(), b.lnd_node_sign(b.NODE, lie.node_message()))), private)
    with pytest.raises(InvalidAttestation) as info:
        verify_attestation(lie.to_json(), private.public_key(), commitment=commitment)
    names = [step.name for step in STEPS]
    assert info.value.reason == Reason.TOTAL_MISMATCH
    assert info.value.passed == tuple(names[: names.index("escrow and totals")])


GOLDEN = Path(__file__).parent / "vectors" / "assets-golden.json"


def test_published_bytes_equal_the_golden_vector(tmp_path):
    """The golden file is a pos-assets/2 attestation, published before bria's wallet could be
    attested (tests/assets/vectors/README.md): it still parses, round-trips byte for byte and
    verifies; today's prover writes the same content as pos-assets/3, and the same attestation
    written as /2 (no ``bria`` member, no bria categories) and re-signed is exactly those bytes."""
    from solvency.demo.wallets import lnd_node_sign
    from solvency.keys import sign
    from verifier.assets.attestation import verify_attestation

    private = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"pos-test golden bank key").digest())
    commitment = b.commitment(private, "2026-11")
    directory = b.Snapshot("2026-11", commitment).write(tmp_path / "snap")
    copy_ = commitment_copy(commitment, "2026-11", private.public_key())
    typed = attest(load_snapshot(directory), "2026-11", copy_, private)
    golden = Attestation.from_bytes(GOLDEN.read_bytes())
    assert golden.format == "pos-assets/2" and golden.to_bytes() == GOLDEN.read_bytes()
    facts = verify_attestation(golden.to_json(), private.public_key(), commitment=commitment, expected_network="regtest")
    assert "format pos-assets/2 and schema" in facts.checked and "bria_confirmed" not in facts.facts["totals_sat"]
    assert typed.format == "pos-assets/3" and typed.to_json()["bria"] is None
    as_v2 = dataclasses.replace(typed, format="pos-assets/2", node_signature=None, signature=None)
    as_v2 = sign(as_v2.with_node_signature(NodeSignature(as_v2.node_message(), lnd_node_sign(b.NODE, as_v2.node_message()))), private)
    assert as_v2.to_bytes() == GOLDEN.read_bytes()
