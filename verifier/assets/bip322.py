"""BIP-322 generic signed messages: verification of the "simple" variant (docs/SPEC.md 8.5).

Implements exactly what BIP-322 specifies for the script types a bank uses:

* message hash: ``tagged_hash("BIP0322-signed-message", message)`` (BIP-340 tagged hash);
* ``to_spend``: version 0, lock time 0, one input spending ``000..000:0xFFFFFFFF`` with sequence 0
  and scriptSig ``OP_0 PUSH32(message_hash)``, one output of value 0 paying the address's
  scriptPubKey;
* ``to_sign``: version 0, lock time 0, one input spending ``to_spend:0`` with sequence 0 and the
  witness from the signature, one output of value 0 with scriptPubKey ``OP_RETURN``;
* a "simple" signature is the base64 of the consensus-encoded witness stack, optionally prefixed
  ``smp``; no prefix falls back to "simple".

Every signature MUST use SIGHASH_ALL (``0x01``; for taproot also the default ``0x00``, i.e. a
64-byte signature), as BIP-322 requires: a signature with another hash type (NONE, SINGLE,
ANYONECANPAY) commits to less than the whole ``to_sign`` and is invalid, even when the curve
check would pass.

Supported witness programs, each checked as script execution would with the standard policy
flags that matter here (strict DER, low S, compressed keys in segwit v0, NULLDUMMY, NULLFAIL):
P2WPKH (BIP-143 sighash), P2WSH ``OP_m <keys> OP_n OP_CHECKMULTISIG`` (multi and sortedmulti;
BIP-143), P2TR key path (BIP-341 sighash, BIP-340 Schnorr). Anything else -- other witness
scripts, tapscript spends, annexes, the "full" (``ful``) and proof-of-funds (``pof``) variants,
legacy (non-segwit) addresses -- raises `CannotVerify` ("inconclusive"), never valid. A full
signature is recognised with its ``ful`` prefix or, as the BIP text, btcd and bip322-js write
it, as plain base64 that is not a witness stack but a whole transaction; it is invalid only when
its transaction is not a BIP-322 ``to_sign`` of this message and address (first input
``to_spend:0``, one output of value 0 paying ``OP_RETURN``), else inconclusive.

Threat model: the message and the address are bound by ``to_spend``'s txid, which every sighash
commits to, so a signature cannot be moved to another message or address. Curve arithmetic is
libsecp256k1 (coincurve); transactions, sighashes and bech32/base58 are embit's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from io import BytesIO

from coincurve import PublicKey, PublicKeyXOnly
from embit import compact
from embit.hashes import tagged_hash
from embit.script import Script, Witness
from embit.transaction import SIGHASH, Transaction, TransactionInput, TransactionOutput

from verifier.assets.address import address_script
from verifier.assets.errors import CannotVerify, InvalidAttestation, Reason, bad_proof

MESSAGE_TAG = "BIP0322-signed-message"
OP_0, OP_RETURN, OP_CHECKMULTISIG = 0x00, 0x6A, 0xAE
# BIP-322: "all signatures must use the SIGHASH_ALL flag" (taproot: 0x00, its default, too).
_ECDSA_HASHTYPE = SIGHASH.ALL
_TAPROOT_65_BYTE_HASHTYPE = SIGHASH.ALL


def message_hash(message: bytes) -> bytes:
    digest: bytes = tagged_hash(MESSAGE_TAG, message)
    return digest


def to_spend(message: bytes, script_pubkey: bytes) -> Transaction:
    script_sig = Script(bytes([OP_0, 32]) + message_hash(message))
    vin = TransactionInput(b"\x00" * 32, 0xFFFFFFFF, script_sig=script_sig, sequence=0)
    return Transaction(version=0, vin=[vin], vout=[TransactionOutput(0, Script(script_pubkey))], locktime=0)


def to_sign(spend: Transaction, witness: list[bytes]) -> Transaction:
    vin = TransactionInput(spend.txid(), 0, sequence=0, witness=Witness(witness))
    return Transaction(version=0, vin=[vin], vout=[TransactionOutput(0, Script(bytes([OP_RETURN])))], locktime=0)


def _read_exact(stream: BytesIO, n: int) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise ValueError("truncated")
    return data


def decode_witness(data: bytes) -> list[bytes]:
    """Strictly decode a consensus-encoded witness stack; trailing bytes are refused."""
    stream = BytesIO(data)
    try:
        count = compact.read_from(stream)
        if count > 10_000:
            raise ValueError("too many witness items")
        items = [_read_exact(stream, compact.read_from(stream)) for _ in range(count)]
    except Exception as exc:  # noqa: BLE001 - any decoding failure is a malformed signature
        raise bad_proof(f"signature is not a witness stack ({exc})", Reason.MALFORMED_PROOF) from None
    if stream.read(1):
        raise bad_proof("signature has trailing bytes after the witness stack", Reason.MALFORMED_PROOF)
    return items


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise bad_proof(f"error decoding signature as base64 ({what})", Reason.MALFORMED_PROOF) from None


def _require_sighash_all(sig_with_type: bytes) -> None:
    """Refuse an ECDSA signature whose hash type byte is not SIGHASH_ALL (BIP-322)."""
    if sig_with_type and sig_with_type[-1] != _ECDSA_HASHTYPE:
        raise bad_proof(f"invalid signature: sighash type 0x{sig_with_type[-1]:02x} is not SIGHASH_ALL (BIP-322)")


def _ecdsa_ok(pubkey: bytes, sig_with_type: bytes, sighash_of: Callable[[int], bytes]) -> bool:
    if len(sig_with_type) < 9:
        return False
    der, hashtype = sig_with_type[:-1], sig_with_type[-1]
    if hashtype != _ECDSA_HASHTYPE:
        return False
    try:
        return PublicKey(pubkey).verify(der, sighash_of(hashtype), hasher=None)
    except Exception:  # noqa: BLE001 - malformed DER or key: the check fails
        return False


def _is_compressed(pubkey: bytes) -> bool:
    return len(pubkey) == 33 and pubkey[0] in (2, 3)


def _parse_multisig(script: bytes) -> tuple[int, list[bytes]] | None:
    """``OP_m <33-byte key>... OP_n OP_CHECKMULTISIG`` with 1 <= m <= n <= 16, else None."""
    if len(script) < 3 or script[-1] != OP_CHECKMULTISIG:
        return None
    m, n = script[0] - 0x50, script[-2] - 0x50
    if not 1 <= m <= n <= 16 or len(script) != 3 + 34 * n:
        return None
    keys = []
    for i in range(n):
        chunk = script[1 + 34 * i : 1 + 34 * (i + 1)]
        if chunk[0] != 33 or not _is_compressed(chunk[1:]):
            return None
        keys.append(chunk[1:])
    return m, keys


def _verify_p2wpkh(program: bytes, witness: list[bytes], tx: Transaction) -> None:
    if len(witness) != 2:
        raise bad_proof("invalid signature: a P2WPKH witness has exactly 2 items")
    sig, pubkey = witness
    if not _is_compressed(pubkey) or hashlib.new("ripemd160", hashlib.sha256(pubkey).digest()).digest() != program:
        raise bad_proof("invalid signature: the witness public key does not match the address")
    _require_sighash_all(sig)
    script_code = Script(b"\x76\xa9\x14" + program + b"\x88\xac")
    if not _ecdsa_ok(pubkey, sig, lambda ht: tx.sighash_segwit(0, script_code, 0, sighash=ht)):
        raise bad_proof("invalid signature: ECDSA check failed for the P2WPKH key")


def _verify_p2wsh(program: bytes, witness: list[bytes], tx: Transaction) -> None:
    if not witness:
        raise bad_proof("invalid signature: empty P2WSH witness")
    script = witness[-1]
    if hashlib.sha256(script).digest() != program:
        raise bad_proof("invalid signature: the witness script does not hash to the address")
    parsed = _parse_multisig(script)
    if parsed is None:
        raise CannotVerify(
            "the witness script is not a plain multisig (OP_m keys OP_n OP_CHECKMULTISIG); other scripts are not supported",
            reason=Reason.UNSUPPORTED_PROOF,
        )
    m, keys = parsed
    stack = witness[:-1]
    if len(stack) != m + 1 or stack[0] != b"":
        raise bad_proof(f"invalid signature: a {m}-of-{len(keys)} witness holds an empty dummy and {m} signatures")
    sigs = stack[1:]
    for sig in sigs:
        _require_sighash_all(sig)
    script_code = Script(script)
    # OP_CHECKMULTISIG: signatures in key order, each key used at most once; NULLFAIL means no
    # signature may fail, so every signature must match some later key.
    key_index = 0
    for sig in sigs:
        while key_index < len(keys) and not _ecdsa_ok(
            keys[key_index], sig, lambda ht: tx.sighash_segwit(0, script_code, 0, sighash=ht)
        ):
            key_index += 1
        if key_index == len(keys):
            raise bad_proof(f"invalid signature: fewer than {m} valid signatures for the multisig keys")
        key_index += 1


def _verify_p2tr(program: bytes, witness: list[bytes], tx: Transaction, script_pubkey: bytes) -> None:
    if len(witness) >= 2 and witness[-1][:1] == b"\x50":
        raise CannotVerify("taproot witness with an annex is not supported", reason=Reason.UNSUPPORTED_PROOF)
    if len(witness) != 1:
        raise CannotVerify("taproot script-path spends are not supported; only key-path", reason=Reason.UNSUPPORTED_PROOF)
    sig = witness[0]
    if len(sig) == 64:
        hashtype = SIGHASH.DEFAULT
    elif len(sig) == 65 and sig[-1] == _TAPROOT_65_BYTE_HASHTYPE:
        hashtype, sig = sig[-1], sig[:64]
    elif len(sig) == 65:
        raise bad_proof(f"invalid signature: sighash type 0x{sig[-1]:02x} is not SIGHASH_ALL or the taproot default (BIP-322)")
    else:
        raise bad_proof("invalid signature: a taproot key-path signature is 64 or 65 bytes")
    digest = tx.sighash_taproot(0, [Script(script_pubkey)], [0], sighash=hashtype)
    try:
        ok = PublicKeyXOnly(program).verify(sig, digest)
    except Exception:  # noqa: BLE001 - not a valid x-only key: cannot be valid
        ok = False
    if not ok:
        raise bad_proof("invalid signature: Schnorr check failed for the taproot output key")


def _read_transaction(raw: bytes) -> Transaction | None:
    """`raw` as one whole consensus-encoded transaction, or None."""
    try:
        stream = BytesIO(raw)
        tx = Transaction.read_from(stream)
    except Exception:  # noqa: BLE001 - any decoding failure: not a transaction
        return None
    return None if stream.read(1) else tx


def _check_full(tx: Transaction, spend: Transaction) -> None:
    """Invalid unless `tx` has the shape of this message's ``to_sign``; then inconclusive."""
    if not tx.vin or tx.vin[0].txid != spend.txid() or tx.vin[0].vout != 0:
        raise bad_proof(
            "invalid signature: the full signature's transaction does not spend to_spend of this message and address"
        )
    if len(tx.vout) != 1 or tx.vout[0].value != 0 or tx.vout[0].script_pubkey.data != bytes([OP_RETURN]):
        raise bad_proof("invalid signature: the full signature's transaction does not have the one OP_RETURN output of to_sign")
    raise CannotVerify("BIP-322 full signatures are not supported by this verifier (no script interpreter)",
                       reason=Reason.UNSUPPORTED_PROOF)


def _witness_or_full(raw: bytes, spend: Transaction) -> list[bytes]:
    """An unprefixed signature: a simple witness stack or, failing that, a full ``to_sign``."""
    try:
        return decode_witness(raw)
    except InvalidAttestation:
        tx = _read_transaction(raw)
        if tx is None:
            raise
    _check_full(tx, spend)
    raise AssertionError("unreachable: _check_full always raises")


def verify_simple(address: str, message: bytes, signature: str, network: str = "mainnet") -> str:
    """Verify a BIP-322 signature for `address` over `message`; return the script type verified.

    Raises `InvalidAttestation` (``BAD_PROOF_OF_CONTROL``, ``MALFORMED_PROOF``) when it does not verify and `CannotVerify` when the address
    type or signature variant is outside what this module implements.
    """
    script_pubkey = address_script(address, network)
    spend = to_spend(message, script_pubkey)
    if signature.startswith("ful"):
        tx = _read_transaction(_b64(signature[3:], "full"))
        if tx is None:
            raise bad_proof("error parsing signature as full variant", Reason.MALFORMED_PROOF)
        _check_full(tx, spend)
    if signature.startswith("pof"):
        raise CannotVerify("BIP-322 proof-of-funds signatures are not supported", reason=Reason.UNSUPPORTED_PROOF)
    prefixed = signature.startswith("smp")
    body = signature[3:] if prefixed else signature
    if not body:
        raise bad_proof("signature too short", Reason.MALFORMED_PROOF)
    raw = _b64(body, "simple")
    witness = decode_witness(raw) if prefixed else _witness_or_full(raw, spend)
    if not witness:
        raise bad_proof("invalid signature: empty witness stack")
    tx = to_sign(spend, witness)
    version, program = script_pubkey[0], script_pubkey[2:]
    if version == 0x00 and len(script_pubkey) == 22:
        _verify_p2wpkh(program, witness, tx)
        return "p2wpkh"
    if version == 0x00 and len(script_pubkey) == 34:
        _verify_p2wsh(program, witness, tx)
        return "p2wsh"
    if version == 0x51 and len(script_pubkey) == 34:
        _verify_p2tr(program, witness, tx, script_pubkey)
        return "p2tr"
    raise CannotVerify(
        "BIP-322 simple signatures are verified for P2WPKH, P2WSH multisig and P2TR key path only",
        reason=Reason.UNSUPPORTED_PROOF,
    )
