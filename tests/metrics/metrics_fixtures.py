"""Fixtures for the metrics tests: a real-format snapshot directory and a small Galoy-style ledger.

Snapshot files have the shapes ``lncli`` and ``bitcoin-cli`` print (int64 as strings, BTC as
decimals). The three open channels carry the published lncli figures of the escrow identity
(issue 4): escrow 3470 = 2810 + 2 x 330 (ANCHORS), 9050 (STATIC_REMOTE_KEY), 3470 = 3140 + 330
(ANCHORS, no to_remote output). Every expected amount below is computed by hand from these
figures, independently of the code under test.
"""

from __future__ import annotations

import hashlib
import json
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from ledger.entries import JournalEntry, credit, debit, transfer
from ledger.open import open_store

HEIGHT = 871_234
BLOCK = hashlib.sha256(b"anchor block").hexdigest()
NODE_KEY = "02" + hashlib.sha256(b"node").hexdigest()


def _txid(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def _peer(label: str) -> str:
    return "03" + hashlib.sha256(b"peer " + label.encode()).hexdigest()


CHANNELS = [  # capacity, local, remote, commit_fee, type, initiator
    ("500000", "250000", "246530", "2810", "ANCHORS", True),
    ("10000000", "9990950", "0", "9050", "STATIC_REMOTE_KEY", True),
    ("20000", "16530", "0", "3140", "ANCHORS", True),
]

# Expected node figures (sats), computed by hand from the files below.
LIGHTNING_LOCAL = 250000 + 9990950 + 16530  # 10_257_480
CHANNEL_ESCROW = 3470 + 9050 + 3470  # 15_990
PENDING = 100000 + 50000 + 70000  # pending-open local + waiting-close + force-close limbo
ONCHAIN_CONFIRMED = 500000
ONCHAIN_UNCONFIRMED = 10000
COLD = 150000000 + 25000000 + 12345678  # 1.5 + 0.25 + 0.12345678 BTC
TOTAL_ASSETS = LIGHTNING_LOCAL + CHANNEL_ESCROW + PENDING + ONCHAIN_CONFIRMED + COLD


def _channel(i: int, spec: tuple) -> dict:
    capacity, local, remote, fee, ctype, initiator = spec
    return {
        "active": True, "remote_pubkey": _peer(str(i)), "channel_point": f"{_txid(f'funding {i}')}:{i}",
        "chan_id": str((800000 + i) << 40 | (i + 1) << 16 | i), "capacity": capacity, "local_balance": local,
        "remote_balance": remote, "commit_fee": fee, "commit_weight": "1116", "fee_per_kw": "2500",
        "unsettled_balance": "0", "total_satoshis_sent": "0", "total_satoshis_received": "0", "num_updates": "4",
        "pending_htlcs": [], "csv_delay": 144, "private": False, "initiator": initiator,
        "chan_status_flags": "ChanStatusDefault", "local_chan_reserve_sat": "5000", "remote_chan_reserve_sat": "5000",
        "static_remote_key": False, "commitment_type": ctype, "lifetime": "3600", "uptime": "3600",
        "close_address": "", "push_amount_sat": "0", "thaw_height": 0,
    }


def _pending(i: int, local: str, capacity: str) -> dict:
    return {
        "remote_node_pub": _peer(f"pending {i}"), "channel_point": f"{_txid(f'pending {i}')}:0", "capacity": capacity,
        "local_balance": local, "remote_balance": "0", "local_chan_reserve_sat": "2000",
        "remote_chan_reserve_sat": "2000", "initiator": "INITIATOR_LOCAL", "commitment_type": "ANCHORS",
    }


def snapshot_files() -> dict[str, str]:
    """File name -> file text of one consistent snapshot."""
    lnd = {
        "lnd_getinfo.json": {
            "version": "0.19.1-beta", "identity_pubkey": NODE_KEY, "alias": "testbank", "num_active_channels": 3,
            "block_height": HEIGHT, "block_hash": BLOCK, "synced_to_chain": True, "synced_to_graph": True,
            "testnet": False, "chains": [{"chain": "bitcoin", "network": "regtest"}],
        },
        "lnd_walletbalance.json": {
            "total_balance": "510000", "confirmed_balance": "500000", "unconfirmed_balance": "10000",
            "locked_balance": "0", "reserved_balance_anchor_chan": "20000",
        },
        "lnd_channelbalance.json": {
            "balance": str(LIGHTNING_LOCAL),
            "local_balance": {"sat": str(LIGHTNING_LOCAL), "msat": str(LIGHTNING_LOCAL * 1000)},
            "remote_balance": {"sat": "246530", "msat": "246530000"},
            "unsettled_local_balance": {"sat": "0", "msat": "0"}, "unsettled_remote_balance": {"sat": "0", "msat": "0"},
            "pending_open_local_balance": {"sat": "100000", "msat": "100000000"},
        },
        "lnd_listchannels.json": {"channels": [_channel(i, spec) for i, spec in enumerate(CHANNELS)]},
        "lnd_pendingchannels.json": {
            "total_limbo_balance": "120000",
            "pending_open_channels": [{"channel": _pending(0, "100000", "200000"), "commit_fee": "2810"}],
            "waiting_close_channels": [{"channel": _pending(1, "50000", "80000"), "limbo_balance": "50000"}],
            "pending_force_closing_channels": [
                {"channel": _pending(2, "70000", "100000"), "closing_txid": _txid("fc"), "limbo_balance": "70000"}
            ],
        },
    }
    files = {name: json.dumps(value, indent=1) for name, value in lnd.items()}
    utxos = [("cold 1", 0, "1.50000000"), ("cold 2", 3, "0.25000000"), ("cold 3", 1, "0.12345678")]
    unspents = ", ".join(
        '{"txid": "%s", "vout": %d, "scriptPubKey": "0020%s", "amount": %s, "height": %d}'
        % (_txid(label), vout, _txid("script " + label), amount, HEIGHT - 10)
        for label, vout, amount in utxos
    )
    files["bitcoind_scantxoutset.json"] = (
        '{"success": true, "txouts": 1000, "height": %d, "bestblock": "%s", "unspents": [%s], "total_amount": 1.87345678}'
        % (HEIGHT, BLOCK, unspents)
    )
    files["bitcoind_getblockheader.json"] = '{"hash": "%s", "height": %d, "confirmations": 1}' % (BLOCK, HEIGHT)
    return files


def write_snapshot(directory: Path, files: dict[str, str] | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in (files if files is not None else snapshot_files()).items():
        (directory / name).write_text(text)
    return directory


# The ledger: what the bank books. Amounts in sats / cents.
USERS_BTC = {"wallet-alice-btc": 120_000_000, "wallet-bob-btc": 40_000_000, "wallet-carol-btc": 5_432_100}
USERS_USD = {"wallet-alice-usd": 1_250_00, "wallet-dave-usd": 99_99}
LEDGER_LIGHTNING = 10_250_000
LEDGER_ESCROW = 15_990
LEDGER_ONCHAIN = 500_000
LEDGER_COLD = 187_345_678
BANKOWNER = 1_000_000
CAPITAL = 10_000


def ledger_entries() -> list[JournalEntry]:
    """Deposits land in the reserves; the bank owner's wallet and its capital are equity."""
    reserves_btc = LEDGER_LIGHTNING + LEDGER_ESCROW + LEDGER_ONCHAIN + LEDGER_COLD
    users_btc = sum(USERS_BTC.values())
    entries = [
        JournalEntry(
            (
                debit("Assets:Reserve:Lightning", "BTC", LEDGER_LIGHTNING),
                debit("Assets:Reserve:Escrow", "BTC", LEDGER_ESCROW),
                debit("Assets:OnChain", "BTC", LEDGER_ONCHAIN),
                debit("Assets:Reserve:Bitcoind", "BTC", LEDGER_COLD),
                *(credit(f"Liabilities:{w}", "BTC", a) for w, a in USERS_BTC.items()),
                credit("Liabilities:bankowner", "BTC", BANKOWNER),
                credit("Equity:capital", "BTC", reserves_btc - users_btc - BANKOWNER),
            ),
            "opening balances",
        ),
    ]
    for wallet, cents in USERS_USD.items():
        entries.append(transfer("Liabilities:dealer:USD", f"Liabilities:{wallet}", "USD", cents, "usd deposit"))
    return entries


LEDGER_BTC_LIABILITIES = sum(USERS_BTC.values())  # 165_432_100
LEDGER_USD_LIABILITIES = sum(USERS_USD.values())  # 134_999


def make_ledger(path: Path) -> Path:
    with open_store(str(path)) as store:
        store.post_batch(ledger_entries())
    return path


# The publication: signed pos-mst/1 commitments laid out as `solvency tree build --out` and
# docs/SPEC.md section 11.1 lay them out.
def commitment(private_key, epoch: str, as_of: str, sums: tuple[int, int], entry_count: int | None = None) -> dict:
    from solvency.keys import sign_artifact
    from verifier.signature import key_id

    doc = {
        "format": "pos-mst/1", "type": "commitment", "epoch": epoch, "as_of": as_of, "assets": ["BTC", "USD"],
        "height": 4, "leaf_count": 16,
        "root": {"hash": hashlib.sha256(b"root " + epoch.encode()).hexdigest(), "sums": [str(s) for s in sums]},
        "balance_definition": None,
        "ledger_digest": None if entry_count is None else {"entry_count": entry_count, "head_hash": "ab" * 32},
        "signer_key_id": key_id(private_key.public_key()),
    }
    return sign_artifact(doc, private_key)


def write_artifact(path: Path, doc: dict) -> Path:
    from verifier import canonical

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(canonical.dump_file_bytes(doc))
    return path


# Scraping.


@dataclass
class Scrape:
    """One parsed scrape: sample name -> {labels: value}, and family name -> type."""

    samples: dict[str, dict[frozenset, float]]
    types: dict[str, str]

    def value(self, name: str, **labels: str) -> float:
        return self.samples[name][frozenset(labels.items())]

    def has(self, name: str, **labels: str) -> bool:
        return frozenset(labels.items()) in self.samples.get(name, {})

    def labelled(self, name: str, label: str) -> set[str]:
        return {dict(key)[label] for key in self.samples.get(name, {})}


def parse(text: str) -> Scrape:
    samples: dict[str, dict[frozenset, float]] = {}
    types: dict[str, str] = {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for sample in family.samples:
            key = frozenset(sample.labels.items())
            assert key not in samples.setdefault(sample.name, {}), f"duplicate sample {sample.name}{sample.labels}"
            samples[sample.name][key] = sample.value
    return Scrape(samples, types)


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read().decode()
