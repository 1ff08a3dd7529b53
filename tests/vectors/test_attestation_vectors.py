"""The attestation pair vectors of `pos_assets_anchor.json` (docs/SPEC.md 8.8 checks 6, 15 and 16):
the attested network against the pinned one (`WRONG_NETWORK`), channel funding outpoints against
the listed UTXO outpoints and bria's UTXOs against the cold and lnd ones (`DOUBLE_COUNTED`), and
bria's balances against its UTXOs (`TOTAL_MISMATCH`, SPEC 8.3). Checked by a minimal checker written from
the SPEC text (stdlib only), and by the verifier's own steps run on a real attestation (the
publication fixture's signed `assets.json`) changed to hold the vector's inputs."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

HERE = Path(__file__).parent
VECTORS = json.loads((HERE / "pos_assets_anchor.json").read_text())
NETWORKS = [c for c in VECTORS["tests"] if c["kind"] == "network"]
DOUBLE_COUNTS = [c for c in VECTORS["tests"] if c["kind"] == "double_count"]
BRIA_BALANCES = [c for c in VECTORS["tests"] if c["kind"] == "bria_balance"]
FIXTURE = HERE.parent / "verifier" / "fixtures" / "publication" / "2026-11-20" / "public" / "assets.json"


def independent(case: dict) -> tuple[str, str | None]:
    if case["kind"] == "bria_balance":
        # SPEC 8.3: utxo_settled + utxo_pending_incoming = the UTXOs; utxo_settled <= the confirmed ones.
        total = sum(amount for amount, _ in case["utxos"])
        confirmed = sum(amount for amount, height in case["utxos"] if height is not None)
        ok = case["utxo_settled"] + case["utxo_pending_incoming"] == total and case["utxo_settled"] <= confirmed
        return ("valid", None) if ok else ("invalid", "TOTAL_MISMATCH")
    if case["kind"] == "network":
        # SPEC 8.8 #6: `network` equals `--network` (default `mainnet`).
        return ("valid", None) if case["network"] == (case["pinned"] or "mainnet") else ("invalid", "WRONG_NETWORK")
    # SPEC 8.8 #15: no listed UTXO is the channel_point of an open or pending channel, and no bria
    # UTXO is also a cold or lnd one.
    funding = set(case["channels"]) | {point for _, point in case["pending_channels"]}
    others = case["cold_utxos"] + (case["onchain_utxos"] or [])
    bria = case["bria_utxos"] or []
    return ("invalid", "DOUBLE_COUNTED") if funding & set(others + bria) or set(others) & set(bria) else ("valid", None)


@pytest.fixture(scope="module")
def real():
    from verifier import canonical
    from verifier.assets.artifact import Attestation

    return Attestation.parse(canonical.loads(FIXTURE.read_bytes()))


def _built(real, case: dict):
    """The real attestation holding the case's inputs (the steps read nothing else)."""
    from verifier.assets.artifact import Bria, PendingChannel

    if case["kind"] == "network":
        return dataclasses.replace(real, network=case["network"])
    if case["kind"] == "bria_balance":
        utxos = tuple(dataclasses.replace(real.cold_utxos[0], vout=i, amount=amount, height=height)
                      for i, (amount, height) in enumerate(case["utxos"]))
        return dataclasses.replace(real, format="pos-assets/3",
                                   bria=Bria("w", case["utxo_settled"], case["utxo_pending_incoming"], utxos))

    def utxo(outpoint: str):
        txid, vout = outpoint.split(":")
        return dataclasses.replace(real.cold_utxos[0], txid=txid, vout=int(vout))

    pending = [PendingChannel(kind, point, 1000, 400, 600, "local", "ANCHORS", 400) for kind, point in case["pending_channels"]]
    return dataclasses.replace(
        real, channels=tuple(dataclasses.replace(real.channels[0], channel_point=p) for p in case["channels"]),
        pending_channels=tuple(pending), cold_utxos=tuple(utxo(op) for op in case["cold_utxos"]),
        onchain_utxos=None if case["onchain_utxos"] is None else tuple(utxo(op) for op in case["onchain_utxos"]),
        format="pos-assets/3", bria=None if case["bria_utxos"] is None else Bria("w", 0, 0, tuple(utxo(op) for op in case["bria_utxos"])))


def verifier(real, case: dict) -> tuple[str, str | None]:
    from verifier.assets.attestation import AttestationState, check_bria_balance, check_double_counting, check_network
    from verifier.errors import VerificationError

    step = {"network": check_network, "double_count": check_double_counting, "bria_balance": check_bria_balance}[case["kind"]]
    attestation = _built(real, case)
    state = AttestationState(attestation.to_json(), None, parsed=attestation, expected_network=case.get("pinned"))  # type: ignore[arg-type]
    try:
        step(state)
    except VerificationError as exc:
        return "invalid", str(exc.reason)
    assert state.checked, "a passing step says what it checked"
    return "valid", None


def _id(case: dict) -> str:
    return f"{case['tcId']}-{case['kind']}-{case['comment'][:40]}"


def test_both_codes_and_both_verdicts_are_covered():
    assert {(c["result"], c["reason"]) for c in NETWORKS} == {("valid", None), ("invalid", "WRONG_NETWORK")}
    assert {(c["result"], c["reason"]) for c in DOUBLE_COUNTS} == {("valid", None), ("invalid", "DOUBLE_COUNTED")}
    assert {(c["result"], c["reason"]) for c in BRIA_BALANCES} == {("valid", None), ("invalid", "TOTAL_MISMATCH")}
    assert any(c["bria_utxos"] for c in DOUBLE_COUNTS if c["result"] == "invalid")


@pytest.mark.parametrize("case", NETWORKS + DOUBLE_COUNTS + BRIA_BALANCES, ids=_id)
def test_independent_checker(case):
    assert independent(case) == (case["result"], case["reason"])


@pytest.mark.parametrize("case", NETWORKS + DOUBLE_COUNTS + BRIA_BALANCES, ids=_id)
def test_verifier_step_on_a_real_attestation(real, case):
    assert verifier(real, case) == (case["result"], case["reason"])
