"""Builds real-format snapshot directories with deterministic keys and real signatures.

Everything an operator would produce is produced here the way the tools produce it: lncli JSON
with int64 fields as strings, bitcoind JSON with BTC decimals, BIP-322 "simple" signatures made
by 2-of-3 multisig keys, lnd ``SignMessageWithAddr`` signatures (header 31-34) and lnd node
``signmessage`` signatures (z-base-32). The signing code lives only in the tests: the verifier
verifies and never signs. Keys derive from fixed labels, so every run builds the same data
(except the bank's Ed25519 key and the ECDSA nonces, which do not affect any asserted value).

Run as a script to write a sample snapshot, bank key and commitment:
``python tests/assets/assets_builder.py DIR``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from coincurve import PrivateKey
from embit import compact
from embit.descriptor.checksum import checksum
from embit.hashes import hash160
from embit.script import Script
from embit.transaction import SIGHASH

from solvency.demo.nodes import regtest_header
from solvency.demo.wallets import (  # the demo's signers: one implementation of script and key handling
    lnd_address_sign,
    lnd_node_sign,
    multisig_script,
    p2tr,
    p2wpkh,
    p2wsh,
    taproot_tweak,
)
from verifier import canonical
from verifier.assets import bip322
from verifier.assets.address import script_address
from verifier.assets.challenge import challenge_message
from verifier.commitment import commitment_hash

NETWORK = "regtest"
ANCHOR_HEIGHT = 871_234
AS_OF = "2026-11-20T23:59:59Z"
# The anchor block: a regtest header mined 10 minutes before the cut-off (SPEC 8.8's window).
ANCHOR_TIME = int(datetime(2026, 11, 20, 23, 50, tzinfo=UTC).timestamp())
ANCHOR_HASH, ANCHOR_HEADER = regtest_header(ANCHOR_HEIGHT, ANCHOR_TIME, "test anchor")
OTHER_HASH = hashlib.sha256(b"some other block").hexdigest()


def key(label: str) -> PrivateKey:
    return PrivateKey(hashlib.sha256(b"pos-test-key " + label.encode()).digest())


def txid(label: str) -> str:
    return hashlib.sha256(b"txid " + label.encode()).hexdigest()


# --- signing helpers (tests only) ------------------------------------------------------------


def bip322_sign(script_pubkey: bytes, message: str, keys: list[PrivateKey], witness_script: bytes | None = None) -> str:
    """A BIP-322 simple signature (``smp`` + base64 witness) for P2WPKH, P2WSH multisig or P2TR."""
    spend = bip322.to_spend(message.encode(), script_pubkey)
    tx = bip322.to_sign(spend, [])
    if script_pubkey[:2] == b"\x51\x20":
        tweaked, _ = taproot_tweak(keys[0])
        digest = tx.sighash_taproot(0, [Script(script_pubkey)], [0], sighash=SIGHASH.DEFAULT)
        witness = [tweaked.sign_schnorr(digest, b"\x00" * 32)]
    elif witness_script is not None:
        digest = tx.sighash_segwit(0, Script(witness_script), 0, sighash=SIGHASH.ALL)
        order = {k.public_key.format(): k for k in keys}
        sigs = [order[pk].sign(digest, hasher=None) + b"\x01" for pk in sorted(order)]
        witness = [b""] + sigs + [witness_script]
    else:
        pub = keys[0].public_key.format()
        code = Script(b"\x76\xa9\x14" + hash160(pub) + b"\x88\xac")
        digest = tx.sighash_segwit(0, code, 0, sighash=SIGHASH.ALL)
        witness = [keys[0].sign(digest, hasher=None) + b"\x01", pub]
    raw = compact.to_bytes(len(witness)) + b"".join(compact.to_bytes(len(w)) + w for w in witness)
    return "smp" + base64.b64encode(raw).decode()


def compact_sign(priv: PrivateKey, digest: bytes, header_base: int = 31) -> bytes:
    sig = priv.sign_recoverable(digest, hasher=None)
    return bytes([header_base + sig[64]]) + sig[:64]


# --- the snapshot ------------------------------------------------------------------------------

NODE = key("lnd node")
COLD_A = [key(f"cold A{i}") for i in range(3)]
COLD_B = [key(f"cold B{i}") for i in range(3)]
LND_WPKH = key("lnd wallet wpkh")
LND_TR = key("lnd wallet taproot")
SCRIPT_A = multisig_script(2, [k.public_key.format() for k in COLD_A])
SCRIPT_B = multisig_script(2, [k.public_key.format() for k in COLD_B])


def descriptor(keys: list[PrivateKey]) -> str:
    body = "wsh(sortedmulti(2," + ",".join(k.public_key.format().hex() for k in keys) + "))"
    return body + "#" + checksum(body)


# The three channels with the published lncli values (escrow identity fixtures).
CHANNELS = [
    {"capacity": "500000", "local_balance": "250000", "remote_balance": "246530", "commit_fee": "2810",
     "commitment_type": "ANCHORS", "initiator": True, "escrow": 3470},
    {"capacity": "10000000", "local_balance": "9990950", "remote_balance": "0", "commit_fee": "9050",
     "commitment_type": "STATIC_REMOTE_KEY", "initiator": True, "escrow": 9050},
    {"capacity": "20000", "local_balance": "16530", "remote_balance": "0", "commit_fee": "3140",
     "commitment_type": "ANCHORS", "initiator": True, "escrow": 3470},
]

# Cold storage: (descriptor keys, script, txid label, vout, BTC amount as written by bitcoind).
COLD_UTXOS = [
    (COLD_A, SCRIPT_A, "cold 1", 0, "1.50000000"),
    (COLD_A, SCRIPT_A, "cold 2", 3, "0.25000000"),
    (COLD_B, SCRIPT_B, "cold 3", 1, "0.12345678"),
]
LND_UTXOS = [(LND_WPKH, "wpkh", "lnd 1", 1, 300000), (LND_TR, "tr", "lnd 2", 0, 200000)]

# The default snapshot's counted figures per SPEC 8.3 category, worked out by hand from the lists
# above and the pending channels of `snapshot_files` (sats). Tests of the books and the metrics compare
# against these rather than against what the prover computes.
CHANNEL_LOCAL_SATS = 250_000 + 9_990_950 + 16_530
PENDING_SATS = 100_000 + 50_000 + 70_000  # pending-open local, waiting-close and force-close limbo
CHANNEL_ESCROW_SATS = 3_470 + 9_050 + 3_470
LND_ONCHAIN_SATS = 300_000 + 200_000
COLD_SATS = 150_000_000 + 25_000_000 + 12_345_678


def _channel(i: int, spec: dict, new_shape: bool) -> dict[str, Any]:
    point = f"{txid(f'funding {i}')}:{i % 2}"
    scid = str((800000 + i) << 40 | (i + 1) << 16 | (i % 2))
    ch: dict[str, Any] = {
        "active": True,
        "remote_pubkey": key(f"peer {i}").public_key.format().hex(),
        "channel_point": point,
    }
    if new_shape:
        ch["chan_id"] = hashlib.sha256(point.encode()).hexdigest()
        ch["scid"] = scid
        ch["scid_str"] = f"{800000 + i}x{i + 1}x{i % 2}"
    else:
        ch["chan_id"] = scid
    ch.update({
        "capacity": spec["capacity"], "local_balance": spec["local_balance"], "remote_balance": spec["remote_balance"],
        "commit_fee": spec["commit_fee"], "commit_weight": "1116", "fee_per_kw": "2500", "unsettled_balance": "0",
        "total_satoshis_sent": "0", "total_satoshis_received": "0", "num_updates": "4", "pending_htlcs": [],
        "csv_delay": 144, "private": False, "initiator": spec["initiator"], "chan_status_flags": "ChanStatusDefault",
        "local_chan_reserve_sat": "5000", "remote_chan_reserve_sat": "5000", "static_remote_key": False,
        "commitment_type": spec["commitment_type"], "lifetime": "3600", "uptime": "3600", "close_address": "",
        "push_amount_sat": "0", "thaw_height": 0, "alias_scids": [], "zero_conf": False,
        "zero_conf_confirmed_scid": "0", "peer_alias": "", "peer_scid_alias": "0", "memo": "",
    })
    return ch


def _pending(i: int, local: str, capacity: str) -> dict[str, Any]:
    return {
        "remote_node_pub": key(f"pending peer {i}").public_key.format().hex(),
        "channel_point": f"{txid(f'pending {i}')}:0", "capacity": capacity, "local_balance": local,
        "remote_balance": "0", "local_chan_reserve_sat": "2000", "remote_chan_reserve_sat": "2000",
        "initiator": "INITIATOR_LOCAL", "commitment_type": "ANCHORS", "num_forwarding_packages": "0",
        "chan_status_flags": "", "private": False, "memo": "",
    }


def snapshot_files() -> dict[str, Any]:
    """Name -> JSON text (bitcoind files) or value (lncli files) of a consistent snapshot."""
    channels = [_channel(i, spec, new_shape=(i == 2)) for i, spec in enumerate(CHANNELS)]
    local_total = sum(int(c["local_balance"]) for c in CHANNELS)
    remote_total = sum(int(c["remote_balance"]) for c in CHANNELS)
    lnd_utxos = []
    for priv, kind, label, vout, amount in LND_UTXOS:
        spk = p2wpkh(priv.public_key.format()) if kind == "wpkh" else p2tr(priv)
        # `lncli listunspent` prints its own struct (address_type and amounts as numbers,
        # outpoint as "TXID:INDEX"), not the lnrpc JSON form.
        lnd_utxos.append({
            "address_type": 0 if kind == "wpkh" else 4,
            "address": script_address(spk, NETWORK), "amount_sat": amount, "pk_script": spk.hex(),
            "outpoint": f"{txid(label)}:{vout}", "confirmations": 10,
        })
    confirmed = sum(a for *_, a in LND_UTXOS)
    unspents = []
    for keys, script, label, vout, amount in COLD_UTXOS:
        unspents.append(
            '{"txid": "%s", "vout": %d, "scriptPubKey": "%s", "desc": "%s", "amount": %s, "coinbase": false, "height": %d}'
            % (txid(label), vout, p2wsh(script).hex(), descriptor(keys), amount, ANCHOR_HEIGHT - 100 - vout)
        )
    total = sum(int(a.replace(".", "")) for *_, a in COLD_UTXOS)
    total_text = f"{total // 100_000_000}.{total % 100_000_000:08d}"
    scan = (
        '{"success": true, "txouts": 187654321, "height": %d, "bestblock": "%s", "unspents": [%s], "total_amount": %s}'
        % (ANCHOR_HEIGHT, ANCHOR_HASH, ", ".join(unspents), total_text)
    )
    h = ANCHOR_HEADER
    header = (
        '{"hash": "%s", "confirmations": 1, "height": %d, "version": %d, "versionHex": "%08x", '
        '"merkleroot": "%s", "time": %d, "mediantime": %d, "nonce": %d, "bits": "%s", '
        '"difficulty": 4.656542373906925e-10, "chainwork": "0000000000000000000000000000000000000000000000000000000000000002", '
        '"nTx": 3500, "previousblockhash": "%s"}'
        % (ANCHOR_HASH, ANCHOR_HEIGHT, h.version, h.version, h.merkleroot, h.time, h.time - 3000, h.nonce, h.bits,
           h.previousblockhash)
    )
    return {
        "lnd_getinfo.json": {
            "version": "0.19.1-beta commit=v0.19.1-beta", "commit_hash": "a" * 40,
            "identity_pubkey": NODE.public_key.format().hex(), "alias": "testbank", "color": "#3399ff",
            "num_pending_channels": 3, "num_active_channels": 3, "num_inactive_channels": 0, "num_peers": 5,
            "block_height": ANCHOR_HEIGHT, "block_hash": ANCHOR_HASH, "best_header_timestamp": str(ANCHOR_TIME),
            "synced_to_chain": True, "synced_to_graph": True, "testnet": False,
            "chains": [{"chain": "bitcoin", "network": NETWORK}], "uris": [], "features": {},
            "require_htlc_interceptor": False, "store_final_htlc_resolutions": False,
        },
        "lnd_walletbalance.json": {
            "total_balance": str(confirmed + 10000), "confirmed_balance": str(confirmed), "unconfirmed_balance": "10000",
            "locked_balance": "0", "reserved_balance_anchor_chan": "20000",
            "account_balance": {"default": {"confirmed_balance": str(confirmed), "unconfirmed_balance": "10000"}},
        },
        "lnd_channelbalance.json": {
            "balance": str(local_total), "pending_open_balance": "100000",
            "local_balance": {"sat": str(local_total), "msat": str(local_total * 1000)},
            "remote_balance": {"sat": str(remote_total), "msat": str(remote_total * 1000)},
            "unsettled_local_balance": {"sat": "0", "msat": "0"}, "unsettled_remote_balance": {"sat": "0", "msat": "0"},
            "pending_open_local_balance": {"sat": "100000", "msat": "100000000"},
            "pending_open_remote_balance": {"sat": "0", "msat": "0"},
        },
        "lnd_listchannels.json": {"channels": channels},
        "lnd_pendingchannels.json": {
            "total_limbo_balance": "120000",
            "pending_open_channels": [{"channel": _pending(0, "100000", "200000"), "commit_fee": "2810", "commit_weight": "772", "fee_per_kw": "2500", "funding_expiry_blocks": 2010}],
            "pending_closing_channels": [],
            "pending_force_closing_channels": [{"channel": _pending(1, "70000", "100000"), "closing_txid": txid("force close"), "limbo_balance": "70000", "maturity_height": ANCHOR_HEIGHT + 100, "blocks_til_maturity": 100, "recovered_balance": "0", "pending_htlcs": [], "anchor": "LIMBO"}],
            "waiting_close_channels": [{"channel": _pending(2, "50000", "80000"), "limbo_balance": "50000", "commitments": {"local_txid": txid("lc"), "remote_txid": txid("rc"), "remote_pending_txid": "", "local_commit_fee_sat": "2810", "remote_commit_fee_sat": "2810", "remote_pending_commit_fee_sat": "0"}, "closing_txid": txid("wc")}],
        },
        "lnd_listunspent.json": {"utxos": lnd_utxos},
        "bitcoind_getblockheader.json": header,
        "bitcoind_scantxoutset.json": scan,
    }


def proofs_for(challenge: str) -> dict[str, Any]:
    proofs = []
    for keys, script in ((COLD_A, SCRIPT_A), (COLD_B, SCRIPT_B)):
        spk = p2wsh(script)
        proofs.append({"address": script_address(spk, NETWORK), "format": "bip322-simple",
                       "signature": bip322_sign(spk, challenge, keys[:2], script)})
    for priv, kind, *_ in LND_UTXOS:
        spk = p2wpkh(priv.public_key.format()) if kind == "wpkh" else p2tr(priv)
        proofs.append({"address": script_address(spk, NETWORK), "format": "lnd-signmessagewithaddr",
                       "signature": lnd_address_sign(priv, challenge)})
    return {"proofs": proofs}


def commitment(private_key, epoch: str, sums: tuple[int, int] = (150_000_000, 3_000_000)) -> dict[str, Any]:
    """A signed pos-mst/1 commitment with the given BTC (sats) and USD (cents) root sums."""
    from solvency.keys import sign_artifact
    from verifier.signature import key_id

    doc = {
        "format": "pos-mst/1", "type": "commitment", "epoch": epoch, "as_of": AS_OF,
        "assets": ["BTC", "USD"], "height": 4, "leaf_count": 16,
        "root": {"hash": hashlib.sha256(b"root " + epoch.encode()).hexdigest(), "sums": [str(s) for s in sums]},
        "balance_definition": None, "ledger_digest": None, "signer_key_id": key_id(private_key.public_key()),
    }
    return sign_artifact(doc, private_key)


PRICE = {"usd_cents_per_btc": 9_000_000, "source": "test fixture: fixed price", "time": "2026-11-20T23:59:00Z"}


@dataclass
class Snapshot:
    """A snapshot directory in the making; `write` puts the files on disk."""

    epoch: str
    commitment: dict[str, Any]
    files: dict[str, Any] = field(default_factory=snapshot_files)
    price: dict[str, Any] | None = field(default_factory=lambda: dict(PRICE))

    @property
    def challenge(self) -> str:
        return challenge_message(self.epoch, ANCHOR_HEIGHT, ANCHOR_HASH, commitment_hash(self.commitment))

    def write(self, directory: Path, *, node_sign: bool = True, proofs: dict | None = None) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        for name, value in self.files.items():
            text = value if isinstance(value, str) else json.dumps(value, indent=2)
            (directory / name).write_text(text)
        (directory / "proofs.json").write_text(json.dumps(proofs if proofs is not None else proofs_for(self.challenge), indent=2))
        if self.price is not None:
            (directory / "price.json").write_text(json.dumps(self.price))
        if node_sign:
            self.node_sign(directory)
        return directory

    def node_sign(self, directory: Path, signer: PrivateKey = NODE, message: str | None = None) -> None:
        """Sign the digest the prover computes from this directory, as `lncli signmessage` would."""
        from solvency.reserves.attest import build_attestation, load_price, load_proofs
        from solvency.reserves.snapshot import load_snapshot
        from verifier.assets.artifact import CommitmentCopy
        from verifier.schema import UtcTime

        if message is None:
            snap = load_snapshot(directory)
            copy_ = CommitmentCopy(commitment_hash(self.commitment).hex(), self.epoch, tuple(self.commitment["assets"]),
                                   tuple(int(s) for s in self.commitment["root"]["sums"]), UtcTime(self.commitment["as_of"]))
            message = build_attestation(snap, self.epoch, copy_, load_proofs(directory), load_price(directory)).node_message()
        (directory / "lnd_signmessage.json").write_text(json.dumps({"signature": lnd_node_sign(signer, message)}))

    def copy(self) -> Snapshot:
        return Snapshot(self.epoch, self.commitment, copy.deepcopy(self.files), copy.deepcopy(self.price))


def write_commitment(path: Path, doc: dict[str, Any]) -> Path:
    path.write_bytes(canonical.dump_file_bytes(doc))
    return path


if __name__ == "__main__":  # pragma: no cover - manual use
    from solvency.keys import generate_key

    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=False)
    private = generate_key(out / "bank.key")
    doc = commitment(private, "2026-11")
    write_commitment(out / "commitment.json", doc)
    Snapshot("2026-11", doc).write(out / "snap")
    print(f"wrote {out}/snap, {out}/bank.key(.pub) and {out}/commitment.json for epoch 2026-11")
