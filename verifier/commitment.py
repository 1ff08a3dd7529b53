"""The signed commitment ``commitment.json`` (docs/SPEC.md section 4).

`parse_commitment` checks the format marker (unknown versions -> `CannotVerify`,
``UNSUPPORTED_VERSION``) and the exact schema (``SCHEMA``); `verify_commitment` additionally checks
the Ed25519 signature against the pinned bank key (SPEC 2.3). `commitment_hash` is the SHA-256
of the canonical JSON of the whole signed commitment, signature included; other artifacts (the
asset attestation's challenge) bind a commitment through it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from verifier import canonical
from verifier.encoding import ASSET_RE, EPOCH_RE, FORMAT, MAX_ASSETS, MAX_HEIGHT, SUM_LIMIT
from verifier.errors import CannotVerify, VerificationError
from verifier.signature import SIGNATURE_FIELD, verify_signature

HEX64 = re.compile(r"[0-9a-f]{64}")
HEX32 = re.compile(r"[0-9a-f]{32}")
# Decimal amount strings: the schema admits a sign and up to 80 digits so that range checks
# (negative, too wide) can report their own reason codes; canonical form has no leading zeros.
AMOUNT_RE = re.compile(r"-?(0|[1-9][0-9]{0,79})")
AS_OF_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")

COMMITMENT_MEMBERS = frozenset(
    {"as_of", "assets", "balance_definition", "epoch", "format", "height", "leaf_count", "ledger_digest",
     "root", "signer_key_id", "signature", "type"}
)


class InvalidCommitment(VerificationError):
    """The commitment is malformed or its root sums are out of range."""

    default_reason = "SCHEMA"


class UnsupportedVersion(CannotVerify):
    default_reason = "UNSUPPORTED_VERSION"


@dataclass(frozen=True, slots=True)
class Commitment:
    """A schema-checked commitment (its signature is checked separately)."""

    epoch: str
    as_of: str
    assets: tuple[str, ...]
    height: int
    leaf_count: int
    root_hash: bytes
    root_sums: tuple[int, ...]
    signer_key_id: str
    document: dict[str, Any]


def check_format(doc: Any, expected_type: str, error: type[VerificationError]) -> None:
    """Version first (unknown -> exit 3), then the artifact type."""
    if not isinstance(doc, dict):
        raise error(f"a {expected_type} is a JSON object", reason="SCHEMA")
    fmt = doc.get("format")
    if fmt != FORMAT:
        raise UnsupportedVersion(f"unsupported format {fmt!r}; this verifier understands {FORMAT!r} only")
    if doc.get("type") != expected_type:
        raise error(f"type is {doc.get('type')!r}, expected {expected_type!r}", reason="SCHEMA")


def members(doc: dict, expected: frozenset[str] | set[str], where: str, error: type[VerificationError]) -> None:
    if not isinstance(doc, dict):
        raise error(f"{where} must be an object", reason="SCHEMA")
    missing, extra = set(expected) - set(doc), set(doc) - set(expected)
    if missing or extra:
        raise error(f"{where}: missing members {sorted(missing)}, unknown members {sorted(extra)}", reason="SCHEMA")


def amount(value: Any, where: str, error: type[VerificationError]) -> int:
    """Parse a decimal amount string (sign allowed here; ranges are checked by the caller)."""
    if not isinstance(value, str) or not AMOUNT_RE.fullmatch(value) or value == "-0":
        raise error(f"{where} must be a decimal string without leading zeros, got {value!r}", reason="SCHEMA")
    return int(value)


def hex_bytes(value: Any, where: str, error: type[VerificationError], pattern: re.Pattern = HEX64) -> bytes:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise error(f"{where} must be lower-case hex ({pattern.pattern}), got {value!r}", reason="SCHEMA")
    return bytes.fromhex(value)


def integer(value: Any, where: str, error: type[VerificationError]) -> int:
    if type(value) is not int:
        raise error(f"{where} must be an integer, got {value!r}", reason="SCHEMA")
    return value


def parse_commitment(doc: Any) -> Commitment:
    """Check the format marker and the exact schema of a commitment (SPEC 4)."""
    err = InvalidCommitment
    check_format(doc, "commitment", err)
    members(doc, COMMITMENT_MEMBERS, "commitment", err)
    epoch = doc["epoch"]
    if not isinstance(epoch, str) or not EPOCH_RE.fullmatch(epoch):
        raise err(f"commitment.epoch must match {EPOCH_RE.pattern}")
    if not isinstance(doc["as_of"], str) or not AS_OF_RE.fullmatch(doc["as_of"]):
        raise err("commitment.as_of must be an RFC 3339 UTC time YYYY-MM-DDTHH:MM:SSZ")
    assets = doc["assets"]
    if (
        not isinstance(assets, list)
        or not 1 <= len(assets) <= MAX_ASSETS
        or not all(isinstance(a, str) and ASSET_RE.fullmatch(a) for a in assets)
        or len(set(assets)) != len(assets)
    ):
        raise err(f"commitment.assets must be 1..{MAX_ASSETS} distinct codes matching {ASSET_RE.pattern}")
    height = integer(doc["height"], "commitment.height", err)
    leaf_count = integer(doc["leaf_count"], "commitment.leaf_count", err)
    if not 1 <= height <= MAX_HEIGHT or leaf_count != 1 << height:
        raise err(f"commitment: height must be in 1..{MAX_HEIGHT} and leaf_count = 2^height", reason="BAD_TREE_SHAPE")
    root = doc["root"]
    members(root, {"hash", "sums"}, "commitment.root", err)
    root_hash = hex_bytes(root["hash"], "commitment.root.hash", err)
    if not isinstance(root["sums"], list) or len(root["sums"]) != len(assets):
        raise err("commitment.root.sums must hold one sum per asset")
    root_sums = tuple(amount(s, f"commitment.root.sums[{i}]", err) for i, s in enumerate(root["sums"]))
    if any(not 0 <= s < SUM_LIMIT for s in root_sums):
        raise err("commitment.root.sums must be in [0, 2^128)", reason="SUM_OUT_OF_RANGE")
    definition = doc["balance_definition"]
    if definition is not None:
        members(definition, {"name", "content_hash"}, "commitment.balance_definition", err)
        if not isinstance(definition["name"], str) or not definition["name"]:
            raise err("commitment.balance_definition.name must be a non-empty string")
        hex_bytes(definition["content_hash"], "commitment.balance_definition.content_hash", err)
    digest = doc["ledger_digest"]
    if digest is not None:
        members(digest, {"entry_count", "head_hash"}, "commitment.ledger_digest", err)
        if integer(digest["entry_count"], "commitment.ledger_digest.entry_count", err) < 0:
            raise err("commitment.ledger_digest.entry_count must be >= 0")
        hex_bytes(digest["head_hash"], "commitment.ledger_digest.head_hash", err, re.compile(r"[0-9a-f]{2,128}"))
    signer = doc["signer_key_id"]
    if not isinstance(signer, str) or not HEX32.fullmatch(signer):
        raise err("commitment.signer_key_id must be 32 lower-case hex characters")
    sig = doc[SIGNATURE_FIELD]
    if not isinstance(sig, dict) or sig.get("key_id") != signer:
        raise err("commitment.signature.key_id must equal commitment.signer_key_id")
    return Commitment(epoch, doc["as_of"], tuple(assets), height, leaf_count, root_hash, root_sums, signer, doc)


def verify_commitment(doc: Any, pinned_public_key) -> Commitment:
    """Schema, then the signature under the pinned key. Raises; returns the parsed commitment."""
    parsed = parse_commitment(doc)
    verify_signature(doc, pinned_public_key)
    return parsed


def commitment_hash(commitment: dict[str, Any]) -> bytes:
    """SHA-256 over the canonical JSON of the whole signed commitment (signature included)."""
    check_format(commitment, "commitment", InvalidCommitment)
    if SIGNATURE_FIELD not in commitment:
        raise InvalidCommitment("commitment_hash binds a *signed* commitment; this one has no signature")
    return hashlib.sha256(canonical.dumps(commitment)).digest()
