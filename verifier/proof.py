"""Verifying a user's inclusion proof ``proof.json`` (docs/SPEC.md sections 5 and 6).

`verify_proof` runs the check list of SPEC 6 in order and raises on the first failure with a
specific `InvalidProof` subclass whose ``reason`` is the spec's reason code; an unknown format
version raises `CannotVerify` (``UNSUPPORTED_VERSION``). On success it returns `ProofFacts`.

Threat model: the bank (prover) is the adversary. It may hand the user any bytes; it knows every
salt and chooses the tree. What a valid proof establishes: under the pinned bank key, the bank
signed a commitment for this epoch whose root sums include, for every asset, at least this
user's balances, and no sibling on the user's path carries a negative or out-of-range sum. It
does not prove that other users were included: that needs enough users checking (SPEC 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from verifier import canonical
from verifier.commitment import (
    HEX64,
    Commitment,
    InvalidCommitment,
    amount,
    check_format,
    hex_bytes,
    integer,
    members,
    parse_commitment,
)
from verifier.encoding import LEAF_VALUE_LIMIT, SUM_LIMIT, user_id_bytes
from verifier.errors import VerificationError
from verifier.leaf import user_leaf_hash
from verifier.merkle import Sibling, SumOverflow, fold_path
from verifier.signature import SignatureInvalid, verify_signature

PROOF_MEMBERS = frozenset({"balances", "commitment", "epoch", "format", "leaves", "type", "user_id"})
LEAF_MEMBERS = frozenset({"balances", "index", "path", "salt"})
MAX_LEAVES_PER_USER = 64


class InvalidProof(VerificationError):
    """The proof is invalid; `reason` names the failed check of SPEC 6."""

    default_reason = "INVALID_PROOF"


class ProofEncodingError(InvalidProof):
    default_reason = "NON_CANONICAL_ENCODING"


class ProofSchemaError(InvalidProof):
    """SCHEMA, BAD_TREE_SHAPE, EPOCH_MISMATCH or COMMITMENT_MISMATCH."""

    default_reason = "SCHEMA"


class PathLengthError(InvalidProof):
    default_reason = "PATH_LENGTH"


class IndexRangeError(InvalidProof):
    """INDEX_RANGE or DUPLICATE_LEAF_INDEX."""

    default_reason = "INDEX_RANGE"


class LeafError(InvalidProof):
    """LEAF_VALUE_RANGE, BALANCE_MISMATCH or WRONG_USER."""

    default_reason = "LEAF_VALUE_RANGE"


class SiblingSumError(InvalidProof):
    """NEGATIVE_SUM or SUM_OUT_OF_RANGE."""

    default_reason = "NEGATIVE_SUM"


class RootMismatch(InvalidProof):
    """SUM_OVERFLOW, ROOT_HASH_MISMATCH or ROOT_SUM_MISMATCH."""

    default_reason = "ROOT_HASH_MISMATCH"


class CommitmentSignatureError(InvalidProof):
    """BAD_SIGNATURE or WRONG_KEY."""

    default_reason = "BAD_SIGNATURE"


class WrongEpoch(InvalidProof):
    default_reason = "WRONG_EPOCH"


# One class per reason code, under the class of its check (SPEC 6).
class BadTreeShape(ProofSchemaError):
    default_reason = "BAD_TREE_SHAPE"


class EpochMismatch(ProofSchemaError):
    default_reason = "EPOCH_MISMATCH"


class CommitmentMismatch(ProofSchemaError):
    default_reason = "COMMITMENT_MISMATCH"


class RootSumOutOfRange(ProofSchemaError):
    default_reason = "SUM_OUT_OF_RANGE"


class DuplicateLeafIndex(IndexRangeError):
    default_reason = "DUPLICATE_LEAF_INDEX"


class IndexOrder(IndexRangeError):
    default_reason = "INDEX_ORDER"


class WrongUser(LeafError):
    default_reason = "WRONG_USER"


class LeafValueRange(LeafError):
    default_reason = "LEAF_VALUE_RANGE"


class BalanceMismatch(LeafError):
    default_reason = "BALANCE_MISMATCH"


class NegativeSum(SiblingSumError):
    default_reason = "NEGATIVE_SUM"


class SiblingSumOutOfRange(SiblingSumError):
    default_reason = "SUM_OUT_OF_RANGE"


class SumOverflowError(RootMismatch):
    default_reason = "SUM_OVERFLOW"


class RootHashMismatch(RootMismatch):
    default_reason = "ROOT_HASH_MISMATCH"


class RootSumMismatch(RootMismatch):
    default_reason = "ROOT_SUM_MISMATCH"


class WrongKey(CommitmentSignatureError):
    default_reason = "WRONG_KEY"


class BadSignature(CommitmentSignatureError):
    default_reason = "BAD_SIGNATURE"


_BY_REASON: dict[str, type[InvalidProof]] = {
    cls.default_reason: cls
    for cls in (BadTreeShape, EpochMismatch, CommitmentMismatch, DuplicateLeafIndex, IndexOrder, WrongUser,
                LeafValueRange, BalanceMismatch, NegativeSum, SumOverflowError, RootHashMismatch, RootSumMismatch,
                WrongKey, BadSignature, WrongEpoch, PathLengthError, ProofEncodingError)
}


def _error(reason: str, message: str, group: type[InvalidProof] = InvalidProof) -> InvalidProof:
    """The most specific class for `reason` (within `group` when the code is shared by two checks)."""
    if reason == "SUM_OUT_OF_RANGE":
        cls = SiblingSumOutOfRange if group is SiblingSumError else RootSumOutOfRange
    else:
        cls = _BY_REASON.get(reason, group)
    return cls(message, reason=reason)


@dataclass(frozen=True, slots=True)
class ProofFacts:
    user_id: str
    epoch: str
    as_of: str
    assets: tuple[str, ...]
    balances: tuple[int, ...]
    leaf_indexes: tuple[int, ...]
    root_hash: str
    root_sums: tuple[int, ...]
    leaf_count: int
    signer_key_id: str


@dataclass(frozen=True, slots=True)
class _Leaf:
    index: int
    salt: bytes
    balances: tuple[int, ...]
    path: tuple[Sibling, ...]


def _load(data: Any, what: str) -> Any:
    try:
        if isinstance(data, (bytes, bytearray)):
            return canonical.loads(bytes(data))
        canonical.dumps(data)
        return data
    except VerificationError as exc:
        raise ProofEncodingError(f"{what}: {exc.message}") from None


def _parse(doc: dict) -> tuple[str, str, tuple[int, ...], list[_Leaf], Commitment]:
    err = ProofSchemaError
    members(doc, PROOF_MEMBERS, "proof", err)
    user_id, epoch = doc["user_id"], doc["epoch"]
    try:
        user_id_bytes(user_id)
    except ValueError as exc:
        raise err(f"proof.user_id: {exc}") from None
    if not isinstance(epoch, str):
        raise err("proof.epoch must be a string")
    try:
        commitment = parse_commitment(doc["commitment"])
    except InvalidCommitment as exc:
        raise _error(exc.reason, f"embedded commitment: {exc.message}", ProofSchemaError) from None
    m = len(commitment.assets)
    if not isinstance(doc["balances"], list) or len(doc["balances"]) != m:
        raise err("proof.balances must hold one amount per asset of the commitment")
    total = tuple(amount(v, f"proof.balances[{j}]", err) for j, v in enumerate(doc["balances"]))
    raw_leaves = doc["leaves"]
    if not isinstance(raw_leaves, list) or not 1 <= len(raw_leaves) <= MAX_LEAVES_PER_USER:
        raise err(f"proof.leaves must list 1..{MAX_LEAVES_PER_USER} leaves")
    leaves = []
    for i, raw in enumerate(raw_leaves):
        where = f"proof.leaves[{i}]"
        members(raw, LEAF_MEMBERS, where, err)
        index = integer(raw["index"], f"{where}.index", err)
        salt = hex_bytes(raw["salt"], f"{where}.salt", err, HEX64)
        if not isinstance(raw["balances"], list) or len(raw["balances"]) != m:
            raise err(f"{where}.balances must hold one amount per asset")
        balances = tuple(amount(v, f"{where}.balances[{j}]", err) for j, v in enumerate(raw["balances"]))
        if not isinstance(raw["path"], list):
            raise err(f"{where}.path must be a list")
        path = []
        for level, sib in enumerate(raw["path"]):
            members(sib, {"hash", "sums"}, f"{where}.path[{level}]", err)
            if not isinstance(sib["sums"], list) or len(sib["sums"]) != m:
                raise err(f"{where}.path[{level}].sums must hold one sum per asset")
            path.append(
                Sibling(
                    hex_bytes(sib["hash"], f"{where}.path[{level}].hash", err),
                    tuple(amount(v, f"{where}.path[{level}].sums[{j}]", err) for j, v in enumerate(sib["sums"])),
                )
            )
        leaves.append(_Leaf(index, salt, balances, tuple(path)))
    return user_id, epoch, total, leaves, commitment


def verify_proof(
    proof: bytes | dict[str, Any],
    pinned_public_key,
    *,
    commitment: bytes | dict[str, Any] | None = None,
    expected_epoch: str | None = None,
    expected_user: str | None = None,
    checked: list[str] | None = None,
) -> ProofFacts:
    """Run SPEC 6's check list. `checked` (optional) collects the names of the checks passed."""
    done = checked if checked is not None else []

    def fail(exc: InvalidProof) -> InvalidProof:
        exc.checked = tuple(done)
        return exc

    # 1. Canonical encoding.
    doc = _load(proof, "proof")
    published = _load(commitment, "commitment") if commitment is not None else None
    done.append("canonical JSON encoding (SPEC 2.2)")
    # 2. Version.
    check_format(doc, "proof", ProofSchemaError)
    if isinstance(doc.get("commitment"), dict):
        check_format(doc["commitment"], "commitment", ProofSchemaError)
    if published is not None:
        check_format(published, "commitment", ProofSchemaError)
    done.append("format version pos-mst/1")
    # 3. Schema.
    try:
        user_id, epoch, total, leaves, com = _parse(doc)
        if epoch != com.epoch:
            raise _error("EPOCH_MISMATCH", f"the proof is for epoch {epoch!r} but its commitment for {com.epoch!r}")
        if published is not None and canonical.dumps(published) != canonical.dumps(doc["commitment"]):
            raise _error("COMMITMENT_MISMATCH", "the commitment inside the proof differs from the published commitment")
    except InvalidProof as exc:
        raise fail(exc) from None
    done.append("schema of proof and commitment" + (" (equal to the published commitment)" if published is not None else ""))
    # 4. Path length.
    for i, leaf in enumerate(leaves):
        if len(leaf.path) != com.height:
            raise fail(PathLengthError(f"leaf {i}: the path has {len(leaf.path)} levels but the tree height is {com.height}"))
    done.append(f"every path has {com.height} levels (the committed height)")
    # 5. Index range.
    for i, leaf in enumerate(leaves):
        if not 0 <= leaf.index < com.leaf_count:
            raise fail(IndexRangeError(f"leaf {i}: index {leaf.index} is outside [0, {com.leaf_count})"))
    if len({leaf.index for leaf in leaves}) != len(leaves):
        raise fail(DuplicateLeafIndex("two leaves of the proof share an index"))
    if [leaf.index for leaf in leaves] != sorted(leaf.index for leaf in leaves):
        raise fail(IndexOrder("the leaves of the proof are not sorted by index"))
    done.append(f"leaf indexes within [0, {com.leaf_count}), distinct and sorted")
    # 6. Leaves, recomputed from the user's own id, salts and balances.
    if expected_user is not None and user_id != expected_user:
        raise fail(WrongUser(f"the proof is for user {user_id!r}, not {expected_user!r}"))
    for i, leaf in enumerate(leaves):
        if any(not 0 <= b < LEAF_VALUE_LIMIT for b in leaf.balances):
            raise fail(LeafValueRange(f"leaf {i}: a balance is outside [0, 2^64)"))
    if any(not 0 <= b < LEAF_VALUE_LIMIT for b in total):
        raise fail(LeafValueRange("a total balance is outside [0, 2^64)"))
    parts_total = tuple(sum(leaf.balances[j] for leaf in leaves) for j in range(len(com.assets)))
    if parts_total != total:
        raise fail(BalanceMismatch("the leaf balances do not add up to the stated balances"))
    leaf_hashes = [user_leaf_hash(com.epoch, com.assets, user_id, leaf.salt, leaf.balances) for leaf in leaves]
    done.append(f"{len(leaves)} leaf hash(es) recomputed from user id {user_id!r}, salt(s) and balances")
    # 7. Sibling sums.
    for i, leaf in enumerate(leaves):
        for level, sib in enumerate(leaf.path):
            for j, value in enumerate(sib.sums):
                if value < 0:
                    raise fail(NegativeSum(f"leaf {i}, level {level}: sibling sum for {com.assets[j]} is negative ({value})"))
                if value >= SUM_LIMIT:
                    raise fail(SiblingSumOutOfRange(f"leaf {i}, level {level}: sibling sum for {com.assets[j]} is >= 2^128"))
    done.append("every sibling sum is >= 0 and < 2^128")
    # 8. Fold to the root; compare hash and sums.
    for i, (leaf, lh) in enumerate(zip(leaves, leaf_hashes)):
        try:
            root_hash, root_sums = fold_path(lh, leaf.balances, leaf.index, leaf.path)
        except SumOverflow as exc:
            raise fail(SumOverflowError(f"leaf {i}: {exc}")) from None
        if root_hash != com.root_hash:
            raise fail(RootHashMismatch(f"leaf {i}: the path folds to {root_hash.hex()}, not the committed root {com.root_hash.hex()}"))
        if root_sums != com.root_sums:
            raise fail(RootSumMismatch(f"leaf {i}: the path's root sums {list(root_sums)} differ from the committed {list(com.root_sums)}"))
    done.append("every path folds to the committed root hash and root sums")
    # 9. Signature.
    try:
        verify_signature(doc["commitment"], pinned_public_key)
    except SignatureInvalid as exc:
        raise fail(_error(exc.reason, f"commitment: {exc.message}", CommitmentSignatureError)) from None
    done.append(f"commitment signed by the pinned bank key {com.signer_key_id}")
    # 10. Expected epoch.
    if expected_epoch is not None:
        if com.epoch != expected_epoch:
            raise fail(WrongEpoch(f"the proof is for epoch {com.epoch!r}, not the expected {expected_epoch!r} (replayed old proof?)"))
        done.append(f"epoch is the expected {expected_epoch!r}")
    return ProofFacts(
        user_id=user_id,
        epoch=com.epoch,
        as_of=com.as_of,
        assets=com.assets,
        balances=total,
        leaf_indexes=tuple(leaf.index for leaf in leaves),
        root_hash=com.root_hash.hex(),
        root_sums=com.root_sums,
        leaf_count=com.leaf_count,
        signer_key_id=com.signer_key_id,
    )
