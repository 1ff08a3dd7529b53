"""Snapshot ingestion: real lncli/bitcoind formats, the anchor rule, the escrow identity, bad inputs."""

import contextlib
import json
from decimal import Decimal

import assets_builder as b
import pytest
from hypothesis import given
from hypothesis import strategies as st

from solvency.reserves import bitcoind, lnd
from solvency.reserves.fields import Fields, SnapshotError, btc_to_sats
from solvency.reserves.snapshot import load_snapshot
from verifier.assets.artifact import Channel
from verifier.assets.errors import CannotVerify, InvalidAttestation, Reason
from verifier.assets.rules import channel_escrow, our_escrow


def test_published_escrow_values(snapshot, tmp_path):
    snap = load_snapshot(snapshot.write(tmp_path / "s", node_sign=False))
    assert [c.scid for c in snap.channels][2] == str((800002 << 40) | (3 << 16))
    escrows = [our_escrow(c) for c in snap.channels]
    assert escrows == [3470, 9050, 3470] == [spec["escrow"] for spec in b.CHANNELS]
    assert 3470 == 2810 + 2 * 330 and 3470 == 3140 + 330


def test_snapshot_values_are_parsed_exactly(snapshot, tmp_path):
    snap = load_snapshot(snapshot.write(tmp_path / "s", node_sign=False))
    assert (snap.anchor.height, snap.anchor.hash) == (b.ANCHOR_HEIGHT, b.ANCHOR_HASH)
    assert [u.amount for u in snap.cold] == [150_000_000, 25_000_000, 12_345_678]
    assert snap.wallet.confirmed == 500_000 and snap.pending.total_limbo == 120_000
    assert snap.node.network == "regtest" and len(snap.lnd_utxos) == 2


def _fig(**kw):
    base = dict(channel_point="x:0", scid="1", remote_pubkey="02" + "11" * 32, active=True, capacity=500000, local=250000,
                remote=246530, unsettled=0, commit_fee=2810, commitment_type="ANCHORS", initiator=True, pending_htlcs=0)
    base.update(kw)
    return Channel(**base)


@contextlib.contextmanager
def escrow_mismatch(match=None):
    with pytest.raises(InvalidAttestation, match=match) as info:
        yield info
    assert info.value.reason == Reason.ESCROW_MISMATCH


def test_escrow_rule_failures():
    with escrow_mismatch(match="commit_fee"):
        channel_escrow(_fig(commit_fee=2811))
    with escrow_mismatch(match="exceeds capacity"):
        channel_escrow(_fig(local=500001))
    with escrow_mismatch(match="exceed capacity"):
        channel_escrow(_fig(remote=250001))
    with pytest.raises(CannotVerify):
        channel_escrow(_fig(commitment_type="FUTURE_TYPE"))
    assert our_escrow(_fig(initiator=False)) == 0
    assert channel_escrow(_fig(commitment_type="STATIC_REMOTE_KEY", commit_fee=3470)) == 3470


@given(capacity=st.integers(1000, 10**9), local_share=st.floats(0, 1), fee=st.integers(0, 50000), anchors=st.booleans())
def test_escrow_identity_property(capacity, local_share, fee, anchors):
    kind = "ANCHORS" if anchors else "STATIC_REMOTE_KEY"
    escrow = fee + (660 if anchors else 0)
    spendable = capacity - escrow
    if spendable < 2:
        return
    local = max(1, min(spendable - 1, int(spendable * local_share)))
    ch = _fig(capacity=capacity, local=local, remote=spendable - local, commit_fee=fee, commitment_type=kind)
    assert channel_escrow(ch) == escrow
    with escrow_mismatch():
        channel_escrow(_fig(capacity=capacity, local=local, remote=spendable - local - 1, commit_fee=fee, commitment_type=kind))


def _write(snapshot, tmp_path, name, mutate):
    value = snapshot.files[name]
    if isinstance(value, str):
        snapshot.files[name] = mutate(value)
    else:
        mutate(value)
    return snapshot.write(tmp_path / "s", node_sign=False)


def _error(directory) -> SnapshotError:
    with pytest.raises(SnapshotError) as info:
        load_snapshot(directory)
    return info.value


def test_missing_file_is_named(snapshot, tmp_path):
    d = snapshot.write(tmp_path / "s", node_sign=False)
    (d / "lnd_listchannels.json").unlink()
    err = _error(d)
    assert err.file == "lnd_listchannels.json" and "missing" in err.reason


def test_lnd_on_another_block_is_refused(snapshot, tmp_path):
    err = _error(_write(snapshot, tmp_path, "lnd_getinfo.json", lambda d: d.update(block_hash=b.OTHER_HASH)))
    assert "lnd_getinfo.json" in err.file and "bitcoind_getblockheader.json" in err.file


def test_scan_at_another_block_is_refused(snapshot, tmp_path):
    err = _error(_write(snapshot, tmp_path, "bitcoind_scantxoutset.json", lambda t: t.replace(f'"height": {b.ANCHOR_HEIGHT},', f'"height": {b.ANCHOR_HEIGHT + 1},')))
    assert "bitcoind_scantxoutset.json" in err.file and "anchor" in err.reason


def test_sub_satoshi_amount_is_refused(snapshot, tmp_path):
    err = _error(_write(snapshot, tmp_path, "bitcoind_scantxoutset.json", lambda t: t.replace('"amount": 0.12345678', '"amount": 0.123456781')))
    assert err.file == "bitcoind_scantxoutset.json" and err.field.endswith(".amount") and "sub-satoshi" in err.reason


def test_negative_btc_amount_is_refused(snapshot, tmp_path):
    err = _error(_write(snapshot, tmp_path, "bitcoind_scantxoutset.json", lambda t: t.replace('"amount": 0.25000000', '"amount": -0.25000000')))
    assert "negative" in err.reason


def test_float_where_lncli_prints_a_string_is_refused(snapshot, tmp_path):
    err = _error(_write(snapshot, tmp_path, "lnd_walletbalance.json", lambda d: d.update(confirmed_balance=500000.0)))
    assert err.file == "lnd_walletbalance.json" and err.field == "confirmed_balance" and "decimal string" in err.reason


def test_integer_where_lncli_prints_a_string_is_refused(snapshot, tmp_path):
    def mutate(d):
        d["channels"][0]["capacity"] = 500000

    err = _error(_write(snapshot, tmp_path, "lnd_listchannels.json", mutate))
    assert err.field == "channels[0].capacity"


def test_negative_lncli_value_is_refused(snapshot, tmp_path):
    def mutate(d):
        d["channels"][1]["local_balance"] = "-1"

    err = _error(_write(snapshot, tmp_path, "lnd_listchannels.json", mutate))
    assert err.field == "channels[1].local_balance" and "negative" in err.reason


def test_both_listchannels_shapes_are_accepted():
    old = {"channels": [b._channel(0, b.CHANNELS[0], new_shape=False)]}
    new = {"channels": [b._channel(0, b.CHANNELS[0], new_shape=True)]}
    assert lnd.parse_listchannels(old)[0].scid == lnd.parse_listchannels(new)[0].scid
    broken = json.loads(json.dumps(new))
    broken["channels"][0]["chan_id"] = broken["channels"][0]["scid"]
    with pytest.raises(SnapshotError, match="chan_id"):
        lnd.parse_listchannels(broken)


def test_limbo_total_must_match(snapshot, tmp_path):
    err = _error(_write(snapshot, tmp_path, "lnd_pendingchannels.json", lambda d: d.update(total_limbo_balance="120001")))
    assert err.field == "total_limbo_balance"


def test_channelbalance_must_match_the_channels(snapshot, tmp_path):
    err = _error(_write(snapshot, tmp_path, "lnd_channelbalance.json", lambda d: d["local_balance"].update(sat="1")))
    assert "lnd_channelbalance.json" in err.file


def test_exactly_one_cold_source(snapshot, tmp_path):
    d = snapshot.write(tmp_path / "s", node_sign=False)
    (d / "bitcoind_listunspent.json").write_text("[]")
    assert "exactly one" in _error(d).reason


def test_watch_only_listunspent_is_an_alternative_cold_source(snapshot, tmp_path):
    d = snapshot.write(tmp_path / "s", node_sign=False)
    (d / "bitcoind_scantxoutset.json").unlink()
    (d / "bitcoind_listunspent.json").write_text(
        '[{"txid": "%s", "vout": 0, "address": "x", "label": "", "scriptPubKey": "%s", "amount": 0.00012345, '
        '"confirmations": 6, "spendable": false, "solvable": true, "safe": true}]' % (b.txid("w"), b.p2wsh(b.SCRIPT_A).hex())
    )
    snap = load_snapshot(d)
    assert snap.cold[0].amount == 12345 and snap.cold[0].height == b.ANCHOR_HEIGHT - 5


@given(st.integers(0, 21_000_000 * 10**8))
def test_btc_to_sats_is_exact_for_every_whole_sat_amount(sats):
    text = f"{sats // 10**8}.{sats % 10**8:08d}"
    assert btc_to_sats(json.loads(text, parse_float=Decimal), Fields({}, "f").error, "amount") == sats


@pytest.mark.parametrize("value", [Decimal("0.000000001"), Decimal("-1"), "1.0", True, Decimal("21000000.00000001")])
def test_btc_to_sats_refuses(value):
    with pytest.raises(SnapshotError):
        btc_to_sats(value, Fields({}, "f").error, "amount")


def test_scantxoutset_total_must_match():
    doc = json.loads(b.snapshot_files()["bitcoind_scantxoutset.json"], parse_float=Decimal)
    doc["total_amount"] = Decimal("1.00000000")
    with pytest.raises(SnapshotError, match="total_amount"):
        bitcoind.parse_scantxoutset(doc)


def test_lncli_listunspent_and_lnrpc_json_shapes():
    lncli = b.snapshot_files()["lnd_listunspent.json"]
    first = lncli["utxos"][0]
    txid, vout = first["outpoint"].split(":")
    rest = {"utxos": [{"address_type": "WITNESS_PUBKEY_HASH", "address": first["address"], "amount_sat": str(first["amount_sat"]),
                       "pk_script": first["pk_script"], "outpoint": {"txid_bytes": "", "txid_str": txid, "output_index": int(vout)},
                       "confirmations": str(first["confirmations"])}]}
    assert lnd.parse_listunspent(rest)[0] == lnd.parse_listunspent(lncli)[0]
    bad = json.loads(json.dumps(lncli))
    bad["utxos"][0]["amount_sat"] = "300000"  # lncli's own struct prints numbers; a string is the other shape
    with pytest.raises(SnapshotError, match="amount_sat"):
        lnd.parse_listunspent(bad)
    bad["utxos"][0]["amount_sat"] = -5
    with pytest.raises(SnapshotError, match="negative"):
        lnd.parse_listunspent(bad)
