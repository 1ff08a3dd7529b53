"""End to end: `solvency assets attest` then `solvency-verify assets`, and every attack/bad input."""

from __future__ import annotations

import json

import assets_builder as b
import pytest
from assets_cli import EPOCH, load, run_solvency, run_verify

from solvency.keys import sign_artifact
from verifier import canonical
from verifier.assets.challenge import challenge_message, node_message
from verifier.commitment import commitment_hash


def verify(path, bank, *extra):
    result = run_verify("assets", path, "--key", bank["pub"], "--network", "regtest", "--json", *extra)
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.output)


def resign(doc: dict, bank, *, node_key=b.NODE) -> dict:
    """What a dishonest bank holding both keys could publish after editing the attestation."""
    body = {k: v for k, v in doc.items() if k not in ("signature", "node_signature")}
    message = node_message(body)
    body["node_signature"] = {"message": message, "signature": b.lnd_node_sign(node_key, message)}
    return sign_artifact(body, bank["private"])


def write(tmp_path, doc, name="edited.json"):
    path = tmp_path / name
    path.write_bytes(canonical.dump_file_bytes(doc))
    return path


def test_valid_attestation(attested, bank):
    code, out = verify(attested, bank, "--commitment", bank["commitment_file"], "--epoch", EPOCH)
    assert (code, out["verdict"], out["reason"]) == (0, "valid", None)
    facts = out["facts"]
    assert facts["totals_sat"]["cold_storage"] == 187_345_678
    assert facts["totals_sat"]["channel_escrow"] == 3470 + 9050 + 3470
    assert facts["totals_sat"]["channel_local"] == 250000 + 9990950 + 16530
    statement = facts["statement"]
    btc = statement["per_asset"][0]
    assert btc == {"asset": "BTC", "unit": "sat", "assets": "198339148", "liabilities": "150000000", "margin": "48339148"}
    assert statement["per_asset"][1] == {"asset": "USD", "unit": "cent", "assets": "0", "liabilities": "3000000", "margin": "-3000000"}
    # 3,000,000 cents at 9,000,000 cents/BTC = 33,333,333.33 sats, rounded up against the bank.
    assert statement["combined_at_declared_price"] == {"usd_liabilities_in_sat": "33333334", "margin_sat": "15005814", "margin_usd_cents": "1350523"}
    assert any("operator's word" in c for c in out["caveats"])
    assert len(facts["utxo_scan_objects"]) == 4 and all(o.startswith("addr(bcrt1") for o in facts["utxo_scan_objects"])
    assert any("proofs of control" in c for c in out["checked"])


def test_plain_output_states_what_is_proven(attested, bank):
    result = run_verify("assets", attested, "--key", bank["pub"], "--network", "regtest")
    assert result.exit_code == 0
    assert "VALID" in result.output and "operator's word" in result.output


def test_attestation_is_canonical_and_signed(attested, bank):
    raw = attested.read_bytes()
    doc = canonical.loads(raw)
    assert doc["format"] == "pos-assets/3" and doc["signature"]["alg"] == "ed25519"
    assert doc["challenge"] == challenge_message(EPOCH, b.ANCHOR_HEIGHT, b.ANCHOR_HASH, commitment_hash(bank["commitment"]))


def test_wrong_bank_key(attested, tmp_path):
    from solvency.keys import generate_key

    generate_key(tmp_path / "other.key")
    code, out = verify(attested, {"pub": tmp_path / "other.key.pub"})
    assert (code, out["reason"]) == (1, "WRONG_KEY")


def test_one_changed_byte_breaks_the_bank_signature(attested, bank, tmp_path):
    doc = load(attested)
    doc["cold_utxos"][0]["amount"] += 1
    code, out = verify(write(tmp_path, doc), bank)
    assert (code, out["reason"]) == (1, "BAD_SIGNATURE")


def test_edited_and_resigned_without_the_node_is_caught(attested, bank, tmp_path):
    doc = load(attested)
    doc["channels"][0]["local"] += 1000
    body = {k: v for k, v in doc.items() if k != "signature"}
    code, out = verify(write(tmp_path, sign_artifact(body, bank["private"])), bank)
    assert (code, out["reason"]) == (1, "NODE_DIGEST_MISMATCH")


@pytest.mark.parametrize(
    "edit,reason",
    [
        (lambda d: d["channels"][0].update(commit_fee=2000), "ESCROW_MISMATCH"),
        (lambda d: d["channels"][1].update(local=d["channels"][1]["local"] + 5), "ESCROW_MISMATCH"),
        (lambda d: d["totals"].update(cold_storage=d["totals"]["cold_storage"] + 1), "TOTAL_MISMATCH"),
        (lambda d: d["onchain"].update(confirmed=d["onchain"]["confirmed"] + 1), "TOTAL_MISMATCH"),
        (lambda d: d["statement"]["per_asset"][0].update(margin="0"), "STATEMENT_MISMATCH"),
        (lambda d: d["statement"]["price"].update(usd_cents_per_btc=10**9), "STATEMENT_MISMATCH"),
        (lambda d: d["cold_utxos"][0].update(address=d["cold_utxos"][2]["address"]), "ADDRESS_MISMATCH"),
        (lambda d: d["cold_utxos"][2].update(descriptor=d["cold_utxos"][0]["descriptor"]), "ADDRESS_MISMATCH"),
        (lambda d: d["cold_utxos"][0].update(height=b.ANCHOR_HEIGHT + 1), "ANCHOR_MISMATCH"),
        (lambda d: d["proofs"].pop(0), "MISSING_PROOF"),
        (lambda d: d["anchor"].update(hash=b.OTHER_HASH), "CHALLENGE_MISMATCH"),
        (lambda d: d.update(challenge=d["challenge"].replace(EPOCH, "2026-10")), "CHALLENGE_MISMATCH"),
        (lambda d: d["commitment"].update(root_sums=["1", "1"]), "COMMITMENT_MISMATCH"),
    ],
    ids=["commit_fee", "local", "total", "onchain", "margin", "price", "address", "descriptor", "utxo-after-anchor",
         "missing-proof", "anchor", "challenge", "liabilities"],
)
def test_resigned_lies_are_caught(attested, bank, tmp_path, edit, reason):
    doc = load(attested)
    edit(doc)
    code, out = verify(write(tmp_path, resign(doc, bank)), bank, "--commitment", bank["commitment_file"])
    assert (code, out["reason"]) == (1, reason), out["message"]


def test_tampered_proof_signature(attested, bank, tmp_path):
    doc = load(attested)
    sig = doc["proofs"][0]["signature"]
    doc["proofs"][0]["signature"] = sig[:20] + ("A" if sig[20] != "A" else "B") + sig[21:]
    code, out = verify(write(tmp_path, resign(doc, bank)), bank)
    assert code == 1 and out["reason"] in ("BAD_PROOF_OF_CONTROL", "MALFORMED_PROOF")


def test_proofs_for_another_epoch_are_rejected(attested, bank, tmp_path):
    doc = load(attested)
    old = challenge_message("2026-10", b.ANCHOR_HEIGHT, b.ANCHOR_HASH, commitment_hash(bank["commitment"]))
    doc["proofs"] = b.proofs_for(old)["proofs"]
    code, out = verify(write(tmp_path, resign(doc, bank)), bank)
    assert (code, out["reason"]) == (1, "BAD_PROOF_OF_CONTROL")


def test_wrong_node_key(attested, bank, tmp_path):
    doc = load(attested)
    code, out = verify(write(tmp_path, resign(doc, bank, node_key=b.key("impostor"))), bank)
    assert (code, out["reason"]) == (1, "WRONG_NODE_KEY")


def test_expected_epoch(attested, bank):
    code, out = verify(attested, bank, "--epoch", "2026-12")
    assert (code, out["reason"]) == (1, "WRONG_EPOCH")


def test_another_commitment_is_refused(attested, bank, tmp_path):
    other = b.write_commitment(tmp_path / "other.json", b.commitment(bank["private"], EPOCH, sums=(1, 1)))
    code, out = verify(attested, bank, "--commitment", other)
    assert (code, out["reason"]) == (1, "COMMITMENT_MISMATCH")


def test_unknown_format_is_inconclusive(attested, bank, tmp_path):
    doc = load(attested)
    doc["format"] = "pos-assets/4"
    code, out = verify(write(tmp_path, doc), bank)
    assert (code, out["verdict"], out["reason"]) == (3, "inconclusive", "UNSUPPORTED_VERSION")


def test_non_canonical_file_is_invalid(attested, bank, tmp_path):
    path = tmp_path / "pretty.json"
    path.write_text(json.dumps(load(attested), indent=1))
    code, out = verify(path, bank)
    assert (code, out["reason"]) == (1, "NON_CANONICAL_ENCODING")


def test_missing_file_is_inconclusive(bank, tmp_path):
    code, out = verify(tmp_path / "nope.json", bank)
    assert (code, out["reason"]) == (3, "UNREADABLE")


# --- the auditor's UTXO data ---------------------------------------------------------------------


def _scan(doc, *, height=b.ANCHOR_HEIGHT, bestblock=b.ANCHOR_HASH, drop=None, amount_delta=0) -> str:
    unspents = []
    for i, u in enumerate(doc["cold_utxos"] + doc["onchain_utxos"]):
        if i == drop:
            continue
        sats = u["amount"] + (amount_delta if i == 0 else 0)
        unspents.append('{"txid": "%s", "vout": %d, "scriptPubKey": "%s", "desc": "addr(%s)", "amount": %d.%08d, "coinbase": false, "height": %d}'
                        % (u["txid"], u["vout"], u["script_pubkey"], u["address"], sats // 10**8, sats % 10**8, b.ANCHOR_HEIGHT - 50))
    total = 0
    return ('{"success": true, "txouts": 1000, "height": %d, "bestblock": "%s", "unspents": [%s], "total_amount": %d.%08d}'
            % (height, bestblock, ", ".join(unspents), total // 10**8, total % 10**8))


@pytest.mark.parametrize(
    "kwargs,code,reason",
    [
        ({}, 0, None),
        ({"height": b.ANCHOR_HEIGHT + 10, "bestblock": b.OTHER_HASH}, 0, None),
        ({"amount_delta": 1}, 1, "UTXO_MISMATCH"),
        ({"drop": 1}, 1, "UTXO_NOT_FOUND"),
        ({"drop": 3}, 3, "UTXO_DATA_INCOMPLETE"),
        ({"drop": 1, "height": b.ANCHOR_HEIGHT + 10, "bestblock": b.OTHER_HASH}, 3, "UTXO_SPENT_SINCE"),
        ({"height": b.ANCHOR_HEIGHT - 1, "bestblock": b.OTHER_HASH}, 3, "UTXO_DATA_TOO_OLD"),
        ({"bestblock": b.OTHER_HASH}, 1, "ANCHOR_NOT_IN_CHAIN"),
    ],
    ids=["at-anchor", "later", "amount", "missing", "script-not-scanned", "spent-since", "too-old", "fork"],
)
def test_utxos_against_the_auditors_scan(attested, bank, tmp_path, kwargs, code, reason):
    path = tmp_path / "scan.json"
    path.write_text(_scan(load(attested), **kwargs))
    got, out = verify(attested, bank, "--utxos", path)
    assert (got, out["reason"]) == (code, reason), out["message"]
    if code == 0:
        assert any("exist with the attested amounts" in c for c in out["checked"])


def test_utxos_against_gettxout(attested, bank, tmp_path):
    doc = load(attested)
    tip = b.ANCHOR_HEIGHT + 5
    entries = []
    for u in doc["cold_utxos"] + doc["onchain_utxos"]:
        entries.append('"%s:%d": {"bestblock": "%s", "confirmations": 20, "value": %d.%08d, "scriptPubKey": {"asm": "", "desc": "", "hex": "%s", "type": "witness_v0_scripthash"}, "coinbase": false}'
                       % (u["txid"], u["vout"], b.OTHER_HASH, u["amount"] // 10**8, u["amount"] % 10**8, u["script_pubkey"]))
    text = '{"getblockheader": {"hash": "%s", "height": %d}, "gettxout": {%s}}' % (b.OTHER_HASH, tip, ", ".join(entries))
    path = tmp_path / "gettxout.json"
    path.write_text(text)
    assert verify(attested, bank, "--utxos", path)[0] == 0
    # Created 20 blocks before a tip 5 blocks past the anchor: fine. Created after the anchor: not.
    path.write_text(text.replace('"confirmations": 20', '"confirmations": 2', 1))
    assert verify(attested, bank, "--utxos", path)[1]["reason"] == "UTXO_AFTER_ANCHOR"
    path.write_text(text.replace("0.00300000", "0.003000001"))
    assert verify(attested, bank, "--utxos", path)[0] == 3


# --- the prover refuses bad snapshots ---------------------------------------------------------------


def _attest_fails(attest, snap, **write_args):
    result, out = attest(snap, **write_args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    return result.output


def test_attest_refuses_a_missing_file(snapshot, attest, tmp_path):
    d = snapshot.write(tmp_path / "snap", node_sign=False)
    (d / "lnd_walletbalance.json").unlink()
    assert "lnd_walletbalance.json" in _attest_fails(attest, snapshot)


def test_attest_refuses_wrong_block(snapshot, attest):
    snapshot.files["lnd_getinfo.json"]["block_height"] += 1
    output = _attest_fails(attest, snapshot, node_sign=False)
    assert "lnd_getinfo.json" in output and "bitcoind_getblockheader.json" in output


def test_attest_refuses_sub_satoshi(snapshot, attest):
    snapshot.files["bitcoind_scantxoutset.json"] = snapshot.files["bitcoind_scantxoutset.json"].replace("1.50000000", "1.500000001")
    assert "sub-satoshi" in _attest_fails(attest, snapshot, node_sign=False)


def test_attest_refuses_floats(snapshot, attest):
    snapshot.files["lnd_channelbalance.json"]["local_balance"]["sat"] = 10257480.0
    assert "local_balance.sat" in _attest_fails(attest, snapshot, node_sign=False)


def test_attest_refuses_proofs_for_another_epoch(snapshot, attest):
    old = challenge_message("2026-10", b.ANCHOR_HEIGHT, b.ANCHOR_HASH, commitment_hash(snapshot.commitment))
    output = _attest_fails(attest, snapshot, node_sign=False, proofs=b.proofs_for(old))
    assert "proofs.json" in output and "challenge" in output


def test_attest_refuses_a_node_signature_by_another_key(snapshot, attest, tmp_path):
    d = snapshot.write(tmp_path / "snap", node_sign=False)
    snapshot.node_sign(d, signer=b.key("impostor"))
    output = _attest_fails(attest, snapshot)
    assert "lnd_signmessage.json" in output and "lncli signmessage" in output


def test_attest_refuses_a_stale_node_signature(snapshot, attest, tmp_path):
    d = snapshot.write(tmp_path / "snap", node_sign=False)
    snapshot.node_sign(d, message="pos-assets/1 attestation digest: " + "00" * 32)
    assert "lnd_signmessage.json" in _attest_fails(attest, snapshot)


def test_attest_refuses_a_utxo_without_proof(snapshot, attest):
    proofs = b.proofs_for(snapshot.challenge)
    proofs["proofs"].pop()
    assert "no proof of control" in _attest_fails(attest, snapshot, node_sign=False, proofs=proofs)


def test_attest_refuses_a_float_price(snapshot, attest):
    snapshot.price = {"usd_cents_per_btc": 9000000.5, "source": "x", "time": "2026-11-20T23:59:00Z"}
    assert "price.json" in _attest_fails(attest, snapshot, node_sign=False)


def test_attest_refuses_a_commitment_for_another_epoch(snapshot, attest, bank, tmp_path):
    other = b.write_commitment(tmp_path / "c.json", b.commitment(bank["private"], "2026-10"))
    d = snapshot.write(tmp_path / "snap", node_sign=False)
    result = run_solvency("assets", "attest", "--snapshots", d, "--epoch", EPOCH, "--commitment", other,
                          "--key", bank["key"], "--out", tmp_path / "a.json")
    assert result.exit_code == 1 and "epoch" in result.output and not (tmp_path / "a.json").exists()


@pytest.mark.parametrize("command", ["challenge", "digest", "attest"])
def test_unreadable_inputs_are_refused_by_name(snapshot, bank, tmp_path, command):
    d = snapshot.write(tmp_path / "snap", node_sign=False)
    (tmp_path / "bad.json").write_text("{")
    out = ["--out", tmp_path / "a.json"] if command == "attest" else []
    for commitment, key, named in ((tmp_path / "none.json", bank["key"], "none.json"), (tmp_path / "bad.json", bank["key"], "not a commitment"),
                                   (bank["commitment_file"], tmp_path / "no.key", "no.key")):
        result = run_solvency("assets", command, "--snapshots", d, "--epoch", EPOCH, "--commitment", commitment, "--key", key, *out)
        assert result.exit_code == 1 and named in result.output and "Traceback" not in result.output, result.output
    assert not (tmp_path / "a.json").exists()


def test_challenge_and_digest_commands(snapshot, bank, tmp_path):
    d = snapshot.write(tmp_path / "snap", node_sign=False)
    common = ["--snapshots", d, "--epoch", EPOCH, "--commitment", bank["commitment_file"], "--key", bank["key"]]
    result = run_solvency("assets", "challenge", *common)
    assert result.exit_code == 0 and result.output == snapshot.challenge + "\n"
    result = run_solvency("assets", "digest", *common)
    assert result.exit_code == 0 and result.output.startswith("pos-assets/2 attestation digest: ")


def test_attest_refuses_an_address_that_does_not_match_its_script(snapshot, attest):
    utxos = snapshot.files["lnd_listunspent.json"]["utxos"]
    utxos[0]["address"] = utxos[1]["address"]
    output = _attest_fails(attest, snapshot, node_sign=False)
    assert "lnd_listunspent.json" in output and "does not match its scriptPubKey" in output


def test_attest_refuses_a_descriptor_that_does_not_derive_the_script(snapshot, attest):
    text = snapshot.files["bitcoind_scantxoutset.json"]
    snapshot.files["bitcoind_scantxoutset.json"] = text.replace(b.descriptor(b.COLD_B), b.descriptor(b.COLD_A))
    output = _attest_fails(attest, snapshot, node_sign=False)
    assert "bitcoind_scantxoutset.json" in output and "descriptor" in output


def test_address_scan_descriptors_are_accepted(snapshot, attest, bank):
    from embit.descriptor.checksum import checksum

    text = snapshot.files["bitcoind_scantxoutset.json"]
    for keys, script in ((b.COLD_A, b.SCRIPT_A), (b.COLD_B, b.SCRIPT_B)):
        body = f"addr({b.script_address(b.p2wsh(script), b.NETWORK)})"
        text = text.replace(b.descriptor(keys), f"{body}#{checksum(body)}")
    snapshot.files["bitcoind_scantxoutset.json"] = text
    result, out = attest(snapshot)
    assert result.exit_code == 0, result.output
    assert verify(out, bank)[0] == 0


@pytest.mark.parametrize("replacement", ["null", "true", "-1", "1.5", '"x"', "[]", "{}", "1e400", "0.000000001"])
@pytest.mark.parametrize("field", ["height", "bestblock", "txid", "vout", "amount", "scriptPubKey", "success", "unspents"])
def test_corrupt_auditor_scan_is_inconclusive_or_a_verdict(attested, bank, tmp_path, field, replacement):
    import re as _re

    text = _scan(load(attested))
    corrupted = _re.sub(r'"%s": ("[^"]*"|[^,}\]]+|\[[^\]]*\])' % field, f'"{field}": {replacement}', text, count=1)
    if corrupted == text:
        pytest.skip("the replacement equals the original value")
    path = tmp_path / "scan.json"
    path.write_text(corrupted)
    _, out = verify(attested, bank, "--utxos", path)
    # Bad data from the auditor's side must give a named verdict, never an internal error.
    assert out["reason"] != "INTERNAL_ERROR", out["message"]
