"""Ed25519 signatures over canonical JSON artifacts and key ids (docs/SPEC.md section 2.3).

A signed artifact is a JSON object with a ``signature`` member::

    "signature": {"alg": "ed25519", "key_id": KEY_ID, "value": HEX(64-byte signature)}

The signed message is the canonical JSON (section 2.2) of the artifact *without* its
``signature`` member. Every artifact carries a ``format`` and a ``type`` member, so a signature
over one kind of artifact can never be replayed as another kind.

`key_id` is the lower-case hex of the first 16 bytes of SHA-256 over the 32-byte raw public key.
The verifier always checks against a *pinned* public key that the user obtained out of band; the
``key_id`` inside the artifact is only a hint used to report ``WRONG_KEY`` instead of the less
helpful ``BAD_SIGNATURE`` when the artifact was signed by some other key.

Public key file (``*.pub``): the canonical JSON object
``{"alg":"ed25519","format":"pos-key/1","key_id":KEY_ID,"public_key":HEX32,"type":"public-key"}``
followed by one newline. `load_public_key` also accepts the 64 hex characters of a raw key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from dataclasses import dataclass
from typing import Any, Self, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from verifier import canonical
from verifier.errors import CannotVerify, Reason, VerificationError

KEY_FORMAT = "pos-key/1"
ALG = "ed25519"
SIGNATURE_FIELD = "signature"
# A pinned public key as the verifier functions accept it: the key, its 32 raw bytes, or a key file
# path / key text / 64 hex characters (`load_public_key`).
PublicKey = Ed25519PublicKey | bytes | str

_HEX32 = re.compile(r"[0-9a-f]{32}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX128 = re.compile(r"[0-9a-f]{128}")


class SignatureInvalid(VerificationError):
    """The artifact's signature does not verify under the pinned key (reason BAD_SIGNATURE or
    WRONG_KEY)."""

    default_reason = Reason.BAD_SIGNATURE


class BadKeyFile(CannotVerify):
    """The pinned public key could not be read."""

    default_reason = Reason.BAD_KEY_FILE


def raw_public_key(public_key: Ed25519PublicKey | bytes) -> bytes:
    """The 32 raw bytes of an Ed25519 public key."""
    if isinstance(public_key, bytes):
        if len(public_key) != 32:
            raise ValueError("an Ed25519 public key is 32 bytes")
        return public_key
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey | bytes) -> str:
    """Key id: hex of the first 16 bytes of SHA-256(raw 32-byte public key)."""
    return hashlib.sha256(raw_public_key(public_key)).digest()[:16].hex()


def public_key_document(public_key: Ed25519PublicKey | bytes) -> dict[str, str]:
    """The JSON object stored in a public key file."""
    raw = raw_public_key(public_key)
    return {"alg": ALG, "format": KEY_FORMAT, "key_id": key_id(raw), "public_key": raw.hex(), "type": "public-key"}


def parse_public_key_document(doc: Any) -> Ed25519PublicKey:
    """Strictly parse a public key document (refuses unknown members and mismatching key ids)."""
    if not isinstance(doc, dict):
        raise BadKeyFile("a public key file holds a JSON object")
    if doc.get("format") != KEY_FORMAT:
        raise BadKeyFile(f"unsupported key format {doc.get('format')!r} (expected {KEY_FORMAT!r})", reason=Reason.UNSUPPORTED_VERSION)
    expected = {"alg", "format", "key_id", "public_key", "type"}
    if set(doc) != expected or doc["type"] != "public-key" or doc["alg"] != ALG:
        raise BadKeyFile(f"a public key file has exactly the members {sorted(expected)} with type public-key, alg ed25519")
    if not isinstance(doc["public_key"], str) or not _HEX64.fullmatch(doc["public_key"]):
        raise BadKeyFile("public_key must be 64 lower-case hex characters")
    raw = bytes.fromhex(doc["public_key"])
    if doc["key_id"] != key_id(raw):
        raise BadKeyFile("key_id does not match public_key")
    return Ed25519PublicKey.from_public_bytes(raw)


def load_public_key(text_or_path: str | os.PathLike[str] | bytes | Ed25519PublicKey) -> Ed25519PublicKey:
    """Load a pinned public key from a key file path, a public key document's text, or 64 hex chars.

    Raises `BadKeyFile` (a `CannotVerify`, exit 3) when nothing usable is found.
    """
    if isinstance(text_or_path, Ed25519PublicKey):
        return text_or_path
    if isinstance(text_or_path, bytes):
        if len(text_or_path) == 32:
            return Ed25519PublicKey.from_public_bytes(text_or_path)
        text_or_path = text_or_path.decode("utf-8", "replace")
    text = os.fspath(text_or_path)
    stripped = text.strip()
    if _HEX64.fullmatch(stripped):
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(stripped))
    if stripped.startswith("{"):
        data = stripped.encode()
        source = "key text"
    else:
        try:
            with open(text, "rb") as handle:
                data = handle.read(1 << 16)
        except OSError as exc:
            raise BadKeyFile(f"cannot read public key file {text}: {exc.strerror or exc}") from None
        source = text
        if _HEX64.fullmatch(data.decode("ascii", "replace").strip()):
            return Ed25519PublicKey.from_public_bytes(bytes.fromhex(data.decode().strip()))
    try:
        doc = canonical.loads(data, require_canonical=False)
    except VerificationError as exc:
        raise BadKeyFile(f"{source}: not a public key file: {exc.message}") from None
    if isinstance(doc, dict) and "private_key" in doc:
        raise BadKeyFile(f"{source} is a PRIVATE key file; pin the public key (.pub) instead")
    try:
        return parse_public_key_document(doc)
    except BadKeyFile as exc:
        raise BadKeyFile(f"{source}: {exc.message}", reason=exc.reason) from None


def signed_message(artifact: dict[str, Any]) -> bytes:
    """The exact bytes that are signed: canonical JSON of the artifact without ``signature``."""
    if not isinstance(artifact, dict):
        raise SignatureInvalid("a signed artifact is a JSON object")
    body = {k: v for k, v in artifact.items() if k != SIGNATURE_FIELD}
    return canonical.dumps(body)


@dataclass(frozen=True, slots=True)
class Signature:
    """The ``signature`` member of a signed artifact (SPEC 2.3): an Ed25519 signature by `key_id`."""

    key_id: str
    value: bytes
    alg: str = ALG

    @classmethod
    def parse(cls, doc: Any, where: str = "signature", error: type[VerificationError] = SignatureInvalid) -> Signature:
        """A well-formed signature member; a malformed one is ``BAD_SIGNATURE`` (SPEC 2.3)."""
        if not isinstance(doc, dict) or set(doc) != {"alg", "key_id", "value"}:
            raise error(f"{where} must be an object with exactly alg, key_id and value", reason=Reason.BAD_SIGNATURE)
        if doc["alg"] != ALG:
            raise error(f"{where}: unsupported signature algorithm {doc['alg']!r}", reason=Reason.BAD_SIGNATURE)
        if not isinstance(doc["key_id"], str) or not _HEX32.fullmatch(doc["key_id"]):
            raise error(f"{where}.key_id must be 32 lower-case hex characters", reason=Reason.BAD_SIGNATURE)
        if not isinstance(doc["value"], str) or not _HEX128.fullmatch(doc["value"]):
            raise error(f"{where}: signature value must be 128 lower-case hex characters", reason=Reason.BAD_SIGNATURE)
        return cls(doc["key_id"], bytes.fromhex(doc["value"]))

    def to_json(self) -> dict[str, str]:
        return {"alg": self.alg, "key_id": self.key_id, "value": self.value.hex()}


def check_signature(message: bytes, signature: Signature, pinned_public_key: PublicKey) -> None:
    """Check `signature` over `message` against the pinned key; raise `SignatureInvalid`.

    Reasons: ``WRONG_KEY`` (the signature names a key id other than the pinned key's) and
    ``BAD_SIGNATURE`` (it does not verify).
    """
    public_key = pinned_public_key if isinstance(pinned_public_key, Ed25519PublicKey) else load_public_key(pinned_public_key)
    pinned_id = key_id(public_key)
    if signature.key_id != pinned_id:
        raise SignatureInvalid(f"signed by key {signature.key_id!r}, but the pinned bank key is {pinned_id!r}",
                               reason=Reason.WRONG_KEY)
    try:
        public_key.verify(signature.value, message)
    except InvalidSignature:
        raise SignatureInvalid("the Ed25519 signature does not verify: the artifact was altered or not signed by this key") from None


def verify_signature(artifact: dict[str, Any], pinned_public_key: PublicKey) -> None:
    """Check a JSON artifact's Ed25519 signature against the pinned key; raise `SignatureInvalid`.

    Reasons: ``BAD_SIGNATURE`` (missing or malformed signature member, or the signature does not
    verify) and ``WRONG_KEY`` (the artifact names a key id other than the pinned key's).
    """
    public_key = pinned_public_key if isinstance(pinned_public_key, Ed25519PublicKey) else load_public_key(pinned_public_key)
    if not isinstance(artifact, dict):
        raise SignatureInvalid("a signed artifact is a JSON object")
    check_signature(signed_message(artifact), Signature.parse(artifact.get(SIGNATURE_FIELD)), public_key)


def read_signer(doc: dict[str, Any], where: str, error: type[VerificationError]) -> tuple[str, Signature]:
    """``signer_key_id`` (32 hex characters, the family's schema reason) and the signature member,
    whose key id must equal it."""
    signer = doc["signer_key_id"]
    if not isinstance(signer, str) or not _HEX32.fullmatch(signer):
        raise error(f"{where}.signer_key_id must be 32 lower-case hex characters")
    raw = doc[SIGNATURE_FIELD]
    if isinstance(raw, dict) and raw.get("key_id") != signer:
        raise error(f"{where}.signature.key_id must equal {where}.signer_key_id")
    signature = Signature.parse(raw, f"{where}.signature", error)
    return signer, signature


class SignedArtifact:
    """What every signed artifact class shares (SPEC 2.3): its JSON is `body_json()` plus the
    ``signature`` member, the signed message is the canonical body, and its hash (the value other
    artifacts bind it by) is SHA-256 of the canonical JSON of the whole signed artifact."""

    __slots__ = ()

    signer_key_id: str
    signature: Signature | None

    def body_json(self) -> dict[str, Any]:
        """The artifact's JSON object without its signature member: the signed content."""
        raise NotImplementedError

    def with_signature(self, signature: Signature) -> Self:
        """A copy carrying `signature` (the prover signs `signed_message()` and calls this).
        Every artifact class is a frozen dataclass with a ``signature`` field."""
        return cast(Self, dataclasses.replace(cast(Any, self), signature=signature))

    def to_json(self) -> dict[str, Any]:
        """The artifact's JSON object (with its signature when signed)."""
        doc = self.body_json()
        if self.signature is not None:
            doc[SIGNATURE_FIELD] = self.signature.to_json()
        return doc

    def to_bytes(self) -> bytes:
        """The bytes of the file holding this artifact: canonical JSON and one newline (SPEC 2.2)."""
        return canonical.dump_file_bytes(self.to_json())

    def signed_message(self) -> bytes:
        """The exact bytes the bank signs: canonical JSON without the signature member."""
        return canonical.dumps(self.body_json())

    def hash(self) -> bytes:
        """SHA-256 of the canonical JSON of the whole signed artifact."""
        if self.signature is None:
            raise ValueError("only a signed artifact has a hash that other artifacts bind")
        return hashlib.sha256(canonical.dumps(self.to_json())).digest()

    def verify_signature(self, pinned_public_key: PublicKey) -> None:
        """Raise `SignatureInvalid` unless the pinned key signed this artifact."""
        if self.signature is None:
            raise SignatureInvalid("the artifact is not signed")
        check_signature(self.signed_message(), self.signature, pinned_public_key)
