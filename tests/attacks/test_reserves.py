"""Attacks on the reserves side by a bank that holds every key (issue 13, parts 1 and 7; SPEC 8.8,
11.4, 11.5).

The bank holds the bank key, the lnd node key and the wallets' keys, so every forgery below
re-signs everything it changed: the proofs of control over the new challenge, the node's digest
signature and the bank's signature. Signatures therefore prove nothing about these forgeries;
the anchor block's header, its time, the network pin, the funding outpoints and the anchor
heights across epochs are what catch them. Each is refused by the verifier, and the prover
refuses to produce it in the first place.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "assets"))  # the asset tests' snapshot builder
sys.path.insert(0, str(HERE.parent / "publish"))  # the publication tests' builders

import assets_builder as b  # noqa: E402
import bria_builder as bb  # noqa: E402
from publish_helpers import SIGNER, make_ledger, make_snapshot, now_as_of  # noqa: E402

from solvency.demo.nodes import regtest_header  # noqa: E402
from solvency.demo.wallets import lnd_node_sign  # noqa: E402
from solvency.keys import generate_key, sign  # noqa: E402
from solvency.publish.epochs import PublishError  # noqa: E402
from solvency.publish.pipeline import prepare, seal, sign_with  # noqa: E402
from solvency.reserves.attest import attest, commitment_copy  # noqa: E402
from solvency.reserves.fields import SnapshotError  # noqa: E402
from solvency.reserves.snapshot import load_snapshot  # noqa: E402
from verifier.assets.anchor import BlockHeader  # noqa: E402
from verifier.assets.artifact import Anchor, Attestation, NodeSignature, ProofOfControl, Utxo  # noqa: E402
from verifier.assets.attestation import verify_attestation  # noqa: E402
from verifier.assets.challenge import challenge_message  # noqa: E402
from verifier.assets.errors import InvalidAttestation, Reason  # noqa: E402
from verifier.assets.statement import attestation_statement, attestation_totals  # noqa: E402
from verifier.assets.utxos import load_utxo_audit  # noqa: E402
from verifier.errors import InvalidHistory  # noqa: E402
from verifier.history import verify_history  # noqa: E402
from verifier.signature import load_public_key  # noqa: E402

EPOCH = "2026-11"
CUTOFF = int(datetime(2026, 11, 20, 23, 59, 59, tzinfo=UTC).timestamp())  # b.AS_OF
SHARED_HEADER = HERE.parents[1].parent / "shared" / "vectors" / "node-outputs" / "core" / "btcrpcclient89_getblockheader.json"


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    directory = tmp_path_factory.mktemp("reserves-bank")
    private = generate_key(directory / "bank.key")
    commitment = b.commitment(private, EPOCH)
    b.write_commitment(directory / "commitment.json", commitment)
    return {"private": private, "pub": directory / "bank.key.pub", "commitment": commitment, "dir": directory}


@pytest.fixture(scope="module")
def honest(bank, tmp_path_factory) -> Attestation:
    """The bank's honest, signed attestation of the builder's regtest snapshot."""
    directory = b.Snapshot(EPOCH, bank["commitment"]).write(tmp_path_factory.mktemp("reserves-snap") / "snap")
    copy_ = commitment_copy(bank["commitment"], EPOCH, bank["private"].public_key())
    return attest(load_snapshot(directory), EPOCH, copy_, bank["private"])


def resign(a: Attestation, private, proofs_for=b.proofs_for, **changes) -> Attestation:
    """What a bank holding every key can publish: `a` changed, then every signature made anew
    (the proofs of control by `proofs_for(challenge)`)."""
    a = dataclasses.replace(a, **changes, node_signature=None, signature=None)
    a = dataclasses.replace(a, challenge=challenge_message(a.epoch, a.anchor.height, a.anchor.hash, a.commitment.hash))
    a = dataclasses.replace(a, proofs=tuple(ProofOfControl(**p) for p in proofs_for(a.challenge)["proofs"]))
    totals = attestation_totals(a)
    a = dataclasses.replace(a, totals=totals)
    a = dataclasses.replace(a, statement=attestation_statement(a, totals))
    a = a.with_node_signature(NodeSignature(a.node_message(), lnd_node_sign(b.NODE, a.node_message())))
    return sign(a, private)


def reanchor(a: Attestation, private, header_time: int) -> Attestation:
    """The attestation re-anchored at a block mined (on regtest, in a few tries) at `header_time`."""
    digest, header = regtest_header(a.anchor.height, header_time, "forged anchor")
    return resign(a, private, anchor=Anchor(a.anchor.height, digest, header))


def pinned(bank):
    return load_public_key(str(bank["pub"]))


def refused(doc, bank, **kwargs) -> InvalidAttestation:
    kwargs.setdefault("expected_network", "regtest")
    with pytest.raises(InvalidAttestation) as info:
        verify_attestation(doc.to_json() if isinstance(doc, Attestation) else doc, pinned(bank),
                           commitment=bank["commitment"], **kwargs)
    return info.value


def verify_cli(path: Path, bank, *extra: str):
    from verifier.cli import main

    return CliRunner().invoke(main, ["assets", str(path), "--key", str(bank["pub"]), *extra])


def test_the_honest_attestation_verifies(honest, bank):
    facts = verify_attestation(honest.to_json(), pinned(bank), commitment=bank["commitment"],
                               expected_network="regtest")
    assert facts.facts["anchor_age"] == "9 minutes 59 seconds before the liabilities cut-off"


# --- stale and future anchors (ANCHOR_TOO_OLD, ANCHOR_AFTER_CUTOFF) -------------------------------


def test_a_stale_anchor_a_year_old_is_refused(honest, bank, tmp_path):
    """The demo's old anchor: a block mined a year before the cut-off, every signature remade."""
    forged = reanchor(honest, bank["private"], CUTOFF - 365 * 86400)
    assert refused(forged, bank).reason == Reason.ANCHOR_TOO_OLD
    path = tmp_path / "assets.json"
    path.write_bytes(forged.to_bytes())
    result = verify_cli(path, bank, "--network", "regtest")
    assert result.exit_code == 1 and "[ANCHOR_TOO_OLD]" in result.output
    assert "mined 1 year before the liabilities cut-off" in result.output


def test_an_anchor_just_outside_the_window_is_refused_and_just_inside_accepted(honest, bank):
    assert refused(reanchor(honest, bank["private"], CUTOFF - 6 * 3600 - 1), bank).reason == Reason.ANCHOR_TOO_OLD
    inside = reanchor(honest, bank["private"], CUTOFF - 6 * 3600)
    verify_attestation(inside.to_json(), pinned(bank), commitment=bank["commitment"])


def test_a_future_anchor_after_the_cut_off_is_refused(honest, bank):
    """Reserves taken hours after the liabilities' cut-off (coins borrowed after it)."""
    assert refused(reanchor(honest, bank["private"], CUTOFF + 3 * 3600), bank).reason == Reason.ANCHOR_AFTER_CUTOFF
    verify_attestation(reanchor(honest, bank["private"], CUTOFF + 2 * 3600).to_json(), pinned(bank))


def test_the_prover_refuses_a_stale_snapshot(bank, tmp_path):
    snapshot = b.Snapshot(EPOCH, bank["commitment"])
    stale_hash, stale = regtest_header(b.ANCHOR_HEIGHT, CUTOFF - 365 * 86400, "stale")
    header = json.loads(snapshot.files["bitcoind_getblockheader.json"])
    header.update(hash=stale_hash, time=stale.time, nonce=stale.nonce, merkleroot=stale.merkleroot)
    snapshot.files["bitcoind_getblockheader.json"] = json.dumps(header)
    snapshot.files["lnd_getinfo.json"]["block_hash"] = stale_hash
    snapshot.files["bitcoind_scantxoutset.json"] = snapshot.files["bitcoind_scantxoutset.json"].replace(b.ANCHOR_HASH, stale_hash)
    directory = snapshot.write(tmp_path / "snap", node_sign=False)
    copy_ = commitment_copy(bank["commitment"], EPOCH, bank["private"].public_key())
    with pytest.raises(SnapshotError, match="1 year before the liabilities cut-off"):
        attest(load_snapshot(directory), EPOCH, copy_, bank["private"])


# --- headers that do not hold (ANCHOR_HEADER_MISMATCH, ANCHOR_POW_INVALID, ANCHOR_DIFFICULTY_TOO_LOW)


def test_a_header_that_does_not_hash_to_its_claimed_hash_is_refused(honest, bank):
    """A made-up hash (the old demo's `sha256("pos-demo block ...")`) with a plausible header."""
    header = dataclasses.replace(honest.anchor.header, merkleroot=b.txid("another merkle root"))
    forged = resign(honest, bank["private"], anchor=dataclasses.replace(honest.anchor, header=header))
    assert refused(forged, bank).reason == Reason.ANCHOR_HEADER_MISMATCH


def test_a_header_mined_on_a_laptop_is_refused_as_a_mainnet_anchor(honest, bank):
    """A header mined in a few tries (regtest bits) claimed as mainnet: its target is above
    mainnet's proof-of-work limit."""
    forged = resign(honest, bank["private"], network="mainnet")
    assert refused(forged, bank, expected_network="mainnet").reason == Reason.ANCHOR_POW_INVALID


def test_a_low_difficulty_mainnet_header_is_refused(honest, bank):
    """A real mainnet header (block 329936, 2014: real work, difficulty 3.96e10) is below the
    floor of 10^12: a header of that difficulty is within reach of rented hash power."""
    if not SHARED_HEADER.is_file():
        pytest.skip(f"shared test vectors not found: {SHARED_HEADER} (../shared/vectors/node-outputs/ beside the repository)")
    raw = json.loads(SHARED_HEADER.read_text())
    header = BlockHeader.parse({k: raw[k] for k in ("version", "previousblockhash", "merkleroot", "time", "bits", "nonce")})
    forged = resign(honest, bank["private"], network="mainnet", anchor=Anchor(raw["height"], raw["hash"], header))
    error = refused(forged, bank, expected_network="mainnet")
    assert error.reason == Reason.ANCHOR_DIFFICULTY_TOO_LOW


def test_the_users_own_block_hash_catches_an_anchor_outside_their_chain(honest, bank, tmp_path):
    """A regtest header is cheap: a user who compares the anchor with their own node catches it."""
    path = tmp_path / "assets.json"
    path.write_bytes(honest.to_bytes())
    a = honest.anchor
    ok = verify_cli(path, bank, "--network", "regtest", "--block-hash", f"{a.height}:{a.hash}")
    assert ok.exit_code == 0 and f"anchor block {a.height} {a.hash} is the block you gave" in ok.output
    other = "11" * 32
    bad = verify_cli(path, bank, "--network", "regtest", "--block-hash", f"{a.height}:{other}")
    assert bad.exit_code == 1 and "[ANCHOR_NOT_IN_CHAIN]" in bad.output
    hashes = tmp_path / "blocks.txt"
    hashes.write_text(f"# from my node\n{a.height - 1}:{other}\n")
    parent = verify_cli(path, bank, "--network", "regtest", "--block-hashes", str(hashes))
    assert parent.exit_code == 1 and "[ANCHOR_NOT_IN_CHAIN]" in parent.output
    unnamed = verify_cli(path, bank, "--network", "regtest")
    assert f"bitcoin-cli getblockhash {a.height}" in unnamed.output and a.hash in unnamed.output
    assert verify_cli(path, bank, "--block-hash", "not-a-block").exit_code == 2


# --- the network (WRONG_NETWORK) -----------------------------------------------------------------


def test_a_regtest_attestation_is_refused_unless_regtest_is_pinned(honest, bank, tmp_path):
    path = tmp_path / "assets.json"
    path.write_bytes(honest.to_bytes())
    default = verify_cli(path, bank, "--json")
    out = json.loads(default.output)
    assert (default.exit_code, out["reason"]) == (1, "WRONG_NETWORK") and "regtest" in out["message"]
    pinned = verify_cli(path, bank, "--network", "regtest", "--json")
    out = json.loads(pinned.output)
    assert pinned.exit_code == 0 and out["facts"]["network"] == "regtest"
    text = verify_cli(path, bank, "--network", "regtest").output
    assert "network: the attested coins are on regtest (as pinned)" in text
    assert refused(honest, bank, expected_network="signet").reason == Reason.WRONG_NETWORK


# --- coins counted twice (DOUBLE_COUNTED) --------------------------------------------------------


def _double_counted(honest: Attestation, bank) -> Attestation:
    """The first channel's funding outpoint listed again as a cold UTXO of vault A, for its capacity."""
    channel = honest.channels[0]
    txid, vout = channel.channel_point.split(":")
    vault = honest.cold_utxos[0]
    funding = Utxo(txid, int(vout), channel.capacity, vault.script_pubkey, vault.address, None, b.ANCHOR_HEIGHT - 500)
    return resign(honest, bank["private"], cold_utxos=honest.cold_utxos + (funding,))


def test_a_funding_outpoint_listed_as_a_cold_utxo_is_refused(honest, bank):
    forged = _double_counted(honest, bank)
    assert forged.totals.cold_storage == honest.totals.cold_storage + honest.channels[0].capacity
    assert refused(forged, bank).reason == Reason.DOUBLE_COUNTED


def test_a_funding_outpoint_is_refused_even_when_the_auditors_node_has_it(honest, bank):
    """The funding output of an open channel IS unspent on chain: the auditor's node confirms it,
    and the coins would still be counted twice."""
    forged = _double_counted(honest, bank)
    audit = load_utxo_audit(auditors_gettxout(forged.anchor.hash, (u for _, u in forged.utxos())))
    assert refused(forged, bank, utxo_audit=audit).reason == Reason.DOUBLE_COUNTED
    honest_audit = load_utxo_audit(auditors_gettxout(honest.anchor.hash, (u for _, u in honest.utxos())))
    verify_attestation(honest.to_json(), pinned(bank), utxo_audit=honest_audit)


def auditors_gettxout(anchor_hash: str, utxos, tip: int = b.ANCHOR_HEIGHT, spent: tuple[str, ...] = ()) -> bytes:
    """The auditor's own node at the anchor block: ``gettxout`` for each of `utxos` (SPEC 8.9),
    as bitcoin-cli prints it (the value a JSON number with eight decimals), and ``null`` (what
    ``gettxout`` prints for a spent or unknown output) for each outpoint in `spent`."""
    entries = ", ".join(
        ['"%s": {"bestblock": "%s", "confirmations": %d, "value": %d.%08d, "scriptPubKey": {"hex": "%s", "address": "%s"}, '
         '"coinbase": false}' % (u.outpoint, anchor_hash, tip - (u.height if u.height is not None else tip) + 1,
                                 u.amount // 10**8, u.amount % 10**8, u.script_pubkey, u.address) for u in utxos]
        + ['"%s": null' % outpoint for outpoint in spent])
    return ('{"getblockheader": {"hash": "%s", "height": %d}, "gettxout": {%s}}' % (anchor_hash, tip, entries)).encode()


def test_a_funding_outpoint_of_a_pending_channel_is_refused_too(honest, bank):
    pending = honest.pending_channels[0]
    txid, vout = pending.channel_point.split(":")
    vault = honest.cold_utxos[0]
    forged = resign(honest, bank["private"], cold_utxos=honest.cold_utxos + (
        Utxo(txid, int(vout), pending.capacity, vault.script_pubkey, vault.address, None, None),))
    assert refused(forged, bank).reason == Reason.DOUBLE_COUNTED


def test_a_funding_outpoint_listed_as_an_lnd_utxo_is_refused(honest, bank):
    """The same through lnd's itemised wallet, its confirmed balance raised to match."""
    channel = honest.channels[1]
    txid, vout = channel.channel_point.split(":")
    mine = honest.onchain_utxos[0]
    funding = Utxo(txid, int(vout), channel.capacity, mine.script_pubkey, mine.address, None, b.ANCHOR_HEIGHT - 500)
    onchain = dataclasses.replace(honest.onchain, confirmed=honest.onchain.confirmed + channel.capacity,
                                  total=honest.onchain.total + channel.capacity)
    forged = resign(honest, bank["private"], onchain_utxos=honest.onchain_utxos + (funding,), onchain=onchain)
    assert refused(forged, bank).reason == Reason.DOUBLE_COUNTED


def test_the_prover_refuses_a_snapshot_that_counts_a_funding_outpoint_twice(bank, tmp_path):
    snapshot = b.Snapshot(EPOCH, bank["commitment"])
    point = snapshot.files["lnd_listchannels.json"]["channels"][0]["channel_point"]
    txid, vout = point.split(":")
    scan = json.loads(snapshot.files["bitcoind_scantxoutset.json"])
    first = scan["unspents"][0]
    scan["unspents"][0] = {**first, "txid": txid, "vout": int(vout)}
    snapshot.files["bitcoind_scantxoutset.json"] = json.dumps(scan)
    directory = snapshot.write(tmp_path / "snap", node_sign=False)
    copy_ = commitment_copy(bank["commitment"], EPOCH, bank["private"].public_key())
    with pytest.raises(SnapshotError, match="DOUBLE_COUNTED"):
        attest(load_snapshot(directory), EPOCH, copy_, bank["private"])


# --- bria's hot wallet (SPEC 8.2, 8.3, 8.8 checks 13, 15, 16) ---------------------------------------


@pytest.fixture(scope="module")
def with_bria(bank, tmp_path_factory) -> Attestation:
    """The honest attestation of the builder's snapshot with bria's wallet (bria_builder)."""
    snapshot = bb.add_bria(b.Snapshot(EPOCH, bank["commitment"]))
    directory = bb.write(snapshot, tmp_path_factory.mktemp("reserves-bria") / "snap")
    copy_ = commitment_copy(bank["commitment"], EPOCH, bank["private"].public_key())
    return attest(load_snapshot(directory), EPOCH, copy_, bank["private"])


def bria_resign(a: Attestation, private, **changes) -> Attestation:
    return resign(a, private, proofs_for=bb.all_proofs, **changes)


def _bria_prover(bank, tmp_path, edit, proofs=None) -> SnapshotError:
    snapshot = bb.add_bria(b.Snapshot(EPOCH, bank["commitment"]))
    edit(snapshot.files)
    directory = snapshot.write(tmp_path / "snap", node_sign=False,
                               proofs=proofs if proofs is not None else bb.all_proofs(snapshot.challenge))
    copy_ = commitment_copy(bank["commitment"], EPOCH, bank["private"].public_key())
    with pytest.raises(SnapshotError) as info:
        attest(load_snapshot(directory), EPOCH, copy_, bank["private"])
    return info.value


def test_the_honest_bria_attestation_verifies_and_resigning_changes_nothing(with_bria, bank):
    assert bria_resign(with_bria, bank["private"]).to_bytes() == with_bria.to_bytes()
    verify_attestation(with_bria.to_json(), pinned(bank), commitment=bank["commitment"], expected_network="regtest")


def test_a_cold_utxo_also_listed_by_bria_is_refused(with_bria, bank):
    """Vault A's first UTXO listed again as a bria UTXO, bria's settled balance raised to match:
    every sum adds up and every signature is valid, the coins are counted twice."""
    vault = with_bria.cold_utxos[0]
    bria = dataclasses.replace(with_bria.bria, utxos=with_bria.bria.utxos + (vault,),
                               utxo_settled=with_bria.bria.utxo_settled + vault.amount)
    forged = bria_resign(with_bria, bank["private"], bria=bria)
    assert forged.totals.bria_confirmed == with_bria.totals.bria_confirmed + vault.amount
    assert refused(forged, bank).reason == Reason.DOUBLE_COUNTED


def test_an_lnd_utxo_also_listed_by_bria_is_refused(with_bria, bank):
    mine = with_bria.onchain_utxos[0]
    bria = dataclasses.replace(with_bria.bria, utxos=with_bria.bria.utxos + (mine,),
                               utxo_settled=with_bria.bria.utxo_settled + mine.amount)
    assert refused(bria_resign(with_bria, bank["private"], bria=bria), bank).reason == Reason.DOUBLE_COUNTED


def test_the_prover_refuses_a_bria_utxo_that_is_a_cold_one(bank, tmp_path):
    scan = json.loads(b.snapshot_files()["bitcoind_scantxoutset.json"])
    cold = scan["unspents"][0]

    def edit(files):
        utxos = json.loads(files["bria_list_utxos.json"])
        utxos["keychains"][0]["utxos"].append({"outpoint": f"{cold['txid']}:{cold['vout']}", "addressIdx": 7, "value": 150_000_000,
                                               "address": bb.address(bb.RECEIVE[0]), "changeOutput": False, "blockHeight": 800_000})
        files["bria_list_utxos.json"] = json.dumps(utxos)
        balance = json.loads(files["bria_wallet_balance.json"])
        balance["utxoSettled"] += 150_000_000
        files["bria_wallet_balance.json"] = json.dumps(balance)

    assert "DOUBLE_COUNTED" in str(_bria_prover(bank, tmp_path, edit))


def test_bria_balances_that_do_not_match_its_utxos_are_refused(with_bria, bank):
    """bria's ledger says more than its UTXOs hold, or settles an unconfirmed output."""
    more = dataclasses.replace(with_bria.bria, utxo_settled=with_bria.bria.utxo_settled + 1_000)
    assert refused(bria_resign(with_bria, bank["private"], bria=more), bank).reason == Reason.TOTAL_MISMATCH
    unconfirmed = with_bria.bria.utxo_pending_incoming
    early = dataclasses.replace(with_bria.bria, utxo_settled=with_bria.bria.utxo_settled + unconfirmed, utxo_pending_incoming=0)
    assert refused(bria_resign(with_bria, bank["private"], bria=early), bank).reason == Reason.TOTAL_MISMATCH


def test_a_bria_utxo_without_a_proof_of_control_is_refused(with_bria, bank):
    """The change output's address has no proof: keys the bank may not hold."""
    def without_change(challenge):
        proofs = bb.all_proofs(challenge)["proofs"]
        return {"proofs": [p for p in proofs if p["address"] != bb.address(bb.CHANGE)]}

    forged = resign(with_bria, bank["private"], proofs_for=without_change)
    assert refused(forged, bank).reason == Reason.MISSING_PROOF


def test_a_bria_proof_by_another_key_is_refused(with_bria, bank):
    """A proof for the change address signed by a key that does not control it."""
    def stolen(challenge):
        proofs = bb.all_proofs(challenge)["proofs"]
        other = bb.proofs(challenge, keys=(b.key("someone else"),))[0]["signature"]
        return {"proofs": [dict(p, signature=other) if p["address"] == bb.address(bb.CHANGE) else p for p in proofs]}

    assert refused(resign(with_bria, bank["private"], proofs_for=stolen), bank).reason == Reason.BAD_PROOF_OF_CONTROL


def test_the_prover_refuses_bria_utxos_without_proofs(bank, tmp_path):
    snapshot = b.Snapshot(EPOCH, bank["commitment"])
    error = _bria_prover(bank, tmp_path, lambda files: None, proofs=b.proofs_for(snapshot.challenge))
    assert error.file == "proofs.json" and "no proof of control" in error.reason


def test_a_stale_bria_utxo_confirmed_after_the_anchor_is_refused(with_bria, bank, tmp_path):
    """bria's output taken some blocks after the anchor: a UTXO confirmed above the anchor height."""
    late = dataclasses.replace(with_bria.bria.utxos[0], height=b.ANCHOR_HEIGHT + 2)
    bria = dataclasses.replace(with_bria.bria, utxos=(late,) + with_bria.bria.utxos[1:])
    assert refused(bria_resign(with_bria, bank["private"], bria=bria), bank).reason == Reason.ANCHOR_MISMATCH

    def edit(files):
        utxos = json.loads(files["bria_list_utxos.json"])
        utxos["keychains"][0]["utxos"][2]["blockHeight"] = b.ANCHOR_HEIGHT + 2
        files["bria_list_utxos.json"] = json.dumps(utxos)

    assert "after the anchor block" in str(_bria_prover(bank, tmp_path, edit))


def test_a_bria_attestation_relabelled_pos_assets_2_is_refused(with_bria, bank):
    """Downgrading the format marker of a signed /3 attestation: /2 has no bria member, and the
    signatures cover the marker."""
    doc = with_bria.to_json()
    doc["format"] = "pos-assets/2"
    assert refused(doc, bank).reason == Reason.SCHEMA
    doc.pop("bria")
    doc["totals"] = {k: v for k, v in doc["totals"].items() if not k.startswith("bria_")}
    from verifier.errors import VerificationError

    with pytest.raises(VerificationError) as info:
        verify_attestation(doc, pinned(bank), commitment=bank["commitment"], expected_network="regtest")
    assert info.value.reason == Reason.BAD_SIGNATURE


# --- one snapshot for two epochs (ANCHOR_NOT_ADVANCING) ----------------------------------------------


def _publish(pubdir, ledger, snap, key, epoch):
    prepared = prepare(pubdir, db=str(ledger), definition="customer-liabilities", as_of=now_as_of(), epoch=epoch,
                       snapshots=snap, private_key=key)
    sign_with(prepared, SIGNER, key)
    return seal(pubdir, epoch, key)


@pytest.fixture(scope="module")
def first_epoch(tmp_path_factory):
    base = tmp_path_factory.mktemp("reused")
    key = generate_key(base / "bank.key")
    ledger = make_ledger(base / "ledger.db")
    snap = make_snapshot(base / "snap1", "e1", 871_000, 1)
    _publish(base / "pub", ledger, snap, key, "2026-11")
    return base, key, ledger, snap


def test_publish_refuses_to_reuse_epoch_1s_snapshot_for_epoch_2(first_epoch):
    base, key, ledger, snap = first_epoch
    with pytest.raises(PublishError, match="ANCHOR_NOT_ADVANCING"):
        prepare(base / "pub", db=str(ledger), definition="customer-liabilities", as_of=now_as_of(), epoch="2026-12",
                snapshots=snap, private_key=key)
    lower = make_snapshot(base / "snap-lower", "e2", 870_999, 2)
    with pytest.raises(PublishError, match="is not after the previous epoch's"):
        prepare(base / "pub", db=str(ledger), definition="customer-liabilities", as_of=now_as_of(), epoch="2026-12",
                snapshots=lower, private_key=key)


def test_history_refuses_a_snapshot_reused_for_two_epochs(first_epoch, tmp_path, monkeypatch):
    """The bank skips its own prover's check and publishes epoch 1's snapshot again as epoch 2:
    every file is signed and linked, only the anchor heights show it."""
    import shutil

    import solvency.publish.pipeline as pipeline

    base, key, ledger, snap = first_epoch
    pub = tmp_path / "pub"
    shutil.copytree(base / "pub", pub)
    monkeypatch.setattr(pipeline, "_check_anchor_advances", lambda *args: None)
    _publish(pub, ledger, snap, key, "2026-12")
    with pytest.raises(InvalidHistory) as info:
        verify_history(pub, key.public_key())
    assert info.value.reason == Reason.ANCHOR_NOT_ADVANCING
    from verifier.cli import main

    result = CliRunner().invoke(main, ["history", str(pub), "--key", str(base / "bank.key.pub")])
    assert result.exit_code == 1 and "[ANCHOR_NOT_ADVANCING]" in result.output


def test_history_names_the_anchors_of_an_honest_history(first_epoch, tmp_path):
    base, key, ledger, _ = first_epoch
    pub = tmp_path / "pub"
    import shutil

    shutil.copytree(base / "pub", pub)
    _publish(pub, ledger, make_snapshot(tmp_path / "snap2", "e2", 871_001, 2), key, "2026-12")
    facts = verify_history(pub, key.public_key())
    assert [a["height"] for a in facts["anchors"]] == [871_000, 871_001]


def test_a_bria_utxo_the_chain_does_not_have_is_caught_by_the_auditors_node(with_bria, bank):
    """bria's database can list an output that is spent (or never existed): its proof of control
    still verifies, so only the auditor's own node at the anchor can tell (SPEC 8.9)."""
    everything = [u for _, u in with_bria.utxos()]
    verify_attestation(with_bria.to_json(), pinned(bank), expected_network="regtest",
                       utxo_audit=load_utxo_audit(auditors_gettxout(with_bria.anchor.hash, everything)))
    gone = with_bria.bria.utxos[0]
    chain = [u for u in everything if u.outpoint != gone.outpoint]
    audit = load_utxo_audit(auditors_gettxout(with_bria.anchor.hash, chain, spent=(gone.outpoint,)))
    assert refused(with_bria, bank, expected_network="regtest", utxo_audit=audit).reason == Reason.UTXO_NOT_FOUND
    smaller = [dataclasses.replace(u, amount=u.amount - 1) if u.outpoint == gone.outpoint else u for u in everything]
    audit = load_utxo_audit(auditors_gettxout(with_bria.anchor.hash, smaller))
    assert refused(with_bria, bank, expected_network="regtest", utxo_audit=audit).reason == Reason.UTXO_MISMATCH
