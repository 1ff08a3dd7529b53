"""Recoverable-ECDSA message signatures: Bitcoin Signed Message (BIP-137) and lnd (SPEC 8.5, 8.6).

Three verifications, all over a 65-byte compact signature ``header || r || s`` whose public key
is *recovered* (libsecp256k1 through coincurve) and then compared with what it must be:

* `verify_bip137` -- "Bitcoin Signed Message" as Bitcoin Core ``signmessage`` (P2PKH) and BIP-137
  define it: digest ``SHA256d(varstr("Bitcoin Signed Message:\\n") || varstr(message))``, base64
  signature, header 27-30 P2PKH with an uncompressed key, 31-34 P2PKH compressed, 35-38
  P2SH-P2WPKH, 39-42 P2WPKH. The header must match the address type.
* `verify_lnd_address` -- lnd's ``SignMessageWithAddr`` (``lncli wallet addresses signmessage``):
  the same digest, but header 31-34 for *every* address type; the recovered compressed key must
  derive the address as P2PKH, P2WPKH, P2SH-P2WPKH or P2TR (BIP-86 key-path tweak, no script).
* `verify_lnd_node` -- lnd's node ``signmessage``: digest
  ``SHA256d("Lightning Signed Message:" || message)``, z-base-32 signature with header 31-34; the
  recovered key must equal the node's ``identity_pubkey``.

Threat model: a recovered key always exists for a well-formed signature, so the security of all
three rests entirely on comparing it with the expected key or address; that comparison is never
skipped. Headers outside the listed ranges and signatures with trailing data are refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from coincurve import PublicKey, PublicKeyXOnly
from embit import compact
from embit.hashes import hash160, tagged_hash

from verifier.assets import zbase32
from verifier.assets.address import address_script
from verifier.assets.errors import CannotVerify, Reason, bad_proof

BITCOIN_PREFIX = b"Bitcoin Signed Message:\n"
LIGHTNING_PREFIX = b"Lightning Signed Message:"


def _sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def bitcoin_message_digest(message: bytes) -> bytes:
    return _sha256d(compact.to_bytes(len(BITCOIN_PREFIX)) + BITCOIN_PREFIX + compact.to_bytes(len(message)) + message)


def lightning_message_digest(message: bytes) -> bytes:
    return _sha256d(LIGHTNING_PREFIX + message)


def _recover(sig65: bytes, digest: bytes) -> tuple[int, PublicKey]:
    """Recover the signing key; return (header, key). The header's recid selects the key."""
    if len(sig65) != 65:
        raise bad_proof(f"a compact signature is 65 bytes, got {len(sig65)}", Reason.MALFORMED_PROOF)
    header = sig65[0]
    if not 27 <= header <= 42:
        raise bad_proof(f"signature header byte {header} is outside 27..42", Reason.MALFORMED_PROOF)
    recid = (header - 27) & 3
    try:
        key = PublicKey.from_signature_and_message(sig65[1:] + bytes([recid]), digest, hasher=None)
    except Exception:  # noqa: BLE001 - r or s out of range, or no point with that x
        raise bad_proof("invalid signature: no public key can be recovered from it") from None
    return header, key


def _b64_sig(signature: str) -> bytes:
    try:
        return base64.b64decode(signature.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise bad_proof("malformed base64 encoding of the signature", Reason.MALFORMED_PROOF) from None


def _p2tr_key_path(key: PublicKey) -> bytes:
    """BIP-86 output script of an internal key: P2TR with the key tweaked by an empty script tree."""
    internal = key.format(compressed=True)[1:]
    tweaked = PublicKeyXOnly(internal)
    tweaked.tweak_add(tagged_hash("TapTweak", internal))
    return b"\x51\x20" + tweaked.format()


def _scripts(key: PublicKey, compressed: bool) -> dict[str, bytes]:
    sec = key.format(compressed=compressed)
    h = hash160(sec)
    scripts = {"p2pkh": b"\x76\xa9\x14" + h + b"\x88\xac"}
    if compressed:
        wpkh = b"\x00\x14" + h
        scripts["p2wpkh"] = wpkh
        scripts["p2sh-p2wpkh"] = b"\xa9\x14" + hash160(wpkh) + b"\x87"
        scripts["p2tr"] = _p2tr_key_path(key)
    return scripts


def verify_bip137(address: str, message: bytes, signature: str, network: str = "mainnet") -> str:
    """Verify a BIP-137 signature; the header must match the address type. Returns the type."""
    target = address_script(address, network)
    header, key = _recover(_b64_sig(signature), bitcoin_message_digest(message))
    kind = {0: "p2pkh", 1: "p2pkh", 2: "p2sh-p2wpkh", 3: "p2wpkh"}[(header - 27) // 4]
    scripts = _scripts(key, compressed=header >= 31)
    if scripts.get(kind) != target:
        raise bad_proof(f"invalid signature: the recovered key's {kind} address is not {address}")
    return kind


def verify_lnd_address(address: str, message: bytes, signature: str, network: str = "mainnet") -> str:
    """Verify lnd ``SignMessageWithAddr`` (headers 31-34 for every address type). Returns the type."""
    target = address_script(address, network)
    header, key = _recover(_b64_sig(signature), bitcoin_message_digest(message))
    if not 31 <= header <= 34:
        raise bad_proof(f"lnd address signatures use header 31..34, got {header}", Reason.MALFORMED_PROOF)
    for kind, script in _scripts(key, compressed=True).items():
        if script == target:
            return kind
    if target[:2] not in (b"\x00\x14", b"\xa9\x14", b"\x51\x20") and target[:3] != b"\x76\xa9\x14":
        raise CannotVerify(f"address {address} is not a single-key type lnd can sign for", reason=Reason.UNSUPPORTED_PROOF)
    raise bad_proof(f"invalid signature: the recovered key does not derive {address}")


def recover_lnd_node_key(message: bytes, signature: str) -> bytes:
    """The compressed public key that produced lnd node signature `signature` over `message`."""
    if not isinstance(signature, str) or len(signature) != 104:
        raise bad_proof("an lnd signmessage signature is 104 z-base-32 characters", Reason.MALFORMED_PROOF)
    try:
        raw = zbase32.decode(signature)
    except zbase32.ZBase32Error as exc:
        raise bad_proof(f"malformed z-base-32 signature: {exc}", Reason.MALFORMED_PROOF) from None
    header, key = _recover(raw, lightning_message_digest(message))
    if not 31 <= header <= 34:
        raise bad_proof(f"lnd node signatures use header 31..34, got {header}", Reason.MALFORMED_PROOF)
    return key.format(compressed=True)


def verify_lnd_node(identity_pubkey: str, message: bytes, signature: str) -> None:
    """Require that the lnd node with `identity_pubkey` (hex) signed `message`."""
    recovered = recover_lnd_node_key(message, signature).hex()
    if recovered != identity_pubkey:
        raise bad_proof(f"the node signature was made by {recovered}, not by the node {identity_pubkey}", Reason.WRONG_NODE_KEY)
