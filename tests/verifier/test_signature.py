"""SPEC 2.3: Ed25519 over canonical JSON, key ids, key files."""

import os
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from solvency.keys import KeyFileError, generate_key, load_private_key, sign_artifact
from verifier import canonical
from verifier.commitment import commitment_hash
from verifier.errors import CannotVerify
from verifier.signature import SignatureInvalid, key_id, load_public_key, verify_signature


@pytest.fixture(scope="module")
def key():
    return Ed25519PrivateKey.generate()


def test_key_file_round_trip_and_permissions(tmp_path):
    private = generate_key(tmp_path / "bank.key")
    assert stat.S_IMODE(os.stat(tmp_path / "bank.key").st_mode) == 0o600
    assert load_private_key(tmp_path / "bank.key").public_key() == private.public_key()
    pub = load_public_key(str(tmp_path / "bank.key.pub"))
    assert key_id(pub) == key_id(private.public_key())
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_generate_refuses_to_overwrite(tmp_path):
    generate_key(tmp_path / "bank.key")
    before = (tmp_path / "bank.key").read_bytes()
    with pytest.raises(KeyFileError):
        generate_key(tmp_path / "bank.key")
    assert (tmp_path / "bank.key").read_bytes() == before


def test_private_key_file_is_refused_as_pin(tmp_path):
    generate_key(tmp_path / "bank.key")
    with pytest.raises(CannotVerify, match="PRIVATE"):
        load_public_key(str(tmp_path / "bank.key"))


def test_public_key_file_with_wrong_key_id_is_refused(tmp_path):
    generate_key(tmp_path / "bank.key")
    doc = canonical.loads((tmp_path / "bank.key.pub").read_bytes())
    doc["key_id"] = "0" * 32
    (tmp_path / "bad.pub").write_bytes(canonical.dump_file_bytes(doc))
    with pytest.raises(CannotVerify):
        load_public_key(str(tmp_path / "bad.pub"))


def test_raw_hex_key_is_accepted(key):
    raw = key_id(key.public_key())
    hexkey = key.public_key().public_bytes_raw().hex()
    assert key_id(load_public_key(hexkey)) == raw


@given(st.dictionaries(st.sampled_from(["a", "b", "epoch", "n"]), st.one_of(st.text(max_size=5), st.integers(0, 2**53 - 1))))
def test_signature_verifies_and_any_change_breaks_it(key, body):
    art = sign_artifact({"format": "pos-mst/1", "type": "commitment", **body}, key)
    verify_signature(art, key.public_key())
    changed = dict(art, extra="x")
    with pytest.raises(SignatureInvalid) as info:
        verify_signature(changed, key.public_key())
    assert info.value.reason == "BAD_SIGNATURE"


def test_other_key_is_wrong_key(key):
    other = Ed25519PrivateKey.generate()
    art = sign_artifact({"format": "pos-mst/1", "type": "commitment"}, other)
    with pytest.raises(SignatureInvalid) as info:
        verify_signature(art, key.public_key())
    assert info.value.reason == "WRONG_KEY"


def test_forged_key_id_still_fails_signature(key):
    other = Ed25519PrivateKey.generate()
    art = sign_artifact({"format": "pos-mst/1", "type": "commitment"}, other)
    art["signature"]["key_id"] = key_id(key.public_key())
    with pytest.raises(SignatureInvalid) as info:
        verify_signature(art, key.public_key())
    assert info.value.reason == "BAD_SIGNATURE"


@pytest.mark.parametrize("sig", [None, {}, {"alg": "ed25519", "key_id": "x"}, {"alg": "rsa", "key_id": "x", "value": "00" * 64}])
def test_malformed_signature_member(key, sig):
    art = {"format": "pos-mst/1", "type": "commitment"}
    if sig is not None:
        art["signature"] = sig
    with pytest.raises(SignatureInvalid) as info:
        verify_signature(art, key.public_key())
    assert info.value.reason == "BAD_SIGNATURE"


def test_commitment_hash_binds_signature(key):
    art = sign_artifact({"format": "pos-mst/1", "type": "commitment", "x": "1"}, key)
    other = sign_artifact({"format": "pos-mst/1", "type": "commitment", "x": "2"}, key)
    assert len(commitment_hash(art)) == 32
    assert commitment_hash(art) != commitment_hash(other)
