"""Every message-signature vector of other implementations in ../shared/vectors/signatures/
(provenance: tests/assets/vectors/README.md and the README of ../shared/vectors/) gives the verdict
its source asserts, or the deliberate difference is listed in `DIFFERENCES` with its reason.

A deliberate difference is only ever a by-design limit that comes out *inconclusive* (never
"invalid" for a valid signature, never "valid" for an invalid one), or a vector whose source is
known to be wrong. The module is skipped, with the reason printed, when ../shared is absent.
"""

from __future__ import annotations

import base64

import pytest
from shared_vectors import load

from verifier.assets import bip322, signmessage, zbase32
from verifier.assets.errors import CannotVerify, InvalidAttestation

GUGGERO = {name: load(f"signatures/guggero-bip322-verifier/{name}-test-vectors.json") for name in ("basic", "generated")}
STATIC = load("signatures/bip322_static.json")
CORE = load("signatures/bitcoin_core_signmessage.json")
LIGHTNING = load("signatures/lightning_signmessage.json")

INCONCLUSIVE = "inconclusive"
# (source, test or description, address) -> (our verdict, why). Each is a by-design limit of SPEC
# 8.5 or a vector its own source documents as wrong.
DIFFERENCES: dict[tuple[str, str, str], tuple[str, str]] = {}


def _differ(source: str, test: str, address: str, verdict: str, why: str) -> None:
    DIFFERENCES[(source, test, address)] = (verdict, why)


_NO_INTERPRETER = ("BIP-322 full signatures need a script interpreter, which this verifier does not have (SPEC 8.5): "
                   "the plain-base64 full signature is recognised as a to_sign of this message and answered inconclusive")
for _case in GUGGERO["generated"].get("full", []):
    _differ("guggero", "full", _case["address"], INCONCLUSIVE, _NO_INTERPRETER)
_differ("rust-bitcoin/bip322", "invalid_address (legacy address unsupported)", "14vV3aCHBeStb5bkenkNHbe2YAFinYdXgc",
        INCONCLUSIVE, "BIP-322 simple signatures for legacy (P2PKH) addresses are not verified (SPEC 8.5); rust-bitcoin "
        "refuses the address as unsupported too")
_P2SH = ("BIP-322 simple signatures for P2SH-wrapped segwit addresses are not verified (SPEC 8.5: P2WPKH, P2WSH "
         "multisig, P2TR key path only)")
_differ("rust-bitcoin/bip322", "simple_verify_and_falsify_p2sh_p2wpkh", "3HSVzEhCFuH9Z3wvoWTexy7BMVVp3PjS6f", INCONCLUSIVE, _P2SH)
_differ("bip322-js", "Buffer used as message", "37qyp7jQAzqb2rCBpMvVtLDuuzKAUCVnJb", INCONCLUSIVE, _P2SH)
_differ("bip322-js", "Buffer used as message", "342ftSRCvFHfCeFFBuz4xwbeqnDw6BGUey", INCONCLUSIVE, _P2SH)
_differ("bip322-js", "Refuse to verify script-spend P2TR transaction",
        "bc1p3r88nsysd8sv555nur4h85wdupa5z0xpcgcdjxy5up30re8gcneswrkwkv", INCONCLUSIVE,
        "taproot script-path spends are not verified (SPEC 8.5); bip322-js refuses them as well")
_differ("lightning", "blip-ln-types", "029ef8ee0ba895e2807ac1df1987a7888116c468e70f42e7b089e06811b0e45482", "invalid",
        "the bLIP draft's hex signature does not recover the draft's own key (documented as wrong in ../shared); "
        "the same key and message verify with the ln-types crate's signature (vector ln-types-doctest)")


def verdict(verify, *args) -> str:
    try:
        verify(*args)
    except InvalidAttestation:
        return "invalid"
    except CannotVerify:
        return INCONCLUSIVE
    return "valid"


def expect(source: str, test: str, address: str, asserted: str) -> str:
    """The verdict we must give: the source's, unless a listed deliberate difference applies."""
    ours, _why = DIFFERENCES.get((source, test, address), (asserted, ""))
    # A difference may only make a verdict inconclusive, or follow a source documented as wrong.
    assert ours == asserted or ours == INCONCLUSIVE or source == "lightning"
    return ours


def _message(case: dict) -> bytes:
    return bytes.fromhex(case["message_hex"]) if "message_hex" in case else case["message"].encode()


# --- guggero/bip322-verifier (btcd's btcutil/bip322): simple, full (plain base64) and errors.
GUGGERO_VALID = [pytest.param(kind, case, sig, id=f"{name}-{kind}-{i}-{j}")
                 for name, doc in GUGGERO.items() for kind in ("simple", "full")
                 for i, case in enumerate(doc.get(kind, [])) for j, sig in enumerate(case["bip322_signatures"])]


@pytest.mark.parametrize(("kind", "case", "signature"), GUGGERO_VALID)
def test_guggero_valid_signatures(kind, case, signature):
    wanted = expect("guggero", kind, case["address"], "valid")
    assert verdict(bip322.verify_simple, case["address"], case["message"].encode(), signature) == wanted


GUGGERO_ERRORS = [pytest.param(case, id=f"{name}-error-{i}") for name, doc in GUGGERO.items()
                  for i, case in enumerate(doc.get("error", []))]


@pytest.mark.parametrize("case", GUGGERO_ERRORS)
def test_guggero_error_cases_are_invalid(case):
    # btcd's error strings are its own; the verdict is what must agree.
    assert verdict(bip322.verify_simple, case["address"], case["message"].encode(), case["signature"]) == "invalid"


# --- rust-bitcoin/bip322 and bip322-js: BIP-322 simple and strict BIP-137.
STATIC_CASES = [pytest.param(case, id=f"{i}-{case['source']}-{case['format']}") for i, case in enumerate(STATIC["cases"])]
FAMILY = {range(27, 31): "p2pkh_uncompressed", range(31, 35): "p2pkh", range(35, 39): "p2sh_p2wpkh", range(39, 43): "p2wpkh"}


def _loose_family_expectations(case: dict) -> tuple[str, str]:
    """bip322-js's signatures judged as ../shared's README says: strict BIP-137 (the header's family
    must be the address's type) and lnd's VerifyMessageWithAddr table (header 31-34, any address
    the compressed key derives). ``expect_loose: null`` marks a genuine signature of the strict test."""
    genuine = case["expect_loose"] is not False
    family = next(name for headers, name in FAMILY.items() if case["header"] in headers)
    strict = "valid" if genuine and family == case["addr_type"] else "invalid"
    lnd = "valid" if genuine and 31 <= case["header"] <= 34 and case["addr_type"] in {"p2pkh", "p2wpkh", "p2sh_p2wpkh", "p2tr"} else "invalid"
    return strict, lnd


@pytest.mark.parametrize("case", STATIC_CASES)
def test_rust_bitcoin_and_bip322_js(case):
    args = (case["address"], _message(case), case["signature"], case["network"])
    if case["format"] == "bip137-loose-family":
        strict, lnd = _loose_family_expectations(case)
        assert verdict(signmessage.verify_bip137, *args) == strict
        assert verdict(signmessage.verify_lnd_address, *args) == lnd
        return
    verify = {"bip322-simple": bip322.verify_simple, "bip137": signmessage.verify_bip137}[case["format"]]
    wanted = expect(case["source"], case["test"], case["address"], "valid" if case["expect"] else "invalid")
    assert verdict(verify, *args) == wanted


# --- Bitcoin Core: MessageVerify (P2PKH only) and rpc_signmessagewithprivkey.
# lnd's SignMessageWithAddr accepts a compressed-key signature (header 31-34) for every address
# type its key derives (SPEC 8.5): the functional test's signature also verifies there for the
# key's P2SH-P2WPKH and P2WPKH addresses, which Core (and strict BIP-137) refuse.
LND_ALSO_VALID = {"core-rpc-2", "core-rpc-3"}


@pytest.mark.parametrize("case", CORE["cases"], ids=lambda c: c["id"])
def test_bitcoin_core(case):
    args = (case["address"], case["message"].encode(), case["signature"], case["network"])
    assert verdict(signmessage.verify_bip137, *args) == ("valid" if case["expect"] else "invalid")
    lnd = "valid" if case["expect"] or case["id"] in LND_ALSO_VALID else "invalid"
    assert verdict(signmessage.verify_lnd_address, *args) == lnd


# --- Lightning node signatures (lnd signmessage, z-base-32).
@pytest.mark.parametrize("case", LIGHTNING["cases"], ids=lambda c: c["id"])
def test_lightning(case):
    signature = case.get("zbase32") or zbase32.encode(bytes.fromhex(case["signature_hex"]))
    if "zbase32" in case and "signature_hex" in case:
        assert zbase32.encode(bytes.fromhex(case["signature_hex"])) == case["zbase32"]
    wanted = expect("lightning", case["id"], case["node_id"], "valid" if case["expect"] else "invalid")
    assert verdict(signmessage.verify_lnd_node, case["node_id"], case["message"].encode(), signature) == wanted
    if case.get("recovers"):
        assert signmessage.recover_lnd_node_key(case["message"].encode(), signature).hex() == case["recovers"]
    if case.get("mutate"):
        raw = bytearray(bytes.fromhex(case["signature_hex"]))
        raw[10] ^= 1
        mutated = zbase32.encode(bytes(raw))
        assert verdict(signmessage.verify_lnd_node, case["node_id"], case["message"].encode(), mutated) == "invalid"


def test_every_difference_is_used():
    # A listed difference whose vector disappeared from ../shared is stale: drop it.
    seen = {("guggero", "full", c["address"]) for doc in GUGGERO.values() for c in doc.get("full", [])}
    seen |= {(c["source"], c.get("test", ""), c["address"]) for c in STATIC["cases"]}
    seen |= {("lightning", c["id"], c["node_id"]) for c in LIGHTNING["cases"]}
    assert set(DIFFERENCES) <= seen, set(DIFFERENCES) - seen


def test_plain_base64_full_signature_is_inconclusive_not_malformed():
    # The BIP text, btcd and bip322-js write a full signature as bare base64 of to_sign.
    case = GUGGERO["generated"]["full"][0]
    signature = case["bip322_signatures"][0]
    base64.b64decode(signature, validate=True)
    with pytest.raises(CannotVerify):
        bip322.verify_simple(case["address"], case["message"].encode(), signature)
