"""The official BIP-322 vectors, read from ../shared/vectors/bip322/ (provenance in
tests/assets/vectors/README.md): every simple and error case."""

import pytest
from shared_vectors import load

from verifier.assets import bip322
from verifier.assets.address import address_script
from verifier.assets.errors import CannotVerify, InvalidAttestation, Reason

# What a message signature that does not verify is refused with (SPEC 8.5).
SIGNATURE_REASONS = {Reason.BAD_PROOF_OF_CONTROL, Reason.MALFORMED_PROOF}

BASIC = load("bip322/basic-test-vectors.json")
GENERATED = load("bip322/generated-test-vectors.json")


def _cases(kind):
    return [(f"{name}-{i}", case) for name, doc in (("basic", BASIC), ("generated", GENERATED)) for i, case in enumerate(doc.get(kind, []))]


@pytest.mark.parametrize("case", [c for _, c in _cases("tx_hashes")], ids=[n for n, _ in _cases("tx_hashes")])
def test_message_hash_and_transactions(case):
    message = case["message"].encode()
    assert bip322.message_hash(message).hex() == case["message_hash"]
    spend = bip322.to_spend(message, address_script(case["address"], "mainnet"))
    assert spend.txid().hex() == case["to_spend_tx_hash"]
    assert bip322.to_sign(spend, []).txid().hex() == case["to_sign_tx_hash"]


SIMPLE = [(f"{n}-{j}", c, s) for n, c in _cases("simple") for j, s in enumerate(c["bip322_signatures"])]


@pytest.mark.parametrize("case,signature", [(c, s) for _, c, s in SIMPLE], ids=[n for n, _, _ in SIMPLE])
def test_simple_signatures_verify(case, signature):
    kind = bip322.verify_simple(case["address"], case["message"].encode(), signature)
    assert kind == case["type"].split("-")[0]


@pytest.mark.parametrize("case", [c for _, c in _cases("error")], ids=[n for n, _ in _cases("error")])
def test_error_cases_are_invalid_with_the_expected_message(case):
    with pytest.raises(InvalidAttestation) as info:
        bip322.verify_simple(case["address"], case["message"].encode(), case["signature"])
    assert info.value.reason in SIGNATURE_REASONS
    assert case["error_substr"] in info.value.message


FULL = [(f"{n}-{j}", c, s) for kind in ("full", "proof_of_funds") for n, c in _cases(kind) for j, s in enumerate(c["bip322_signatures"])]


@pytest.mark.parametrize("case,signature", [(c, s) for _, c, s in FULL], ids=[n for n, _, _ in FULL])
def test_full_and_proof_of_funds_are_inconclusive_never_valid(case, signature):
    with pytest.raises(CannotVerify):
        bip322.verify_simple(case["address"], case["message"].encode(), signature)


@pytest.mark.parametrize("_name,case,signature", SIMPLE[:6], ids=[n for n, _, _ in SIMPLE[:6]])
def test_any_flipped_witness_byte_is_rejected(_name, case, signature):
    import base64

    body = signature[3:] if signature.startswith("smp") else signature
    raw = bytearray(base64.b64decode(body))
    for position in range(1, len(raw), max(1, len(raw) // 12)):
        mutated = bytearray(raw)
        mutated[position] ^= 0x01
        with pytest.raises((InvalidAttestation, CannotVerify)) as info:
            bip322.verify_simple(case["address"], case["message"].encode(), "smp" + base64.b64encode(bytes(mutated)).decode())
        assert isinstance(info.value, CannotVerify) or info.value.reason in SIGNATURE_REASONS


def test_trailing_bytes_after_the_witness_are_rejected():
    case = BASIC["simple"][0]
    import base64

    raw = base64.b64decode(case["bip322_signatures"][0][3:]) + b"\x00"
    with pytest.raises(InvalidAttestation, match="trailing") as info:
        bip322.verify_simple(case["address"], case["message"].encode(), "smp" + base64.b64encode(raw).decode())
    assert info.value.reason == Reason.MALFORMED_PROOF
