"""Asset categories and the channel escrow identity (docs/SPEC.md section 8.3).

Shared by the prover (which refuses a snapshot that breaks a rule) and the verifier (which
recomputes every rule from the attestation). One definition, so the two cannot drift.

Invariants enforced here, all amounts in integer satoshis:

* ``0 <= local <= capacity``, ``0 <= remote <= capacity``, ``0 <= unsettled <= capacity``;
* ``escrow = capacity - local - remote - unsettled >= 0``;
* for anchor commitment types ``escrow == commit_fee + 330 * anchors`` where ``anchors`` counts
  one anchor per party that has an output on the commitment transaction (balance > 0 or pending
  HTLCs); for pre-anchor types ``escrow == commit_fee`` (which then moves with the fee market);
* only the escrow of channels *we* opened (lnd ``initiator: true``) is our asset; the escrow of a
  channel the peer opened is the peer's money and is not counted.

An unknown commitment type cannot be checked and is refused as `CannotVerify`, never guessed.
The rules read a channel through `ChannelFigures`, the fields they need; the one channel type is
`verifier.assets.artifact.Channel`, which the prover also parses ``lncli listchannels`` into.
"""

from __future__ import annotations

from typing import Protocol

from verifier.assets.errors import CannotVerify, InvalidAttestation, Reason

ANCHOR_OUTPUT_SAT = 330
MAX_SAT = 21_000_000 * 100_000_000

# lnd `CommitmentType` enum names and whether they carry anchor outputs.
COMMITMENT_TYPES: dict[str, bool] = {
    "LEGACY": False,
    "STATIC_REMOTE_KEY": False,
    "ANCHORS": True,
    "SCRIPT_ENFORCED_LEASE": True,
    "SIMPLE_TAPROOT": True,
    "SIMPLE_TAPROOT_OVERLAY": True,
}

# Categories in a fixed order. `True`: counted as an asset in the solvency statement; `False`:
# disclosed for reconciliation but not counted (unconfirmed funds may never confirm, lnd's
# locked balance may overlap the confirmed one, in-flight HTLCs may settle either way).
CATEGORIES: tuple[tuple[str, bool], ...] = (
    ("channel_local", True),
    ("channel_escrow", True),
    ("pending_open_local", True),
    ("waiting_close", True),
    ("force_close_limbo", True),
    ("onchain_confirmed", True),
    ("cold_storage", True),
    ("bria_confirmed", True),
    ("onchain_unconfirmed", False),
    ("onchain_locked", False),
    ("channel_unsettled", False),
    ("bria_unconfirmed", False),
)
COUNTED = frozenset(name for name, counted in CATEGORIES if counted)
CATEGORY_NAMES = tuple(name for name, _ in CATEGORIES)
# The categories of bria's on-chain wallet (SPEC 8.3), new in format pos-assets/3: a pos-assets/2
# attestation's totals have every other category and none of these.
BRIA_CATEGORIES = ("bria_confirmed", "bria_unconfirmed")
CATEGORY_NAMES_V2 = tuple(name for name in CATEGORY_NAMES if name not in BRIA_CATEGORIES)


def _escrow_mismatch(message: str) -> InvalidAttestation:
    return InvalidAttestation(message, reason=Reason.ESCROW_MISMATCH)


class ChannelFigures(Protocol):
    """The figures of one open channel that the escrow rule reads (`artifact.Channel` has them)."""

    @property
    def channel_point(self) -> str: ...
    @property
    def capacity(self) -> int: ...
    @property
    def local(self) -> int: ...
    @property
    def remote(self) -> int: ...
    @property
    def unsettled(self) -> int: ...
    @property
    def commit_fee(self) -> int: ...
    @property
    def commitment_type(self) -> str: ...
    @property
    def initiator(self) -> bool: ...
    @property
    def pending_htlcs(self) -> int: ...


def anchor_count(ch: ChannelFigures) -> int:
    """Anchor outputs on our commitment transaction: one per party with an output on it."""
    if not COMMITMENT_TYPES[ch.commitment_type]:
        return 0
    htlcs = ch.pending_htlcs > 0 or ch.unsettled > 0
    return int(ch.local > 0 or htlcs) + int(ch.remote > 0 or htlcs)


def channel_escrow(ch: ChannelFigures) -> int:
    """Check every bound and the escrow identity of `ch`; return its escrow in sats.

    Raises `InvalidAttestation` (``ESCROW_MISMATCH``) naming the channel and the failed rule, or `CannotVerify` for an
    unknown commitment type.
    """
    where = f"channel {ch.channel_point}"
    if ch.commitment_type not in COMMITMENT_TYPES:
        raise CannotVerify(
            f"{where}: unknown commitment_type {ch.commitment_type!r}; the escrow rule is defined for "
            + ", ".join(COMMITMENT_TYPES),
            reason=Reason.UNSUPPORTED_COMMITMENT_TYPE,
        )
    for name in ("capacity", "local", "remote", "unsettled", "commit_fee"):
        value = getattr(ch, name)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SAT:
            raise _escrow_mismatch(f"{where}: {name} {value!r} is not an amount in sats")
    for name in ("local", "remote", "unsettled"):
        if getattr(ch, name) > ch.capacity:
            raise _escrow_mismatch(f"{where}: {name} {getattr(ch, name)} exceeds capacity {ch.capacity}")
    escrow = ch.capacity - ch.local - ch.remote - ch.unsettled
    if escrow < 0:
        raise _escrow_mismatch(
            f"{where}: local {ch.local} + remote {ch.remote} + unsettled {ch.unsettled} exceed capacity {ch.capacity}"
        )
    anchors = anchor_count(ch)
    expected = ch.commit_fee + ANCHOR_OUTPUT_SAT * anchors
    if escrow != expected:
        raise _escrow_mismatch(
            f"{where}: capacity - local - remote - unsettled = {escrow} but commit_fee {ch.commit_fee}"
            f" + {anchors} x {ANCHOR_OUTPUT_SAT} (anchor outputs of a {ch.commitment_type} channel) = {expected}"
        )
    return escrow


def our_escrow(ch: ChannelFigures) -> int:
    """The part of the escrow that is our asset: all of it if we opened the channel, else 0."""
    escrow = channel_escrow(ch)
    return escrow if ch.initiator else 0
