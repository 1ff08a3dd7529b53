"""A user's inclusion proof ``proof.json`` (docs/SPEC.md section 5) and its check list (section 6).

`Proof` is the typed artifact (strict `parse`, exact `to_json`). `verify_proof` runs `PROOF_CHECKS`,
the ten checks of SPEC 6 as named steps in the SPEC's order, and raises on the first failure an
`InvalidProof` whose ``reason`` is the SPEC's reason code and whose ``passed`` lists the checks
before it; an unknown format version raises `CannotVerify` (``UNSUPPORTED_VERSION``). On success
it returns `ProofFacts`.

Threat model: the bank (prover) is the adversary. It may hand the user any bytes; it knows every
salt and chooses the tree. What a valid proof establishes: under the pinned bank key, the bank
signed a commitment for this epoch whose root sums include, for every asset, at least this
user's balances, and no sibling on the user's path carries a negative or out-of-range sum. It
does not prove that other users were included: that needs enough users checking (SPEC 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from verifier import canonical
from verifier.commitment import Commitment, check_privacy_version
from verifier.encoding import FORMAT, LEAF_VALUE_LIMIT, SUM_LIMIT, user_id_bytes
from verifier.errors import InvalidCommitment, InvalidProof, Reason, VerificationError, rebrand
from verifier.leaf import user_leaf_hash
from verifier.merkle import Sibling, SumOverflow, fold_path
from verifier.schema import (
    HEX64,
    JSON,
    JSONObject,
    amounts,
    check_format,
    hex_bytes,
    integer,
    members,
    text,
    write_amounts,
)
from verifier.signature import PublicKey
from verifier.steps import SKIPPED, Step, run_steps

__all__ = ["PROOF_CHECKS", "InvalidProof", "Proof", "ProofFacts", "ProofLeaf", "Sibling", "verify_proof"]

PROOF_MEMBERS = frozenset({"balances", "commitment", "epoch", "format", "leaves", "type", "user_id"})
LEAF_MEMBERS = frozenset({"balances", "index", "path", "salt"})
MAX_LEAVES_PER_USER = 64


@dataclass(frozen=True, slots=True)
class ProofLeaf:
    """One of the user's leaves: its position, salt, balances and the siblings up to the root."""

    index: int
    salt: bytes
    balances: tuple[int, ...]
    path: tuple[Sibling, ...]

    @classmethod
    def parse(cls, doc: JSON, m: int, where: str) -> ProofLeaf:
        err = InvalidProof
        members(doc, LEAF_MEMBERS, where, err)
        index = integer(doc["index"], f"{where}.index", err)
        salt = hex_bytes(doc["salt"], f"{where}.salt", err, HEX64)
        balances = amounts(doc["balances"], m, f"{where}.balances", err)
        if not isinstance(doc["path"], list):
            raise err(f"{where}.path must be a list")
        path = tuple(_sibling(sib, m, f"{where}.path[{level}]") for level, sib in enumerate(doc["path"]))
        return cls(index, salt, balances, path)

    def to_json(self) -> JSONObject:
        return {
            "index": self.index,
            "salt": self.salt.hex(),
            "balances": write_amounts(self.balances),
            "path": [{"hash": s.hash.hex(), "sums": write_amounts(s.sums)} for s in self.path],
        }


def _sibling(doc: JSON, m: int, where: str) -> Sibling:
    members(doc, {"hash", "sums"}, where, InvalidProof)
    return Sibling(hex_bytes(doc["hash"], f"{where}.hash", InvalidProof), amounts(doc["sums"], m, f"{where}.sums", InvalidProof))


@dataclass(frozen=True, slots=True)
class Proof:
    """An inclusion proof (SPEC 5): the user's total per asset, their leaves, and the commitment."""

    epoch: str
    user_id: str
    balances: tuple[int, ...]
    leaves: tuple[ProofLeaf, ...]
    commitment: Commitment

    FORMAT = FORMAT
    TYPE = "proof"
    MEMBERS = PROOF_MEMBERS

    def to_json(self) -> JSONObject:
        return {
            "format": FORMAT,
            "type": self.TYPE,
            "epoch": self.epoch,
            "user_id": self.user_id,
            "balances": write_amounts(self.balances),
            "leaves": [leaf.to_json() for leaf in self.leaves],
            "commitment": self.commitment.to_json(),
        }

    def to_bytes(self) -> bytes:
        return canonical.dump_file_bytes(self.to_json())

    @classmethod
    def parse(cls, doc: JSON) -> Proof:
        """The format marker, then the exact schema of a proof and its commitment (SPEC 5)."""
        err = InvalidProof
        check_format(doc, FORMAT, cls.TYPE, err)
        members(doc, PROOF_MEMBERS, "proof", err)
        user_id = text(doc["user_id"], "proof.user_id", err)
        try:
            user_id_bytes(user_id)
        except ValueError as exc:
            raise err(f"proof.user_id: {exc}") from None
        epoch = text(doc["epoch"], "proof.epoch", err)
        try:
            commitment = Commitment.parse(doc["commitment"])
        except InvalidCommitment as exc:
            raise rebrand(exc, err, "embedded commitment: ") from None
        m = len(commitment.assets)
        total = amounts(doc["balances"], m, "proof.balances", err)
        raw = doc["leaves"]
        if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_LEAVES_PER_USER:
            raise err(f"proof.leaves must list 1..{MAX_LEAVES_PER_USER} leaves")
        leaves = tuple(ProofLeaf.parse(leaf, m, f"proof.leaves[{i}]") for i, leaf in enumerate(raw))
        return cls(epoch, user_id, total, leaves, commitment)


@dataclass(frozen=True, slots=True)
class ProofFacts:
    """What a valid proof established, and the checks that established it."""

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
    checked: tuple[str, ...] = field(default=(), compare=False)


@dataclass
class ProofCheck:
    """The working state of SPEC 6's check list: the inputs, then what each step established."""

    data: bytes | JSONObject | Proof
    key: PublicKey
    published_data: bytes | JSONObject | Commitment | None = None
    expected_epoch: str | None = None
    expected_user: str | None = None
    doc: JSONObject = field(default_factory=dict)
    published_doc: JSONObject | None = None
    parsed: Proof | None = None
    leaf_hashes: list[bytes] = field(default_factory=list)

    @property
    def proof(self) -> Proof:
        assert self.parsed is not None, "the schema step runs first"
        return self.parsed

    @property
    def commitment(self) -> Commitment:
        return self.proof.commitment


def _load(data: bytes | JSONObject | Proof | Commitment, what: str) -> JSONObject:
    try:
        if isinstance(data, (Proof, Commitment)):
            return data.to_json()
        if isinstance(data, (bytes, bytearray)):
            doc: JSONObject = canonical.loads(bytes(data))
            return doc
        canonical.dumps(data)
        return data
    except VerificationError as exc:
        raise rebrand(exc, InvalidProof, f"{what}: ") from None


def check_encoding(state: ProofCheck) -> None:
    state.doc = _load(state.data, "proof")
    if state.published_data is not None:
        state.published_doc = _load(state.published_data, "commitment")


def check_version(state: ProofCheck) -> None:
    check_format(state.doc, FORMAT, "proof", InvalidProof)
    if isinstance(state.doc.get("commitment"), dict):
        check_format(state.doc["commitment"], FORMAT, "commitment", InvalidProof)
        check_privacy_version(state.doc["commitment"])
    if state.published_doc is not None:
        check_format(state.published_doc, FORMAT, "commitment", InvalidProof)
        check_privacy_version(state.published_doc)


def check_schema(state: ProofCheck) -> str:
    state.parsed = proof = Proof.parse(state.doc)
    if proof.epoch != proof.commitment.epoch:
        raise InvalidProof(f"the proof is for epoch {proof.epoch!r} but its commitment for {proof.commitment.epoch!r}",
                           reason=Reason.EPOCH_MISMATCH)
    if state.published_doc is None:
        return "schema of proof and commitment"
    if Commitment.parse(state.published_doc) != proof.commitment:
        raise InvalidProof("the commitment inside the proof differs from the published commitment",
                           reason=Reason.COMMITMENT_MISMATCH)
    return "schema of proof and commitment (equal to the published commitment)"


def check_path_length(state: ProofCheck) -> str:
    height = state.commitment.height
    for i, leaf in enumerate(state.proof.leaves):
        if len(leaf.path) != height:
            raise InvalidProof(f"leaf {i}: the path has {len(leaf.path)} levels but the tree height is {height}",
                               reason=Reason.PATH_LENGTH)
    return f"every path has {height} levels (the committed height)"


def check_indexes(state: ProofCheck) -> str:
    count = state.commitment.leaf_count
    indexes = [leaf.index for leaf in state.proof.leaves]
    for i, index in enumerate(indexes):
        if not 0 <= index < count:
            raise InvalidProof(f"leaf {i}: index {index} is outside [0, {count})", reason=Reason.INDEX_RANGE)
    if len(set(indexes)) != len(indexes):
        raise InvalidProof("two leaves of the proof share an index", reason=Reason.DUPLICATE_LEAF_INDEX)
    if indexes != sorted(indexes):
        raise InvalidProof("the leaves of the proof are not sorted by index", reason=Reason.INDEX_ORDER)
    return f"leaf indexes within [0, {count}), distinct and sorted"


def check_split(state: ProofCheck) -> str:
    """SPEC 6 step 5: one leaf per part when the commitment states its split (SPEC 4 ``privacy``)."""
    privacy = state.commitment.privacy
    if privacy is None:
        return SKIPPED
    count = len(state.proof.leaves)
    if count != privacy.split:
        raise InvalidProof(f"the proof lists {count} leaves; the commitment states that every balance is split "
                           f"into {privacy.split}", reason=Reason.SPLIT_MISMATCH)
    return f"one leaf per part ({privacy.split}, as the commitment states)"


def check_leaves(state: ProofCheck) -> str:
    proof, com = state.proof, state.commitment
    if state.expected_user is not None and proof.user_id != state.expected_user:
        raise InvalidProof(f"the proof is for user {proof.user_id!r}, not {state.expected_user!r}", reason=Reason.WRONG_USER)
    for i, leaf in enumerate(proof.leaves):
        if any(not 0 <= b < LEAF_VALUE_LIMIT for b in leaf.balances):
            raise InvalidProof(f"leaf {i}: a balance is outside [0, 2^64)", reason=Reason.LEAF_VALUE_RANGE)
    if any(not 0 <= b < LEAF_VALUE_LIMIT for b in proof.balances):
        raise InvalidProof("a total balance is outside [0, 2^64)", reason=Reason.LEAF_VALUE_RANGE)
    if tuple(sum(column) for column in zip(*(leaf.balances for leaf in proof.leaves))) != proof.balances:
        raise InvalidProof("the leaf balances do not add up to the stated balances", reason=Reason.BALANCE_MISMATCH)
    state.leaf_hashes = [user_leaf_hash(com.epoch, com.assets, proof.user_id, leaf.salt, leaf.balances) for leaf in proof.leaves]
    return f"{len(proof.leaves)} leaf hash(es) recomputed from user id {proof.user_id!r}, salt(s) and balances"


def check_sibling_sums(state: ProofCheck) -> None:
    assets = state.commitment.assets
    for i, leaf in enumerate(state.proof.leaves):
        for level, sib in enumerate(leaf.path):
            for j, value in enumerate(sib.sums):
                where = f"leaf {i}, level {level}: sibling sum for {assets[j]}"
                if value < 0:
                    raise InvalidProof(f"{where} is negative ({value})", reason=Reason.NEGATIVE_SUM)
                if value >= SUM_LIMIT:
                    raise InvalidProof(f"{where} is >= 2^128", reason=Reason.SUM_OUT_OF_RANGE)


def check_root(state: ProofCheck) -> None:
    com = state.commitment
    for i, (leaf, leaf_hash) in enumerate(zip(state.proof.leaves, state.leaf_hashes)):
        try:
            root_hash, root_sums = fold_path(leaf_hash, leaf.balances, leaf.index, leaf.path)
        except SumOverflow as exc:
            raise InvalidProof(f"leaf {i}: {exc}", reason=Reason.SUM_OVERFLOW) from None
        if root_hash != com.root_hash:
            raise InvalidProof(f"leaf {i}: the path folds to {root_hash.hex()}, not the committed root {com.root_hash.hex()}",
                               reason=Reason.ROOT_HASH_MISMATCH)
        if root_sums != com.root_sums:
            raise InvalidProof(f"leaf {i}: the path's root sums {list(root_sums)} differ from the committed {list(com.root_sums)}",
                               reason=Reason.ROOT_SUM_MISMATCH)


def check_signature(state: ProofCheck) -> str:
    try:
        state.commitment.verify_signature(state.key)
    except VerificationError as exc:
        raise rebrand(exc, InvalidProof, "commitment: ") from None
    return f"commitment signed by the pinned bank key {state.commitment.signer_key_id}"


def check_epoch(state: ProofCheck) -> str:
    expected = state.expected_epoch
    if expected is None:
        return SKIPPED
    if state.commitment.epoch != expected:
        raise InvalidProof(f"the proof is for epoch {state.commitment.epoch!r}, not the expected {expected!r} (replayed old proof?)",
                           reason=Reason.WRONG_EPOCH)
    return f"epoch is the expected {expected!r}"


# SPEC 6, in its order; the names are what the CLI prints for a passed check.
PROOF_CHECKS: tuple[Step[ProofCheck], ...] = (
    Step("canonical JSON encoding (SPEC 2.2)", check_encoding),
    Step(f"format version {FORMAT}", check_version),
    Step("schema of proof and commitment", check_schema),
    Step("every path has the committed height", check_path_length),
    Step("leaf indexes within the tree, distinct and sorted", check_indexes),
    Step("one leaf per committed part (privacy.split)", check_split),
    Step("leaf hashes recomputed from the user id, salts and balances", check_leaves),
    Step("every sibling sum is >= 0 and < 2^128", check_sibling_sums),
    Step("every path folds to the committed root hash and root sums", check_root),
    Step("commitment signed by the pinned bank key", check_signature),
    Step("epoch is the expected one", check_epoch),
)


def verify_proof(
    proof: bytes | JSONObject | Proof,
    pinned_public_key: PublicKey,
    *,
    commitment: bytes | JSONObject | Commitment | None = None,
    expected_epoch: str | None = None,
    expected_user: str | None = None,
) -> ProofFacts:
    """Run SPEC 6's check list; return the facts, with the checks passed in `ProofFacts.checked`."""
    state = ProofCheck(proof, pinned_public_key, commitment, expected_epoch, expected_user)
    checked = run_steps(PROOF_CHECKS, state, family=InvalidProof)
    p, com = state.proof, state.commitment
    return ProofFacts(
        user_id=p.user_id,
        epoch=com.epoch,
        as_of=com.as_of,
        assets=com.assets,
        balances=p.balances,
        leaf_indexes=tuple(leaf.index for leaf in p.leaves),
        root_hash=com.root_hash.hex(),
        root_sums=com.root_sums,
        leaf_count=com.leaf_count,
        signer_key_id=com.signer_key_id,
        checked=checked,
    )
