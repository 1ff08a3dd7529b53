"""The bank's Ed25519 signing key (docs/SPEC.md section 2.3).

Private key file: the canonical JSON object
``{"alg":"ed25519","format":"pos-key/1","key_id":KEY_ID,"private_key":HEX32,"public_key":HEX32,
"type":"private-key"}`` plus one newline, created with mode 0600 atomically (written to a temporary
file in the same directory, fsynced, then hard-linked into place so an existing key is never
overwritten). The public key file next to it (``KEYFILE.pub``) is what users pin.

Threat model: whoever reads the private key file can sign commitments in the bank's name; keep it
offline or in an HSM-backed wrapper. Nothing here logs or prints private key material.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from solvency.atomic import atomic_write
from verifier import canonical
from verifier.signature import (
    ALG,
    KEY_FORMAT,
    SIGNATURE_FIELD,
    Signature,
    SignedArtifact,
    key_id,
    public_key_document,
    signed_message,
)

Signed = TypeVar("Signed", bound=SignedArtifact)

_HEX64 = re.compile(r"[0-9a-f]{64}")


class KeyFileError(Exception):
    """A key file is missing, malformed or would be overwritten."""


def _write_new_file(path: Path, data: bytes, mode: int) -> None:
    """Create `path` with `data` atomically; refuse to replace an existing file."""
    try:
        atomic_write(path, data, mode=mode, overwrite=False)
    except FileExistsError:
        raise KeyFileError(f"{path} already exists; refusing to overwrite a key") from None


def generate_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Create a new key: `path` (private, mode 0600) and `path`.pub (public). Refuses to overwrite."""
    path = Path(path)
    pub_path = path.with_name(path.name + ".pub")
    for existing in (path, pub_path):
        if existing.exists():
            raise KeyFileError(f"{existing} already exists; refusing to overwrite a key")
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    raw_public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    doc = {
        "alg": ALG,
        "format": KEY_FORMAT,
        "key_id": key_id(raw_public),
        "private_key": raw_private.hex(),
        "public_key": raw_public.hex(),
        "type": "private-key",
    }
    _write_new_file(path, canonical.dump_file_bytes(doc), 0o600)
    _write_new_file(pub_path, canonical.dump_file_bytes(public_key_document(raw_public)), 0o644)
    return private


def load_private_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Load a private key file written by `generate_key`; checks the public key and key id match."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror or exc}") from None
    try:
        doc = canonical.loads(data, require_canonical=False)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a bad key file
        raise KeyFileError(f"{path}: not a key file ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != KEY_FORMAT or doc.get("type") != "private-key":
        raise KeyFileError(f"{path}: not a {KEY_FORMAT} private key file")
    if set(doc) != {"alg", "format", "key_id", "private_key", "public_key", "type"} or doc["alg"] != ALG:
        raise KeyFileError(f"{path}: unexpected members in the private key file")
    if not all(isinstance(doc[k], str) and _HEX64.fullmatch(doc[k]) for k in ("private_key", "public_key")):
        raise KeyFileError(f"{path}: private_key and public_key must be 64 lower-case hex characters")
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(doc["private_key"]))
    raw_public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    if raw_public.hex() != doc["public_key"] or key_id(raw_public) != doc["key_id"]:
        raise KeyFileError(f"{path}: public_key or key_id does not match the private key")
    return private


def public_key_of(private_key: Ed25519PrivateKey) -> Ed25519PublicKey:
    return private_key.public_key()


def sign_artifact(artifact: dict[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """Return a copy of `artifact` with its ``signature`` member (SPEC 2.3); any old one is replaced."""
    body = {k: v for k, v in artifact.items() if k != SIGNATURE_FIELD}
    signature = private_key.sign(signed_message(body))
    return {**body, SIGNATURE_FIELD: {"alg": ALG, "key_id": key_id(private_key.public_key()), "value": signature.hex()}}


def sign(artifact: Signed, private_key: Ed25519PrivateKey) -> Signed:
    """`artifact` (a typed verifier artifact: commitment, epoch, log head, receipt, attestation)
    signed by `private_key` (SPEC 2.3); any old signature is replaced."""
    value = private_key.sign(artifact.signed_message())
    return artifact.with_signature(Signature(key_id=key_id(private_key.public_key()), value=value))
