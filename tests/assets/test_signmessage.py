"""BIP-137, lnd SignMessageWithAddr and lnd node signmessage: public vectors and own signatures."""

import base64
import contextlib

import pytest
from assets_builder import NODE, key, lnd_address_sign, lnd_node_sign, p2tr, p2wpkh
from hypothesis import given
from hypothesis import strategies as st

from verifier.assets import signmessage, zbase32
from verifier.assets.address import script_address
from verifier.assets.errors import InvalidAttestation, Reason

# What a message signature that does not verify is refused with (SPEC 8.5, 8.6).
SIGNATURE_REASONS = {Reason.BAD_PROOF_OF_CONTROL, Reason.MALFORMED_PROOF, Reason.WRONG_NODE_KEY}


@contextlib.contextmanager
def refused_signature(match=None):
    with pytest.raises(InvalidAttestation, match=match) as info:
        yield info
    assert info.value.reason in SIGNATURE_REASONS

# The public vectors of Bitcoin Core and of Lightning implementations are checked, from
# ../shared/vectors/signatures/, by test_shared_signature_vectors.py.


def test_node_signature_by_another_key_is_wrong_node_key():
    message = "pos-assets/1 attestation digest: " + "ab" * 32
    signature = lnd_node_sign(key("impostor"), message)
    with refused_signature() as info:
        signmessage.verify_lnd_node(NODE.public_key.format().hex(), message.encode(), signature)
    assert info.value.reason == "WRONG_NODE_KEY"


@pytest.mark.parametrize("kind", ["wpkh", "tr"])
def test_lnd_address_signature_for_segwit_and_taproot(kind):
    priv = key(f"addr {kind}")
    spk = p2wpkh(priv.public_key.format()) if kind == "wpkh" else p2tr(priv)
    address = script_address(spk, "regtest")
    signature = lnd_address_sign(priv, "hello")
    assert signmessage.verify_lnd_address(address, b"hello", signature, "regtest") == {"wpkh": "p2wpkh", "tr": "p2tr"}[kind]
    with refused_signature():
        signmessage.verify_lnd_address(address, b"hello!", signature, "regtest")
    other = script_address(p2wpkh(key("other").public_key.format()), "regtest")
    with refused_signature():
        signmessage.verify_lnd_address(other, b"hello", signature, "regtest")


@pytest.mark.parametrize("header", [0, 26, 43, 255])
def test_headers_outside_the_range_are_refused(header):
    priv = key("header range")
    address = script_address(p2wpkh(priv.public_key.format()), "regtest")
    raw = bytearray(base64.b64decode(lnd_address_sign(priv, "hello")))
    raw[0] = header
    with refused_signature(match="header"):
        signmessage.verify_bip137(address, b"hello", base64.b64encode(bytes(raw)).decode(), "regtest")


@given(st.binary(max_size=80))
def test_zbase32_round_trip(data):
    assert zbase32.decode(zbase32.encode(data)) == data


@given(st.text(alphabet=zbase32.ALPHABET, min_size=1, max_size=40))
def test_zbase32_decode_is_strict_and_canonical(text):
    try:
        data = zbase32.decode(text)
    except zbase32.ZBase32Error:
        return
    assert zbase32.encode(data) == text


def test_zbase32_refuses_foreign_characters():
    with pytest.raises(zbase32.ZBase32Error):
        zbase32.decode("ybndrfg8ejkmcpqxot1uwisza345h76l")
