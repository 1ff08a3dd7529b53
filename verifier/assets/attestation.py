"""Verifying the asset attestation ``assets.json``: the check list of SPEC 8.8 (and 8.9).

`STEPS` is the check list, one named `Step` per row of SPEC 8.8 in its order, run by
`verify_attestation` over a working `AttestationState`; the first failure wins and raises
`InvalidAttestation` with the failed rule's `Reason` (or `CannotVerify`: exit 3), carrying the
names of the steps that passed. Adding a check is one function and one line in `STEPS`.

Threat model: the bank holds both the bank key and the lnd node key, so it can sign anything it
writes. What it cannot forge: a proof of control by keys it does not hold, over this epoch's
challenge (which binds the epoch, the anchor block and the liabilities commitment); figures that
break the escrow identity or do not add up to the signed totals and statement; and, with the
auditor's own UTXO data (`--utxos`), UTXOs that did not exist at the anchor block; an anchor
block whose header does not hash to its stated hash, lacks the work its bits claim (or, on
mainnet, the floor of SPEC 8.8), or whose time is outside the window around the liabilities
cut-off; coins counted twice (a channel's funding outpoint also listed as a UTXO); coins of
another network than the one the user pinned; and, with the user's own block hashes
(`--block-hash`), an anchor that is not in the user's chain. Channel
balances, pending channels and lnd's wallet balance stay the operator's word (signed and checked
for consistency, not provable from the chain); the result's caveats say so.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from verifier.assets import anchor as anchor_rules
from verifier.assets import bip322, signmessage
from verifier.assets.address import address_script, descriptor_script, script_address
from verifier.assets.artifact import PROOF_FORMATS, TYPE, Attestation, ProofOfControl, Totals, check_header
from verifier.assets.challenge import FORMAT, challenge_message, node_message
from verifier.assets.errors import CannotVerify, InvalidAttestation, Reason
from verifier.assets.statement import attestation_statement, attestation_totals
from verifier.assets.utxos import UtxoAudit
from verifier.commitment import commitment_hash, verify_commitment
from verifier.signature import PublicKey
from verifier.steps import Step, run_steps

__all__ = [
    "FORMAT", "PROOF_FORMATS", "STEPS", "TYPE", "AttestationFacts", "AttestationState", "CannotVerify",
    "InvalidAttestation", "parse_attestation", "verify_attestation", "verify_proof_of_control",
]

def parse_attestation(doc: Any) -> Attestation:
    """Format marker and exact schema (SPEC 8.8 #2-3) of a decoded ``assets.json``."""
    return Attestation.parse(doc)


def verify_proof_of_control(proof: ProofOfControl, message: str, network: str) -> str:
    """Verify one proof of control over `message` (SPEC 8.5); returns the script type verified."""
    data = message.encode("utf-8")
    if proof.format == "bip322-simple":
        return bip322.verify_simple(proof.address, data, proof.signature, network)
    if proof.format == "bip137":
        return signmessage.verify_bip137(proof.address, data, proof.signature, network)
    return signmessage.verify_lnd_address(proof.address, data, proof.signature, network)


@dataclass
class AttestationState:
    """The working state of the check list: its inputs, and what the steps established so far."""

    document: Any
    key: PublicKey
    commitment: Any | None = None
    expected_epoch: str | None = None
    utxo_audit: UtxoAudit | None = None
    expected_network: str | None = None
    known_blocks: tuple[tuple[int, str], ...] = ()
    parsed: Attestation | None = None
    totals: Totals | None = None
    checked: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)

    @property
    def attestation(self) -> Attestation:
        if self.parsed is None:  # only a step placed before "schema" can get here
            raise RuntimeError("the attestation is read by the schema step")
        return self.parsed


@dataclass(frozen=True, slots=True)
class AttestationFacts:
    """What a valid attestation established: sentences of the checks, facts, and caveats."""

    checked: tuple[str, ...]
    facts: dict[str, Any]
    caveats: tuple[str, ...]


# --- the steps, in the order of SPEC 8.8 ----------------------------------------------------------


def check_format(state: AttestationState) -> None:
    check_header(state.document)


def check_schema(state: AttestationState) -> None:
    state.parsed = Attestation.parse(state.document)
    state.checked.append(f"format {state.parsed.format} and schema")


def check_bank_signature(state: AttestationState) -> None:
    state.attestation.verify_signature(state.key)
    state.checked.append("bank Ed25519 signature over the attestation (pinned key)")


def check_epoch(state: AttestationState) -> None:
    a, expected = state.attestation, state.expected_epoch
    if expected is not None and a.epoch != expected:
        raise InvalidAttestation(f"the attestation is for epoch {a.epoch!r}, not {expected!r}", reason=Reason.WRONG_EPOCH)
    if expected is not None:
        state.checked.append(f"epoch is {expected}")
    if a.commitment.epoch != a.epoch:
        raise InvalidAttestation("the liabilities commitment is for another epoch", reason=Reason.EPOCH_MISMATCH)


def check_challenge(state: AttestationState) -> None:
    a = state.attestation
    if a.challenge != challenge_message(a.epoch, a.anchor.height, a.anchor.hash, a.commitment.hash):
        raise InvalidAttestation("the challenge does not bind this epoch, anchor block and commitment", reason=Reason.CHALLENGE_MISMATCH)
    state.checked.append("challenge binds the epoch, the anchor block and the liabilities commitment hash")


def check_commitment(state: AttestationState) -> None:
    copy = state.attestation.commitment
    if state.commitment is None:
        state.caveats.append("liabilities were not checked against commitment.json (give --commitment to check them)")
        return
    given = verify_commitment(state.commitment, state.key)
    if commitment_hash(state.commitment).hex() != copy.hash:
        raise InvalidAttestation("the given commitment is not the one the challenge binds", reason=Reason.COMMITMENT_MISMATCH)
    if (given.epoch, given.as_of, tuple(given.assets), tuple(given.root_sums)) != (copy.epoch, copy.as_of, copy.currencies, copy.root_sums):
        raise InvalidAttestation("the liabilities copied into the attestation differ from the commitment", reason=Reason.COMMITMENT_MISMATCH)
    state.checked.append("liabilities commitment: signature, hash and root sums match")


def check_network(state: AttestationState) -> None:
    a, expected = state.attestation, state.expected_network
    if expected is not None and a.network != expected:
        raise InvalidAttestation(f"the attested coins are on {a.network}, not on {expected} (pin another network with --network)",
                                 reason=Reason.WRONG_NETWORK)
    if expected is None:
        state.caveats.append(f"the network was not pinned: the attested coins are on {a.network}")
    state.checked.append(f"network: the attested coins are on {a.network}" + (" (as pinned)" if expected is not None else ""))


def check_anchor_header(state: AttestationState) -> None:
    a = state.attestation
    target = anchor_rules.check_header(a.anchor.height, a.anchor.hash, a.anchor.header, a.network)
    state.checked.append(f"anchor block {a.anchor.height} {a.anchor.hash}: its header hashes to it and meets the target "
                         f"of its bits {a.anchor.header.bits} (difficulty {anchor_rules.difficulty(target)})")


def check_anchor_time(state: AttestationState) -> None:
    a = state.attestation
    cutoff = int(a.commitment.as_of.to_datetime().timestamp())
    age = anchor_rules.check_anchor_time(a.anchor.header.time, cutoff)
    mined = datetime.fromtimestamp(a.anchor.header.time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    state.checked.append(f"anchor block mined at {mined}, {age} {a.commitment.as_of} "
                         f"(allowed: {anchor_rules.in_words(anchor_rules.MAX_AGE)} before to {anchor_rules.in_words(anchor_rules.MAX_LEAD)} after)")


def check_known_blocks(state: AttestationState) -> None:
    a = state.attestation
    name = f"{a.anchor.height} {a.anchor.hash}"
    compared = 0
    for height, digest in state.known_blocks:
        if height == a.anchor.height:
            expected = a.anchor.hash
        elif height == a.anchor.height - 1:
            expected = a.anchor.header.previousblockhash
        else:
            continue
        compared += 1
        if digest != expected:
            raise InvalidAttestation(f"your block {height} is {digest}, but the anchor block {name} names {expected}: "
                                     "the anchor is not in your chain", reason=Reason.ANCHOR_NOT_IN_CHAIN)
    if compared:
        state.checked.append(f"anchor block {name} is the block you gave")
        return
    given = f" (the blocks you gave are at other heights: {sorted(h for h, _ in state.known_blocks)})" if state.known_blocks else ""
    state.caveats.append(f"the anchor block {name} was not compared with the chain{given}: look it up on your own node "
                         f"(bitcoin-cli getblockhash {a.anchor.height}) or an explorer, and pass --block-hash {a.anchor.height}:HASH")


def check_node_signature(state: AttestationState) -> None:
    a = state.attestation
    assert a.node_signature is not None  # Attestation.parse requires it
    if a.node_signature.message != node_message(state.document):
        raise InvalidAttestation("the node signed a different attestation digest", reason=Reason.NODE_DIGEST_MISMATCH)
    signmessage.verify_lnd_node(a.node_pubkey, a.node_signature.message.encode(), a.node_signature.signature)
    state.checked.append(f"lnd node {a.node_pubkey} signed the attestation digest")


def check_utxo_addresses(state: AttestationState) -> None:
    a = state.attestation
    proven = {p.address for p in a.proofs}
    for where, u in a.utxos():
        name = f"{where} {u.outpoint}"
        script = bytes.fromhex(u.script_pubkey)
        if script_address(script, a.network) != u.address or address_script(u.address, a.network) != script:
            raise InvalidAttestation(f"{name}: address {u.address} does not match its scriptPubKey", reason=Reason.ADDRESS_MISMATCH)
        if u.descriptor is not None and descriptor_script(u.descriptor, a.network) != script:
            raise InvalidAttestation(f"{name}: descriptor does not derive its scriptPubKey", reason=Reason.ADDRESS_MISMATCH)
        if u.height is not None and u.height > a.anchor.height:
            raise InvalidAttestation(f"{name}: created at height {u.height}, after the anchor", reason=Reason.ANCHOR_MISMATCH)
        if u.address not in proven:
            raise InvalidAttestation(f"{name}: no proof of control for address {u.address}", reason=Reason.MISSING_PROOF)
    state.checked.append(f"{len(a.utxos())} UTXO addresses match their scripts and descriptors")


def check_proofs_of_control(state: AttestationState) -> None:
    a = state.attestation
    kinds = Counter(f"{p.format}/{verify_proof_of_control(p, a.challenge, a.network)}" for p in a.proofs)
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items())) or "none"
    state.checked.append(f"{len(a.proofs)} proofs of control over the challenge verify ({summary})")


def check_double_counting(state: AttestationState) -> None:
    a = state.attestation
    funding = {c.channel_point: "an open channel" for c in a.channels}
    funding.update({p.channel_point: f"a {p.kind.replace('_', '-')} channel" for p in a.pending_channels})
    for where, u in a.utxos():
        if u.outpoint in funding:
            raise InvalidAttestation(f"{where} {u.outpoint} is the funding outpoint of {funding[u.outpoint]}: "
                                     "the same coins would be counted twice", reason=Reason.DOUBLE_COUNTED)
    others: dict[str, str] = {}
    for where, u in a.utxos():  # cold and lnd UTXOs come first, then bria's
        if where == "bria.utxos" and u.outpoint in others:
            raise InvalidAttestation(f"bria.utxos {u.outpoint} is also listed in {others[u.outpoint]}: "
                                     "the same coins would be counted twice", reason=Reason.DOUBLE_COUNTED)
        others.setdefault(u.outpoint, where)
    state.checked.append("no channel funding outpoint is also listed as a UTXO, no bria UTXO is also a cold or lnd one "
                         "(no coins counted twice)")


def check_totals(state: AttestationState) -> None:
    a = state.attestation
    state.totals = totals = attestation_totals(a)
    state.checked.append(f"escrow identity of {len(a.channels)} channels (capacity - local - remote - unsettled = commit_fee + 330 x anchors)")
    if a.onchain_utxos is not None and sum(u.amount for u in a.onchain_utxos) != a.onchain.confirmed:
        raise InvalidAttestation("lnd's listed UTXOs do not add up to its confirmed balance", reason=Reason.TOTAL_MISMATCH)
    if totals != a.totals:
        listed, recomputed = a.totals.to_json(), totals.to_json()
        bad = ", ".join(k for k in recomputed if recomputed[k] != listed[k])
        raise InvalidAttestation(f"category totals do not match their lists: {bad}", reason=Reason.TOTAL_MISMATCH)
    state.checked.append("every category total recomputed from its list")


def check_bria_balance(state: AttestationState) -> None:
    """SPEC 8.3: bria's settled and pending-income balances add up to its UTXOs, the settled part confirmed."""
    bria = state.attestation.bria
    if bria is None:
        return
    listed = sum(u.amount for u in bria.utxos)
    if bria.utxo_settled + bria.utxo_pending_incoming != listed:
        raise InvalidAttestation(f"bria's utxo_settled {bria.utxo_settled} + utxo_pending_incoming {bria.utxo_pending_incoming} "
                                 f"is not the sum of its listed UTXOs {listed}", reason=Reason.TOTAL_MISMATCH)
    if bria.utxo_settled > bria.amounts(True):
        raise InvalidAttestation(f"bria's utxo_settled {bria.utxo_settled} exceeds its confirmed UTXOs {bria.amounts(True)}",
                                 reason=Reason.TOTAL_MISMATCH)
    state.checked.append(f"bria's settled and pending-income balances add up to its {len(bria.utxos)} listed UTXOs")


def check_statement(state: AttestationState) -> None:
    a = state.attestation
    if attestation_statement(a, a.totals) != a.statement:
        raise InvalidAttestation("the solvency statement does not follow from the totals and the liabilities", reason=Reason.STATEMENT_MISMATCH)
    state.checked.append("solvency statement recomputed")


def check_utxo_set(state: AttestationState) -> None:
    if state.utxo_audit is None:
        state.caveats.append("UTXO existence and amounts were not checked against a node (give --utxos with your own node's data)")
        return
    state.checked.append(state.utxo_audit.check(state.attestation))


STEPS: tuple[Step[AttestationState], ...] = (
    Step("format", check_format),
    Step("schema", check_schema),
    Step("bank signature", check_bank_signature),
    Step("epoch", check_epoch),
    Step("network", check_network),
    Step("challenge", check_challenge),
    Step("commitment", check_commitment),
    Step("anchor header", check_anchor_header),
    Step("anchor time", check_anchor_time),
    Step("anchor in your chain", check_known_blocks),
    Step("node signature", check_node_signature),
    Step("utxo addresses", check_utxo_addresses),
    Step("proofs of control", check_proofs_of_control),
    Step("no double counting", check_double_counting),
    Step("bria balance", check_bria_balance),
    Step("escrow and totals", check_totals),
    Step("statement", check_statement),
    Step("utxo set", check_utxo_set),
)


# --- the recipe -------------------------------------------------------------------------------------


def verify_attestation(
    doc: Any,
    pinned_public_key: PublicKey,
    *,
    commitment: Any | None = None,
    expected_epoch: str | None = None,
    utxo_audit: UtxoAudit | None = None,
    expected_network: str | None = None,
    known_blocks: tuple[tuple[int, str], ...] = (),
) -> AttestationFacts:
    """Run `STEPS` on a decoded ``assets.json`` (or an `Attestation`); raise on the first failure (SPEC 8.8).

    `expected_network` pins the network of the coins (the command line pins ``mainnet`` unless told
    otherwise; None here leaves it unpinned, with a caveat); `known_blocks` are ``(height, hash)``
    pairs from the user's own node or an explorer that the anchor block must agree with.
    """
    document = doc.to_json() if isinstance(doc, Attestation) else doc
    state = AttestationState(document, pinned_public_key, commitment, expected_epoch, utxo_audit, expected_network,
                             tuple(known_blocks))
    run_steps(STEPS, state)
    a = state.attestation
    return AttestationFacts(tuple(state.checked), _facts(a), tuple(state.caveats + _caveats(a)))


def _caveats(a: Attestation) -> list[str]:
    caveats = [
        "channel balances, escrow, pending/limbo channels and lnd's wallet balance are the operator's word "
        "(signed by the lnd node key and the bank key, checked for consistency, not provable from the chain)"
    ]
    if a.onchain_utxos is None:
        caveats.append("lnd's on-chain balance is not itemised (no lnd_listunspent.json): it is the operator's word")
    if a.bria is not None:
        caveats.append("bria's settled and pending-income balances are its ledger's word; its UTXOs are proven by their "
                       "addresses' proofs of control (and, with --utxos, by your node)")
    caveats.append("a proof of control shows the keys signed this epoch's challenge; it cannot show that no one else also holds them")
    return caveats


def _facts(a: Attestation) -> dict[str, Any]:
    return {
        "epoch": a.epoch,
        "network": a.network,
        "anchor_height": a.anchor.height,
        "anchor_hash": a.anchor.hash,
        "anchor_time": datetime.fromtimestamp(a.anchor.header.time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "as_of": str(a.commitment.as_of),
        "anchor_age_seconds": int(a.commitment.as_of.to_datetime().timestamp()) - a.anchor.header.time,
        "anchor_age": anchor_rules.anchor_age(a.anchor.header.time, int(a.commitment.as_of.to_datetime().timestamp())),
        "node": a.node_pubkey,
        "totals_sat": a.totals.to_json(a.category_names()),
        "btc_assets_sat": str(a.statement.row("BTC").held),
        "statement": a.statement.to_json(),
        "proofs_verified": len(a.proofs),
        "utxo_scan_objects": sorted({f"addr({u.address})" for _, u in a.utxos()}),
    }
