"""bria as a snapshot source (docs/SPEC.md 8.1-8.3, 8.6, 8.8): parsing bria's CLI output, the
balance cross-check, the anchor rule, the attestation's ``bria`` member and its verification."""

from __future__ import annotations

import json

import assets_builder as b
import bria_builder as bb
import pytest
from assets_cli import EPOCH
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.reserves import bria as bria_out
from solvency.reserves.attest import attest, commitment_copy
from solvency.reserves.fields import SnapshotError
from solvency.reserves.snapshot import load_snapshot
from verifier.assets.attestation import verify_attestation


def _snapshot(bank) -> b.Snapshot:
    return bb.add_bria(b.Snapshot(EPOCH, bank["commitment"]))


def _attest(bank, directory):
    copy_ = commitment_copy(bank["commitment"], EPOCH, bank["private"].public_key())
    return attest(load_snapshot(directory), EPOCH, copy_, bank["private"])


def test_bria_output_is_read_as_bria_prints_it(bank, tmp_path):
    snap = load_snapshot(bb.write(_snapshot(bank), tmp_path / "s", node_sign=False))
    wallet = snap.bria_wallet
    assert wallet is not None and wallet.wallet_id == bb.WALLET_ID
    assert sorted((u.value, u.height, u.change) for u in wallet.utxos) == [
        (25_000, None, False), (60_000, b.ANCHOR_HEIGHT - 3, True), (400_000, b.ANCHOR_HEIGHT - 50, False)]
    change = next(u for u in wallet.utxos if u.change)
    assert change.address == bb.address(bb.CHANGE)  # from bria_change_addresses.json
    assert wallet.balance["utxoSettled"] == 460_000 and wallet.balance["utxoPendingIncoming"] == 25_000


def test_bria_is_attested_counted_and_verified(bank, tmp_path):
    a = _attest(bank, bb.write(_snapshot(bank), tmp_path / "s"))
    assert a.format == "pos-assets/3" and a.bria is not None and len(a.bria.utxos) == 3
    assert (a.totals.bria_confirmed, a.totals.bria_unconfirmed) == (460_000, 25_000)
    without = _attest(bank, b.Snapshot(EPOCH, bank["commitment"]).write(tmp_path / "plain"))
    assert a.statement.row("BTC").held - without.statement.row("BTC").held == 460_000  # only the confirmed part counts
    facts = verify_attestation(a.to_json(), bank["private"].public_key(), commitment=bank["commitment"],
                               expected_network="regtest")
    assert any("bria's settled and pending-income balances add up to its 3 listed UTXOs" in c for c in facts.checked)
    assert f"addr({bb.address(bb.CHANGE)})" in facts.facts["utxo_scan_objects"]
    assert a.to_json()["bria"]["utxos"][0]["script_pubkey"].startswith("0014")


def _edit_utxo(i: int, **changes):
    def edit(files):
        doc = json.loads(files["bria_list_utxos.json"])
        doc["keychains"][0]["utxos"][i].update(changes)
        files["bria_list_utxos.json"] = json.dumps(doc)
    return edit


def _edit_balance(**changes):
    def edit(files):
        doc = json.loads(files["bria_wallet_balance.json"])
        doc.update(changes)
        files["bria_wallet_balance.json"] = json.dumps(doc)
    return edit


def _raw(text_edit):
    def edit(files):
        files["bria_list_utxos.json"] = text_edit(files["bria_list_utxos.json"])
    return edit


@pytest.mark.parametrize("edit, file, message", [
    (_edit_utxo(2, value="400000"), "bria_list_utxos.json: keychains[0].utxos[2].value", "expected an integer, got str"),
    (_raw(lambda t: t.replace('"value": 400000', '"value": 400000.0')), "keychains[0].utxos[2].value", "a float"),
    (_edit_utxo(2, value=-1), "keychains[0].utxos[2].value", "negative"),
    (_edit_utxo(2, value=True), "keychains[0].utxos[2].value", "boolean"),
    (_edit_utxo(2, value=21_000_000 * 10**8 + 1), "keychains[0].utxos[2].value", "21 million"),
    (_edit_utxo(2, outpoint="ab:1"), "keychains[0].utxos[2].outpoint", "TXID:VOUT"),
    (_edit_utxo(2, outpoint=bb.outpoint("bria change", 1)), "keychains[0].utxos[2].outpoint", "listed twice"),
    (_edit_utxo(2, blockHeight="870000"), "keychains[0].utxos[2].blockHeight", "expected an integer"),
    (_edit_utxo(0, blockHeight=b.ANCHOR_HEIGHT + 1), "bria_list_utxos.json", "after the anchor block"),
    (_edit_balance(utxoSettled="460000"), "bria_wallet_balance.json: utxoSettled", "expected an integer"),
    (_edit_balance(utxoSettled=460_001), "bria_wallet_balance.json / bria_list_utxos.json", "add up to 485000"),
    (_edit_balance(utxoSettled=485_000, utxoPendingIncoming=0), "utxoSettled", "only 460000 sats"),
    (lambda f: f.pop("bria_wallet_balance.json"), "bria_wallet_balance.json", "give both or neither"),
    (_raw(lambda t: t.replace(bb.WALLET_ID, "hot wallet")), "bria_list_utxos.json: walletId", "is not a wallet id"),
    (lambda f: [f.pop("bria_wallet_balance.json"), f.pop("bria_list_utxos.json")], "bria_change_addresses.json",
     "without bria_list_utxos.json"),
    (lambda f: f.pop("bria_change_addresses.json"), "bria_list_utxos.json", "bria_change_addresses.json"),
    (lambda f: f["bria_change_addresses.json"].update({bb.outpoint("elsewhere", 0): bb.address(bb.CHANGE)}),
     "bria_change_addresses.json", "is not one of the UTXOs"),
])
def test_bad_bria_output_is_refused_naming_file_and_field(bank, tmp_path, edit, file, message):
    snapshot = _snapshot(bank)
    edit(snapshot.files)
    directory = bb.write(snapshot, tmp_path / "s", node_sign=False)
    with pytest.raises(SnapshotError) as info:
        load_snapshot(directory)
    assert file in str(info.value) and message in str(info.value), str(info.value)
    assert "\n" not in str(info.value)


def test_a_bria_address_on_another_network_is_refused(bank, tmp_path):
    mainnet = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"  # BIP-173's example P2WPKH address
    snapshot = _snapshot(bank)
    _edit_utxo(2, address=mainnet)(snapshot.files)
    directory = bb.write(snapshot, tmp_path / "s", node_sign=False)
    copy_ = commitment_copy(bank["commitment"], EPOCH, bank["private"].public_key())
    from solvency.reserves.attest import build_attestation, load_price, load_proofs

    with pytest.raises(SnapshotError, match=f"bria_list_utxos.json: {bb.outpoint('bria deposit 1', 4)}: address {mainnet}"):
        build_attestation(load_snapshot(directory), EPOCH, copy_, load_proofs(directory), load_price(directory))

_UTXOS = st.lists(st.tuples(st.integers(0, 10**12), st.none() | st.integers(0, b.ANCHOR_HEIGHT)), max_size=12)


@settings(max_examples=150, deadline=None)
@given(_UTXOS, st.data())
def test_bria_balances_must_be_exactly_the_utxos(utxos, data):
    """Any wallet whose settled part is confirmed and whose two balances add up to its UTXOs is
    read with its sums intact; moving one sat off either balance is refused."""
    confirmed = sum(v for v, h in utxos if h is not None)
    settled = data.draw(st.integers(0, confirmed))
    pending = sum(v for v, _ in utxos) - settled
    listed = {"walletId": "w", "keychains": [{"keychainId": "k", "utxos": [
        {"outpoint": f"{b.txid(str(i))}:{i}", "addressIdx": i, "value": v, "address": bb.address(bb.CHANGE),
         "changeOutput": False, "blockHeight": h} for i, (v, h) in enumerate(utxos)]}]}
    balance = dict(bb.wallet_balance(), utxoSettled=settled, utxoPendingIncoming=pending)
    wallet = bria_out.load_wallet(listed, balance, None, b.ANCHOR_HEIGHT)
    assert sum(u.value for u in wallet.utxos if u.height is not None) == confirmed
    for field, delta in (("utxoSettled", 1), ("utxoPendingIncoming", 1), ("utxoPendingIncoming", -1)):
        if balance[field] + delta < 0:
            continue
        with pytest.raises(SnapshotError, match="bria_wallet_balance.json / bria_list_utxos.json"):
            bria_out.load_wallet(listed, dict(balance, **{field: balance[field] + delta}), None, b.ANCHOR_HEIGHT)


def test_the_attestation_schema_bounds_bria_s_wallet_id(bank, tmp_path):
    from verifier.assets.artifact import Attestation
    from verifier.assets.errors import InvalidAttestation, Reason

    doc = _attest(bank, bb.write(_snapshot(bank), tmp_path / "s")).to_json()
    doc["bria"]["wallet_id"] = "x" * 101
    with pytest.raises(InvalidAttestation) as info:
        Attestation.parse(doc)
    assert info.value.reason == Reason.SCHEMA and "bria.wallet_id" in str(info.value)


def test_the_two_command_lines_attest_and_verify_bria(bank, attest):
    """`solvency assets attest` over a snapshot with bria's files, then `solvency-verify assets`."""
    from assets_cli import run_verify

    snapshot = _snapshot(bank)
    result, out = attest(snapshot, proofs=bb.all_proofs(snapshot.challenge))
    assert result.exit_code == 0, result.output
    verdict = run_verify("assets", out, "--key", bank["pub"], "--commitment", bank["commitment_file"], "--network", "regtest",
                         "--json")
    doc = json.loads(verdict.output)
    assert verdict.exit_code == 0 and doc["verdict"] == "valid", verdict.output
    assert doc["facts"]["totals_sat"]["bria_confirmed"] == 460_000
