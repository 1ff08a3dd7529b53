"""The asset attestation ``assets.json`` (``pos-assets/3``) as frozen typed values (SPEC 8.6, 8.7).

`Attestation.parse` is the exact schema of SPEC 8.6: it refuses missing and unknown members,
wrong types, out-of-range integers, non-canonical decimal strings, duplicate outpoints, channel
points and proof addresses (``SCHEMA``), a balance above its channel's capacity
(``ESCROW_MISMATCH``), an unknown format version (``pos-assets/1`` included: it carried no anchor
header and no cut-off, so its anchor cannot be checked), network or proof format (`CannotVerify`).
A ``pos-assets/2`` attestation (published before bria's wallet could be attested) is read as the
same artifact without the ``bria`` member and the bria categories of its totals; `format` keeps
which one it is, so `to_json` gives back exactly the bytes that were signed.
`Attestation.to_json` gives back the JSON object and `to_bytes` the canonical file bytes (SPEC 2.2)
that the prover publishes; for every attestation `a`, ``Attestation.parse(a.to_json()) == a``.

Invariants: the values are immutable; amounts are integer satoshis (or cents) in the ranges the
schema allows, never floats; decimal strings of the JSON are integers here. Hashes, scripts and
txids stay lower-case hex text, the form bitcoin tools print, so no byte order can be confused.
Parsing says nothing about signatures, proofs or totals: that is the check list of
`verifier.assets.attestation`.

Names: in the JSON, ``assets`` is both the commitment's currency vector and a statement row's
holdings; here they are `CommitmentCopy.currencies` and `StatementRow.held`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from verifier import canonical
from verifier.assets.address import network_params
from verifier.assets.anchor import BlockHeader
from verifier.assets.challenge import FORMAT, FORMATS, UNSIGNED_MEMBERS, node_message
from verifier.assets.errors import CannotVerify, InvalidAttestation, Reason
from verifier.assets.rules import CATEGORY_NAMES, CATEGORY_NAMES_V2, MAX_SAT
from verifier.encoding import ASSET_RE
from verifier.schema import (
    HEX64,
    JSON,
    JSONObject,
    UtcTime,
    amount,
    check_format,
    epoch_id,
    integer,
    members,
    optional,
    text,
    utc_time,
)
from verifier.signature import Signature, SignedArtifact

TYPE = "asset-attestation"
PROOF_FORMATS = ("bip322-simple", "bip137", "lnd-signmessagewithaddr")
PENDING_KINDS = ("pending_open", "waiting_close", "force_close")
MAX_UINT32 = 2**32 - 1
MAX_JSON_INT = 2**53 - 1

_HEX = re.compile(r"(?:[0-9a-f]{2})+")
_PUBKEY = re.compile(r"0[23][0-9a-f]{64}")
_OUTPOINT = re.compile(r"[0-9a-f]{64}:(0|[1-9][0-9]{0,9})")
_SCID = re.compile(r"0|[1-9][0-9]{0,19}")
WALLET_ID = re.compile(r"[0-9A-Za-z_.:-]{1,100}")  # bria prints a UUID

T = TypeVar("T")
_E = InvalidAttestation


# --- readers of this family, over the verifier's shared schema readers (verifier.schema) --------


def _object(value: JSON, names: Sequence[str], where: str) -> JSONObject:
    return members(value, frozenset(names), where, _E)


def _uint(value: JSON, where: str, limit: int = MAX_SAT) -> int:
    number = integer(value, where, _E, minimum=0)
    if number > limit:
        raise _E(f"{where} must be an integer in [0, {limit}], got {value!r}")
    return number


def _text(value: JSON, where: str, pattern: re.Pattern[str] | None = None) -> str:
    return text(value, where, _E, pattern)


def _flag(value: JSON, where: str) -> bool:
    if not isinstance(value, bool):
        raise _E(f"{where} must be true or false")
    return value


def _items(value: JSON, where: str, parse: Callable[[JSON, str], T]) -> tuple[T, ...]:
    if not isinstance(value, list):
        raise _E(f"{where} must be an array")
    return tuple(parse(item, f"{where}[{i}]") for i, item in enumerate(value))


def _unique(keys: Sequence[object], message: str) -> None:
    if len(set(keys)) != len(keys):
        raise _E(message)


# --- the parts ---------------------------------------------------------------------------------


class _Record:
    """A part whose JSON object has exactly the dataclass's fields, as they are (`to_json` is
    `dataclasses.asdict`)."""

    __slots__ = ()
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    @classmethod
    def _members(cls, value: JSON, where: str) -> JSONObject:
        return _object(value, [f.name for f in dataclasses.fields(cls)], where)

    def to_json(self) -> JSONObject:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class Anchor:
    """The block every figure is taken at, with its header so anyone can check its hash and work."""

    height: int
    hash: str
    header: BlockHeader

    @classmethod
    def parse(cls, value: JSON, where: str = "anchor") -> Anchor:
        obj = _object(value, ("height", "hash", "header"), where)
        return cls(_uint(obj["height"], f"{where}.height", MAX_UINT32), _text(obj["hash"], f"{where}.hash", HEX64),
                   BlockHeader.parse(obj["header"], f"{where}.header"))

    def to_json(self) -> JSONObject:
        return {"height": self.height, "hash": self.hash, "header": self.header.to_json()}


@dataclass(frozen=True, slots=True)
class CommitmentCopy:
    """The liabilities commitment the attestation answers: its hash, cut-off and root sums per currency."""

    hash: str
    epoch: str
    currencies: tuple[str, ...]
    root_sums: tuple[int, ...]
    as_of: UtcTime

    @classmethod
    def parse(cls, value: JSON, where: str = "commitment") -> CommitmentCopy:
        obj = _object(value, ("hash", "epoch", "as_of", "assets", "root_sums"), where)
        digest, epoch = _text(obj["hash"], f"{where}.hash", HEX64), epoch_id(obj["epoch"], f"{where}.epoch", _E)
        as_of = utc_time(obj["as_of"], f"{where}.as_of", _E)
        codes = obj["assets"]
        if (
            not isinstance(codes, list)
            or not codes
            or not all(isinstance(c, str) and ASSET_RE.fullmatch(c) for c in codes)
            or len(set(codes)) != len(codes)
        ):
            raise _E(f"{where}.assets must be distinct currency codes")
        sums = obj["root_sums"]
        if not isinstance(sums, list) or len(sums) != len(codes):
            raise _E(f"{where}.root_sums must hold one non-negative sum per currency")
        root_sums = tuple(amount(s, f"{where}.root_sums[{i}]", _E) for i, s in enumerate(sums))
        if any(s < 0 for s in root_sums):
            raise _E(f"{where}.root_sums must hold one non-negative sum per currency")
        return cls(digest, epoch, tuple(codes), root_sums, as_of)

    def to_json(self) -> JSONObject:
        return {"hash": self.hash, "epoch": self.epoch, "as_of": str(self.as_of), "assets": list(self.currencies),
                "root_sums": [str(s) for s in self.root_sums]}


@dataclass(frozen=True, slots=True)
class Channel(_Record):
    """One open channel as lncli ``listchannels`` reports it (sats)."""

    channel_point: str
    scid: str
    remote_pubkey: str
    active: bool
    capacity: int
    local: int
    remote: int
    unsettled: int
    commit_fee: int
    commitment_type: str
    initiator: bool
    pending_htlcs: int

    @classmethod
    def parse(cls, value: JSON, where: str) -> Channel:
        obj = cls._members(value, where)
        return cls(
            channel_point=_text(obj["channel_point"], f"{where}.channel_point", _OUTPOINT),
            scid=_text(obj["scid"], f"{where}.scid", _SCID),
            remote_pubkey=_text(obj["remote_pubkey"], f"{where}.remote_pubkey", _PUBKEY),
            active=_flag(obj["active"], f"{where}.active"),
            capacity=_uint(obj["capacity"], f"{where}.capacity"),
            local=_uint(obj["local"], f"{where}.local"),
            remote=_uint(obj["remote"], f"{where}.remote"),
            unsettled=_uint(obj["unsettled"], f"{where}.unsettled"),
            commit_fee=_uint(obj["commit_fee"], f"{where}.commit_fee"),
            commitment_type=_text(obj["commitment_type"], f"{where}.commitment_type"),
            initiator=_flag(obj["initiator"], f"{where}.initiator"),
            pending_htlcs=_uint(obj["pending_htlcs"], f"{where}.pending_htlcs", 2 * 483),
        )


@dataclass(frozen=True, slots=True)
class PendingChannel(_Record):
    """A channel being opened or closed; `limbo` is what it counts for (SPEC 8.3)."""

    kind: str
    channel_point: str
    capacity: int
    local: int
    remote: int
    initiator: str
    commitment_type: str
    limbo: int

    @classmethod
    def parse(cls, value: JSON, where: str) -> PendingChannel:
        obj = cls._members(value, where)
        if obj["kind"] not in PENDING_KINDS:
            raise _E(f"{where}.kind must be one of {PENDING_KINDS}")
        pending = cls(
            kind=obj["kind"],
            channel_point=_text(obj["channel_point"], f"{where}.channel_point", _OUTPOINT),
            capacity=_uint(obj["capacity"], f"{where}.capacity"),
            local=_uint(obj["local"], f"{where}.local"),
            remote=_uint(obj["remote"], f"{where}.remote"),
            initiator=_text(obj["initiator"], f"{where}.initiator"),
            commitment_type=_text(obj["commitment_type"], f"{where}.commitment_type"),
            limbo=_uint(obj["limbo"], f"{where}.limbo"),
        )
        if max(pending.local, pending.remote, pending.limbo) > pending.capacity:
            raise _E(f"{where}: a balance exceeds the channel capacity", reason=Reason.ESCROW_MISMATCH)
        if pending.kind == "pending_open" and pending.limbo != pending.local:
            raise _E(f"{where}: a pending-open channel's limbo figure is its local balance", reason=Reason.TOTAL_MISMATCH)
        return pending


@dataclass(frozen=True, slots=True)
class Onchain(_Record):
    """lnd's ``walletbalance``."""

    confirmed: int
    unconfirmed: int
    locked: int
    total: int

    @classmethod
    def parse(cls, value: JSON, where: str = "onchain") -> Onchain:
        obj = cls._members(value, where)
        return cls(*(_uint(obj[k], f"{where}.{k}") for k in ("confirmed", "unconfirmed", "locked", "total")))


@dataclass(frozen=True, slots=True)
class Utxo(_Record):
    """A listed UTXO: `height` is its creation height when known, `descriptor` the scan's, if any."""

    txid: str
    vout: int
    amount: int
    script_pubkey: str
    address: str
    descriptor: str | None
    height: int | None

    @classmethod
    def parse(cls, value: JSON, where: str) -> Utxo:
        obj = cls._members(value, where)
        return cls(
            txid=_text(obj["txid"], f"{where}.txid", HEX64),
            vout=_uint(obj["vout"], f"{where}.vout", MAX_UINT32),
            amount=_uint(obj["amount"], f"{where}.amount"),
            script_pubkey=_text(obj["script_pubkey"], f"{where}.script_pubkey", _HEX),
            address=_text(obj["address"], f"{where}.address"),
            descriptor=None if obj["descriptor"] is None else _text(obj["descriptor"], f"{where}.descriptor"),
            height=None if obj["height"] is None else _uint(obj["height"], f"{where}.height", MAX_UINT32),
        )

    @property
    def outpoint(self) -> str:
        return f"{self.txid}:{self.vout}"


@dataclass(frozen=True, slots=True)
class Bria:
    """bria's on-chain wallet (SPEC 8.3, 8.6): its UTXOs and the two balances of its ledger that
    must add up to them. A UTXO without a height is unconfirmed (not counted)."""

    wallet_id: str
    utxo_settled: int
    utxo_pending_incoming: int
    utxos: tuple[Utxo, ...]

    @classmethod
    def parse(cls, value: JSON, where: str = "bria") -> Bria:
        obj = _object(value, ("wallet_id", "utxo_settled", "utxo_pending_incoming", "utxos"), where)
        utxos = _items(obj["utxos"], f"{where}.utxos", Utxo.parse)
        _unique([u.outpoint for u in utxos], f"{where}.utxos: a UTXO is listed twice")
        return cls(_text(obj["wallet_id"], f"{where}.wallet_id", WALLET_ID), _uint(obj["utxo_settled"], f"{where}.utxo_settled"),
                   _uint(obj["utxo_pending_incoming"], f"{where}.utxo_pending_incoming"), utxos)

    def to_json(self) -> JSONObject:
        return {"wallet_id": self.wallet_id, "utxo_settled": self.utxo_settled,
                "utxo_pending_incoming": self.utxo_pending_incoming, "utxos": [u.to_json() for u in self.utxos]}

    def amounts(self, confirmed: bool) -> int:
        """The sum of the confirmed (created at a known height) or of the unconfirmed UTXOs."""
        return sum(u.amount for u in self.utxos if (u.height is not None) == confirmed)


@dataclass(frozen=True, slots=True)
class ProofOfControl(_Record):
    """One entry of ``proofs.json``: a signature by `address` over the challenge (SPEC 8.5)."""

    address: str
    format: str
    signature: str

    @classmethod
    def parse(cls, value: JSON, where: str) -> ProofOfControl:
        obj = cls._members(value, where)
        address, signature = _text(obj["address"], f"{where}.address"), _text(obj["signature"], f"{where}.signature")
        if obj["format"] not in PROOF_FORMATS:
            raise CannotVerify(f"{where}.format {obj['format']!r} is not one of {PROOF_FORMATS}", reason=Reason.UNSUPPORTED_PROOF)
        return cls(address, obj["format"], signature)


@dataclass(frozen=True, slots=True)
class Totals:
    """One total in sats per asset category, in the order of SPEC 8.3 (`rules.CATEGORIES`)."""

    channel_local: int
    channel_escrow: int
    pending_open_local: int
    waiting_close: int
    force_close_limbo: int
    onchain_confirmed: int
    cold_storage: int
    bria_confirmed: int
    onchain_unconfirmed: int
    onchain_locked: int
    channel_unsettled: int
    bria_unconfirmed: int

    @classmethod
    def parse(cls, value: JSON, where: str = "totals", names: tuple[str, ...] = CATEGORY_NAMES) -> Totals:
        """Exactly the categories `names` (a pos-assets/2 attestation has no bria ones: they are 0)."""
        obj = _object(value, names, where)
        return cls(**dict.fromkeys(CATEGORY_NAMES, 0) | {name: _uint(obj[name], f"{where}.{name}", MAX_JSON_INT) for name in names})

    def to_json(self, names: tuple[str, ...] = CATEGORY_NAMES) -> dict[str, int]:
        return {name: getattr(self, name) for name in names}


assert tuple(f.name for f in dataclasses.fields(Totals)) == CATEGORY_NAMES, "Totals must follow rules.CATEGORIES"


@dataclass(frozen=True, slots=True)
class Price:
    """The BTC/USD price the bank declares (SPEC 8.7): a labelled conversion, never netting."""

    usd_cents_per_btc: int
    source: str
    time: UtcTime

    @classmethod
    def parse(cls, value: JSON, where: str = "statement.price") -> Price:
        obj = _object(value, ("usd_cents_per_btc", "source", "time"), where)
        cents = _uint(obj["usd_cents_per_btc"], f"{where}.usd_cents_per_btc", MAX_JSON_INT)
        if cents == 0:
            raise _E(f"{where}.usd_cents_per_btc must be positive")
        source = obj["source"]
        if not isinstance(source, str) or not 1 <= len(source) <= 200:
            raise _E(f"{where}.source must be a non-empty string of at most 200 characters")
        return cls(cents, source, utc_time(obj["time"], f"{where}.time", _E))

    def to_json(self) -> JSONObject:
        return {"usd_cents_per_btc": self.usd_cents_per_btc, "source": self.source, "time": str(self.time)}


@dataclass(frozen=True, slots=True)
class StatementRow:
    """One currency of the statement: what the bank holds in it, owes in it, and the difference."""

    currency: str
    unit: str
    held: int
    liabilities: int
    margin: int

    @classmethod
    def parse(cls, value: JSON, where: str) -> StatementRow:
        obj = _object(value, ("asset", "unit", "assets", "liabilities", "margin"), where)
        return cls(
            currency=_text(obj["asset"], f"{where}.asset", ASSET_RE),
            unit=_text(obj["unit"], f"{where}.unit"),
            held=amount(obj["assets"], f"{where}.assets", _E),
            liabilities=amount(obj["liabilities"], f"{where}.liabilities", _E),
            margin=amount(obj["margin"], f"{where}.margin", _E),
        )

    def to_json(self) -> JSONObject:
        return {"asset": self.currency, "unit": self.unit, "assets": str(self.held),
                "liabilities": str(self.liabilities), "margin": str(self.margin)}


@dataclass(frozen=True, slots=True)
class Combined:
    """BTC margin with USD liabilities converted at the declared price, rounded against the bank."""

    usd_liabilities_in_sat: int
    margin_sat: int
    margin_usd_cents: int

    @classmethod
    def parse(cls, value: JSON, where: str = "statement.combined_at_declared_price") -> Combined:
        names = ("usd_liabilities_in_sat", "margin_sat", "margin_usd_cents")
        obj = _object(value, names, where)
        return cls(*(amount(obj[k], f"{where}.{k}", _E) for k in names))

    def to_json(self) -> JSONObject:
        return {k: str(v) for k, v in dataclasses.asdict(self).items()}


@dataclass(frozen=True, slots=True)
class Statement:
    """The solvency statement (SPEC 8.7): per-currency rows, never netted, and a labelled view."""

    rows: tuple[StatementRow, ...]
    price: Price | None
    combined: Combined | None

    @classmethod
    def parse(cls, value: JSON, where: str = "statement") -> Statement:
        obj = _object(value, ("per_asset", "price", "combined_at_declared_price"), where)
        price = optional(obj["price"], lambda v: Price.parse(v, f"{where}.price"))
        rows = _items(obj["per_asset"], f"{where}.per_asset", StatementRow.parse)
        return cls(rows, price, optional(obj["combined_at_declared_price"], Combined.parse))

    def to_json(self) -> JSONObject:
        return {"per_asset": [r.to_json() for r in self.rows], "price": None if self.price is None else self.price.to_json(),
                "combined_at_declared_price": None if self.combined is None else self.combined.to_json()}

    def row(self, currency: str) -> StatementRow:
        return next(r for r in self.rows if r.currency == currency)


@dataclass(frozen=True, slots=True)
class NodeSignature(_Record):
    """lnd's ``signmessage`` over the attestation digest (SPEC 8.6)."""

    message: str
    signature: str

    @classmethod
    def parse(cls, value: JSON, where: str = "node_signature") -> NodeSignature:
        obj = cls._members(value, where)
        return cls(_text(obj["message"], f"{where}.message"), _text(obj["signature"], f"{where}.signature"))


# --- the attestation ---------------------------------------------------------------------------

MEMBERS_V2 = frozenset(
    {"format", "type", "epoch", "network", "anchor", "commitment", "challenge", "node", "channels",
     "pending_channels", "onchain", "onchain_utxos", "cold_utxos", "proofs", "totals", "statement",
     "node_signature", "signature"}
)
MEMBERS = MEMBERS_V2 | {"bria"}


def check_header(doc: JSON) -> JSONObject:
    """SPEC 8.8 #2: a JSON object of format ``pos-assets/3`` or ``/2`` (else `CannotVerify`) and our type."""
    if not isinstance(doc, dict):
        raise _E("an asset attestation is a JSON object")
    fmt = doc.get("format")
    return check_format(doc, fmt if fmt in FORMATS else FORMAT, TYPE, _E)


def _network(value: JSON) -> str:
    if not isinstance(value, str):
        raise _E("network must be a string")
    network_params(value)
    return value


def _node(value: JSON) -> str:
    return _text(_object(value, ("identity_pubkey",), "node")["identity_pubkey"], "node.identity_pubkey", _PUBKEY)


@dataclass(frozen=True, slots=True)
class Attestation(SignedArtifact):
    """A schema-checked ``assets.json``; `node_signature` and `signature` are None before signing.

    `to_json` is the JSON object, `to_bytes` the published file (SPEC 2.2), `body_json` what the
    bank signs (everything but ``signature``) and `node_body` what the lnd node signs.
    """

    epoch: str
    network: str
    anchor: Anchor
    commitment: CommitmentCopy
    challenge: str
    node_pubkey: str
    channels: tuple[Channel, ...]
    pending_channels: tuple[PendingChannel, ...]
    onchain: Onchain
    onchain_utxos: tuple[Utxo, ...] | None
    cold_utxos: tuple[Utxo, ...]
    proofs: tuple[ProofOfControl, ...]
    totals: Totals
    statement: Statement
    node_signature: NodeSignature | None = None
    signature: Signature | None = None
    bria: Bria | None = None
    format: str = FORMAT

    FORMAT = FORMAT
    TYPE = TYPE

    @classmethod
    def parse(cls, doc: JSON) -> Attestation:
        """The exact schema of SPEC 8.6 (format first); see the module docstring for the reasons."""
        fmt = check_header(doc)["format"]
        obj = _object(doc, sorted(MEMBERS if fmt == FORMAT else MEMBERS_V2), "attestation")
        head = (epoch_id(obj["epoch"], "epoch", _E), _network(obj["network"]), Anchor.parse(obj["anchor"]),
                CommitmentCopy.parse(obj["commitment"]), _text(obj["challenge"], "challenge"), _node(obj["node"]))
        channels = _items(obj["channels"], "channels", Channel.parse)
        pending = _items(obj["pending_channels"], "pending_channels", PendingChannel.parse)
        _unique([c.channel_point for c in channels] + [p.channel_point for p in pending], "a channel_point is listed twice")
        onchain = Onchain.parse(obj["onchain"])
        lnd = optional(obj["onchain_utxos"], lambda v: _items(v, "onchain_utxos", Utxo.parse))
        cold = _items(obj["cold_utxos"], "cold_utxos", Utxo.parse)
        _unique([(u.txid, u.vout) for u in cold + (lnd or ())], "a UTXO is listed twice")
        proofs = _items(obj["proofs"], "proofs", ProofOfControl.parse)
        _unique([p.address for p in proofs], "an address has two proofs")
        bria = optional(obj.get("bria"), Bria.parse)
        totals = Totals.parse(obj["totals"], names=CATEGORY_NAMES if fmt == FORMAT else CATEGORY_NAMES_V2)
        return cls(*head, channels, pending, onchain, lnd, cold, proofs, totals,
                   Statement.parse(obj["statement"]), NodeSignature.parse(obj["node_signature"]),
                   Signature.parse(obj["signature"], "signature", _E), bria, fmt)

    @classmethod
    def from_bytes(cls, data: bytes) -> Attestation:
        """Parse file bytes; they must be canonical JSON (``NON_CANONICAL_ENCODING`` otherwise)."""
        return cls.parse(canonical.loads(data))

    def node_body(self) -> JSONObject:
        """The members the lnd node signs: all but ``node_signature`` and ``signature`` (SPEC 8.6)."""
        body: JSONObject = {
            "format": self.format, "type": TYPE, "epoch": self.epoch, "network": self.network,
            "anchor": self.anchor.to_json(), "commitment": self.commitment.to_json(), "challenge": self.challenge,
            "node": {"identity_pubkey": self.node_pubkey},
            "channels": [c.to_json() for c in self.channels],
            "pending_channels": [p.to_json() for p in self.pending_channels],
            "onchain": self.onchain.to_json(),
            "onchain_utxos": None if self.onchain_utxos is None else [u.to_json() for u in self.onchain_utxos],
            "cold_utxos": [u.to_json() for u in self.cold_utxos],
            "proofs": [p.to_json() for p in self.proofs],
            "totals": self.totals.to_json(self.category_names()),
            "statement": self.statement.to_json(),
        }
        if self.format == FORMAT:
            body["bria"] = None if self.bria is None else self.bria.to_json()
        return body

    def category_names(self) -> tuple[str, ...]:
        """The categories of this attestation's `totals`: a pos-assets/2 one has no bria categories."""
        return CATEGORY_NAMES if self.format == FORMAT else CATEGORY_NAMES_V2

    def body_json(self) -> JSONObject:
        """What the bank signs: the node body and, once the node signed, its signature."""
        body = self.node_body()
        if self.node_signature is not None:
            body["node_signature"] = self.node_signature.to_json()
        return body

    def node_message(self) -> str:
        """The text the lnd node signs with ``lncli signmessage`` (SPEC 8.6)."""
        return node_message(self.node_body())

    def with_node_signature(self, node_signature: NodeSignature) -> Attestation:
        return dataclasses.replace(self, node_signature=node_signature, signature=None)

    def utxos(self) -> tuple[tuple[str, Utxo], ...]:
        """Every listed UTXO with the list it is in: cold storage first, then lnd's, then bria's."""
        return (tuple(("cold_utxos", u) for u in self.cold_utxos) + tuple(("onchain_utxos", u) for u in self.onchain_utxos or ())
                + tuple(("bria.utxos", u) for u in (self.bria.utxos if self.bria is not None else ())))


assert set(UNSIGNED_MEMBERS) <= MEMBERS
