"""The anchor block checks of SPEC 8.8 (verifier/assets/anchor.py): header bytes -> hash, bits ->
target, the mainnet difficulty floor and the time window around the cut-off.

The vectors of scripts/gen_vectors.py (tests/vectors/pos_assets_anchor.json) are checked twice: by
the small independent checker below (hashlib and struct only, written from the Bitcoin protocol,
not from the verifier) and by the verifier. A real mainnet header is read from
../shared/vectors/node-outputs/ (its provenance is in the manifest there); it is never copied here.
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import pytest

from verifier.assets import anchor
from verifier.assets.errors import InvalidAttestation, Reason

HERE = Path(__file__).parent
VECTORS = json.loads((HERE.parent / "vectors" / "pos_assets_anchor.json").read_text())
# The anchor kinds; the network and double_count kinds are checked by tests/vectors/test_attestation_vectors.py.
ANCHOR_CASES = [c for c in VECTORS["tests"] if c["kind"] in ("header", "mainnet_floor", "time")]
SHARED_HEADER = Path(__file__).resolve().parents[2].parent / "shared" / "vectors" / "node-outputs" / "core" / "btcrpcclient89_getblockheader.json"


# --- an independent minimal checker -------------------------------------------------------------


def _serialize(h: dict) -> bytes:
    return (struct.pack("<i", h["version"]) + bytes.fromhex(h["previousblockhash"])[::-1] + bytes.fromhex(h["merkleroot"])[::-1]
            + struct.pack("<III", h["time"], int(h["bits"], 16), h["nonce"]))


def _target(bits: str) -> int | None:
    n = int(bits, 16)
    exponent, mantissa = n >> 24, n & 0x7FFFFF
    if mantissa and (n & 0x800000 or exponent > 34 or (mantissa > 0xFF and exponent > 33) or (mantissa > 0xFFFF and exponent > 32)):
        return None
    target = mantissa * 256 ** (exponent - 3) if exponent >= 3 else mantissa // 256 ** (3 - exponent)
    return target or None


LIMITS = {"mainnet": 2**224 - 1, "regtest": 2**255 - 1}


def _minimal(case: dict) -> tuple[str, str | None]:
    if case["kind"] == "header":
        digest = hashlib.sha256(hashlib.sha256(_serialize(case["header"])).digest()).digest()[::-1].hex()
        assert _serialize(case["header"]).hex() == case["header_hex"]
        if digest != case["hash"]:
            return "invalid", "ANCHOR_HEADER_MISMATCH"
        target = _target(case["header"]["bits"])
        if target is None or target > LIMITS[case["network"]] or int(digest, 16) > target:
            return "invalid", "ANCHOR_POW_INVALID"
        return "valid", None
    if case["kind"] == "mainnet_floor":
        target = _target(case["bits"])
        assert target is not None and f"{target:064x}" == case["target"]
        return ("valid", None) if (0xFFFF << 208) // target >= VECTORS["difficulty_floor"] else ("invalid", "ANCHOR_DIFFICULTY_TOO_LOW")
    cutoff = 1795219199
    assert case["as_of"] == "2026-11-20T23:59:59Z"
    if case["header_time"] < cutoff - 6 * 3600:
        return "invalid", "ANCHOR_TOO_OLD"
    if case["header_time"] > cutoff + 2 * 3600:
        return "invalid", "ANCHOR_AFTER_CUTOFF"
    return "valid", None


def _verifier(case: dict) -> tuple[str, str | None]:
    try:
        if case["kind"] == "header":
            anchor.check_header(1, case["hash"], anchor.BlockHeader.parse(case["header"]), case["network"])
        elif case["kind"] == "mainnet_floor":
            target = anchor.bits_target(case["bits"])
            assert f"{target:064x}" == case["target"]
            if target * anchor.MAINNET_DIFFICULTY_FLOOR > anchor.DIFF1_TARGET:
                return "invalid", "ANCHOR_DIFFICULTY_TOO_LOW"
        else:
            anchor.check_anchor_time(case["header_time"], 1795219199)
    except InvalidAttestation as exc:
        return "invalid", str(exc.reason)
    return "valid", None


def _id(case: dict) -> str:
    return f"{case['tcId']}-{case['comment'][:40]}"


@pytest.mark.parametrize("case", ANCHOR_CASES, ids=_id)
def test_independent_checker(case):
    assert _minimal(case) == (case["result"], case["reason"])


@pytest.mark.parametrize("case", ANCHOR_CASES, ids=_id)
def test_verifier_agrees(case):
    assert _verifier(case) == (case["result"], case["reason"])


def test_vectors_cover_every_anchor_reason():
    reasons = {c["reason"] for c in VECTORS["tests"]}
    assert reasons >= {"ANCHOR_HEADER_MISMATCH", "ANCHOR_POW_INVALID", "ANCHOR_DIFFICULTY_TOO_LOW", "ANCHOR_TOO_OLD",
                       "ANCHOR_AFTER_CUTOFF", None}


# --- a real mainnet header ----------------------------------------------------------------------


def _real_header() -> dict:
    if not SHARED_HEADER.is_file():
        pytest.skip(f"shared test vectors not found: {SHARED_HEADER} (../shared/vectors/node-outputs/ beside the repository)")
    return json.loads(SHARED_HEADER.read_text())


def test_a_real_mainnet_header_hashes_to_its_hash_and_meets_its_target():
    """Mainnet block 329936 as bitcoin-cli printed it: rebuilt, it hashes to its hash and meets its
    bits; its difficulty (3.96e10, 2014) is below today's floor, so as an anchor it is refused."""
    raw = _real_header()
    fields = {k: raw[k] for k in ("version", "previousblockhash", "merkleroot", "time", "bits", "nonce")}
    header = anchor.BlockHeader.parse(fields)
    assert header.block_hash() == raw["hash"] == hashlib.sha256(hashlib.sha256(_serialize(fields)).digest()).digest()[::-1].hex()
    assert int(raw["hash"], 16) <= anchor.bits_target(raw["bits"])
    assert anchor.difficulty(anchor.bits_target(raw["bits"])) == f"{raw['difficulty']:.4g}"
    # Hash and target pass on every network whose limit allows the target; mainnet adds the floor.
    assert anchor.check_header(raw["height"], raw["hash"], header, "testnet") == anchor.bits_target(raw["bits"])
    with pytest.raises(InvalidAttestation) as info:
        anchor.check_header(raw["height"], raw["hash"], header, "mainnet")
    assert info.value.reason == Reason.ANCHOR_DIFFICULTY_TOO_LOW


def test_one_changed_field_of_the_real_header_breaks_its_hash():
    raw = _real_header()
    fields = {k: raw[k] for k in ("version", "previousblockhash", "merkleroot", "time", "bits", "nonce")}
    for name, value in (("time", raw["time"] + 1), ("nonce", raw["nonce"] ^ 1), ("version", 3)):
        header = anchor.BlockHeader.parse({**fields, name: value})
        with pytest.raises(InvalidAttestation) as info:
            anchor.check_header(raw["height"], raw["hash"], header, "testnet")
        assert info.value.reason == Reason.ANCHOR_HEADER_MISMATCH


# --- words and the user's block hashes ------------------------------------------------------------


@pytest.mark.parametrize(("seconds", "words"), [(0, "0 seconds"), (1, "1 second"), (420, "7 minutes"), (3 * 3600 + 720, "3 hours 12 minutes"),
                                                 (366 * 86400 + 5, "1 year 1 day"), (-7200, "2 hours")])
def test_durations_in_words(seconds, words):
    assert anchor.in_words(seconds) == words


def test_the_age_names_before_or_after():
    assert anchor.anchor_age(100, 100) == "at the liabilities cut-off"
    assert anchor.anchor_age(40, 100) == "1 minute before the liabilities cut-off"
    assert anchor.anchor_age(160, 100) == "1 minute after the liabilities cut-off"


def test_block_hash_arguments():
    h = "00" * 32
    assert anchor.parse_block_hash(f"871144:{h.upper()}") == (871144, h)
    assert anchor.parse_block_hashes(f"# from my node\n\n1:{h}\n2:{h}\n") == ((1, h), (2, h))
    for bad in ("871144", f"x:{h}", "1:abc", f"-1:{h}", f"{2**32}:{h}"):
        with pytest.raises(ValueError):
            anchor.parse_block_hash(bad)
