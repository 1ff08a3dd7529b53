"""The signed liabilities commitment ``commitment.json`` (docs/SPEC.md section 4).

`Commitment` is the typed artifact: `Commitment.parse` checks the format marker first (unknown
versions -> `CannotVerify`, ``UNSUPPORTED_VERSION``) and then the exact schema (``SCHEMA``,
``BAD_TREE_SHAPE``, ``SUM_OUT_OF_RANGE`` for root sums); `to_json` writes the exact object the SPEC
defines, so ``Commitment.parse(c.to_json()) == c``. The optional ``privacy`` member (`Privacy`) states
the splitting and padding the tree was built with; its own version marker ``v`` is checked before
the schema (unknown -> ``UNSUPPORTED_VERSION``), and its absence (a commitment written before it
existed) is kept as ``privacy = None``, never confused with a stated ``split`` of 1. The prover builds one, signs it
(`with_signature`) and writes `to_bytes()`; `verify_commitment` adds the Ed25519 signature check
against the pinned bank key (SPEC 2.3). `commitment_hash` is SHA-256 of the canonical JSON of the
whole signed commitment, signature included; epochs, receipts and the asset attestation's
challenge bind a commitment through it.

Threat model: the bank chooses every byte. A commitment of another shape (a height the leaf count
does not match, a root sum outside [0, 2^128), an asset list out of range) is refused before any
proof is folded against it, and two different documents never parse to equal commitments.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from verifier import canonical
from verifier.encoding import ASSET_RE, FORMAT, MAX_ASSETS, MAX_HEIGHT, SUM_LIMIT
from verifier.errors import CannotVerify, InvalidCommitment, Reason
from verifier.schema import (
    JSON,
    JSONObject,
    UtcTime,
    amounts,
    check_format,
    epoch_id,
    hex_bytes,
    integer,
    members,
    optional,
    text,
    utc_time,
    write_amounts,
)
from verifier.signature import SIGNATURE_FIELD, PublicKey, Signature, SignedArtifact, read_signer

__all__ = ["BalanceDefinition", "Commitment", "InvalidCommitment", "LedgerDigest", "Privacy", "check_privacy_version",
           "commitment_hash", "parse_commitment", "verify_commitment"]

COMMITMENT_MEMBERS = frozenset(
    {"as_of", "assets", "balance_definition", "epoch", "format", "height", "leaf_count", "ledger_digest",
     "root", "signer_key_id", "signature", "type"}
)
OPTIONAL_MEMBERS = frozenset({"privacy"})
LEDGER_HEAD_RE = re.compile(r"(?:[0-9a-f]{2}){1,64}")
PRIVACY_VERSION = 1
MAX_SPLIT = 64


@dataclass(frozen=True, slots=True)
class BalanceDefinition:
    """The ledger balance definition the liabilities were read with: its name and content hash."""

    name: str
    content_hash: bytes

    @classmethod
    def parse(cls, doc: JSON) -> BalanceDefinition:
        where = "commitment.balance_definition"
        members(doc, {"name", "content_hash"}, where, InvalidCommitment)
        name = text(doc["name"], f"{where}.name", InvalidCommitment)
        if not name:
            raise InvalidCommitment(f"{where}.name must be a non-empty string")
        return cls(name, hex_bytes(doc["content_hash"], f"{where}.content_hash", InvalidCommitment))

    def to_json(self) -> JSONObject:
        return {"name": self.name, "content_hash": self.content_hash.hex()}


@dataclass(frozen=True, slots=True)
class LedgerDigest:
    """The ledger's state at the cut-off: number of entries and the hash-chain head."""

    entry_count: int
    head_hash: bytes

    @classmethod
    def parse(cls, doc: JSON) -> LedgerDigest:
        where = "commitment.ledger_digest"
        members(doc, {"entry_count", "head_hash"}, where, InvalidCommitment)
        return cls(integer(doc["entry_count"], f"{where}.entry_count", InvalidCommitment, minimum=0),
                   hex_bytes(doc["head_hash"], f"{where}.head_hash", InvalidCommitment, LEDGER_HEAD_RE))

    def to_json(self) -> JSONObject:
        return {"entry_count": self.entry_count, "head_hash": self.head_hash.hex()}


def check_privacy_version(doc: JSON) -> None:
    """SPEC 4: the version marker ``v`` of a commitment's ``privacy`` member, checked before the
    schema like ``format`` (unknown -> `CannotVerify`, ``UNSUPPORTED_VERSION``)."""
    privacy = doc.get("privacy") if isinstance(doc, dict) else None
    if isinstance(privacy, dict) and "v" in privacy and not (type(privacy["v"]) is int and privacy["v"] == PRIVACY_VERSION):
        raise CannotVerify(f"unsupported commitment.privacy version {privacy['v']!r}; this verifier understands "
                           f"v {PRIVACY_VERSION} only", reason=Reason.UNSUPPORTED_VERSION)


@dataclass(frozen=True, slots=True)
class Privacy:
    """SPEC 4 ``privacy``: every user's balance is in exactly `split` leaves (3.6) and the tree was
    padded to at least `min_leaves` leaves (3.4)."""

    split: int
    min_leaves: int

    @classmethod
    def parse(cls, doc: JSON) -> Privacy:
        where = "commitment.privacy"
        check_privacy_version({"privacy": doc})
        members(doc, {"v", "split", "min_leaves"}, where, InvalidCommitment)
        split = integer(doc["split"], f"{where}.split", InvalidCommitment, minimum=1)
        min_leaves = integer(doc["min_leaves"], f"{where}.min_leaves", InvalidCommitment, minimum=2)
        if split > MAX_SPLIT or min_leaves > 1 << MAX_HEIGHT:
            raise InvalidCommitment(f"{where}: split must be in 1..{MAX_SPLIT} and min_leaves in 2..2^{MAX_HEIGHT}")
        return cls(split, min_leaves)

    def to_json(self) -> JSONObject:
        return {"v": PRIVACY_VERSION, "split": self.split, "min_leaves": self.min_leaves}


@dataclass(frozen=True, slots=True)
class Commitment(SignedArtifact):
    """A liabilities commitment (SPEC 4); `signature` is None only before the bank signs it."""

    epoch: str
    as_of: UtcTime
    assets: tuple[str, ...]
    height: int
    root_hash: bytes
    root_sums: tuple[int, ...]
    balance_definition: BalanceDefinition | None
    ledger_digest: LedgerDigest | None
    signer_key_id: str
    signature: Signature | None = None
    privacy: Privacy | None = None  # None: not stated (a commitment written before SPEC 4 had it)

    FORMAT = FORMAT
    TYPE = "commitment"

    @property
    def leaf_count(self) -> int:
        return 1 << self.height

    @property
    def document(self) -> JSONObject:
        """The commitment's JSON object (as `to_json`)."""
        return self.to_json()

    def body_json(self) -> JSONObject:
        body: JSONObject = {
            "format": FORMAT,
            "type": self.TYPE,
            "epoch": self.epoch,
            "as_of": str(self.as_of),
            "assets": list(self.assets),
            "height": self.height,
            "leaf_count": self.leaf_count,
            "root": {"hash": self.root_hash.hex(), "sums": write_amounts(self.root_sums)},
            "balance_definition": None if self.balance_definition is None else self.balance_definition.to_json(),
            "ledger_digest": None if self.ledger_digest is None else self.ledger_digest.to_json(),
            "signer_key_id": self.signer_key_id,
        }
        if self.privacy is not None:
            body["privacy"] = self.privacy.to_json()
        return body

    @classmethod
    def parse(cls, doc: JSON) -> Commitment:
        """The format marker, then the exact schema of a signed commitment (SPEC 4)."""
        err = InvalidCommitment
        check_format(doc, FORMAT, cls.TYPE, err)
        privacy = Privacy.parse(doc["privacy"]) if "privacy" in doc else None  # its version before the schema
        members(doc, COMMITMENT_MEMBERS | (OPTIONAL_MEMBERS & set(doc)), "commitment", err)
        epoch = epoch_id(doc["epoch"], "commitment.epoch", err)
        as_of = utc_time(doc["as_of"], "commitment.as_of", err)
        assets = _assets(doc["assets"])
        height = integer(doc["height"], "commitment.height", err)
        leaf_count = integer(doc["leaf_count"], "commitment.leaf_count", err)
        if not 1 <= height <= MAX_HEIGHT or leaf_count != 1 << height:
            raise err(f"commitment: height must be in 1..{MAX_HEIGHT} and leaf_count = 2^height", reason=Reason.BAD_TREE_SHAPE)
        if privacy is not None and leaf_count < privacy.min_leaves:
            raise err(f"commitment: leaf_count {leaf_count} is below the stated privacy.min_leaves {privacy.min_leaves}",
                      reason=Reason.BAD_TREE_SHAPE)
        root = members(doc["root"], {"hash", "sums"}, "commitment.root", err)
        root_hash = hex_bytes(root["hash"], "commitment.root.hash", err)
        root_sums = amounts(root["sums"], len(assets), "commitment.root.sums", err)
        if any(not 0 <= s < SUM_LIMIT for s in root_sums):
            raise err("commitment.root.sums must be in [0, 2^128)", reason=Reason.SUM_OUT_OF_RANGE)
        definition = optional(doc["balance_definition"], BalanceDefinition.parse)
        digest = optional(doc["ledger_digest"], LedgerDigest.parse)
        signer, signature = read_signer(doc, "commitment", err)
        return cls(epoch, as_of, assets, height, root_hash, root_sums, definition, digest, signer, signature, privacy)


def _assets(value: JSON) -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or not 1 <= len(value) <= MAX_ASSETS
        or not all(isinstance(a, str) and ASSET_RE.fullmatch(a) for a in value)
        or len(set(value)) != len(value)
    ):
        raise InvalidCommitment(f"commitment.assets must be 1..{MAX_ASSETS} distinct codes matching {ASSET_RE.pattern}")
    return tuple(value)


def parse_commitment(doc: JSON) -> Commitment:
    """`Commitment.parse` (kept for callers of the function form)."""
    return doc if isinstance(doc, Commitment) else Commitment.parse(doc)


def verify_commitment(doc: JSON, pinned_public_key: PublicKey) -> Commitment:
    """Schema, then the signature under the pinned key (SPEC 4, 2.3). Raises; returns the commitment."""
    commitment = parse_commitment(doc)
    commitment.verify_signature(pinned_public_key)
    return commitment


def commitment_hash(commitment: Commitment | dict[str, Any]) -> bytes:
    """SHA-256 over the canonical JSON of the whole signed commitment (signature included)."""
    if isinstance(commitment, Commitment):
        return commitment.hash()
    check_format(commitment, FORMAT, "commitment", InvalidCommitment)
    if SIGNATURE_FIELD not in commitment:
        raise InvalidCommitment("commitment_hash binds a *signed* commitment; this one has no signature")
    return hashlib.sha256(canonical.dumps(commitment)).digest()
