"""Real-format lnd and bitcoind snapshots for the demo bank (docs/SPEC.md section 8.1-8.2).

`write_snapshot` writes what an operator's ``lncli`` and ``bitcoin-cli`` calls print at one anchor
block, for a node whose figures are given: the channels (local, remote and commitment fee of each;
anchor channels the bank opened, so each channel's escrow is ``commit_fee + 2 x 330``), lnd's
on-chain UTXOs and the cold-storage UTXOs of the demo's 2-of-3 vaults. lncli prints int64 fields
as decimal strings, bitcoind prints amounts as BTC decimals with eight digits: both are written
exactly so, never through a binary float.

The demo runs on regtest (its wallets' addresses are regtest addresses): its anchor block is a
regtest header, mined here in a few tries against regtest's target (bits ``207fffff``), whose time
is the moment the snapshot is taken, so each epoch's anchor is fresh (SPEC 8.8's window around
the cut-off) and at a new height. A mainnet header cannot be fabricated: the verifier's
difficulty floor would refuse it, which is the point of the floor.

`NodePlan.from_ledger` turns the ledger's asset figures into such a node, so the demo's snapshot
agrees with its books (or differs by exactly the drift the demo wants to show).

With ``bria`` (the Galoy demo: Galoy's on-chain hot wallet since mid-2023), the snapshot also
holds bria's output as ``bria list-utxos`` and ``bria wallet-balance`` print it (serde JSON,
camelCase, numbers; SPEC 8.2, `solvency.reserves.bria`): the confirmed UTXOs of the demo's bria
wallet, one of them a change output whose address goes into ``bria_change_addresses.json``, and
one unconfirmed receive (a deposit not yet booked: disclosed as ``bria_unconfirmed``, not counted).
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from solvency.demo.wallets import BRIA_RECEIVE, DemoWallets
from verifier.assets.anchor import BlockHeader, bits_target
from verifier.assets.btc_json import SATS_PER_BTC

REGTEST_BITS = "207fffff"

ANCHOR_OUTPUT_SAT = 330


def _txid(label: str) -> str:
    return hashlib.sha256(b"pos-demo tx " + label.encode()).hexdigest()


def block_hash(height: int) -> str:
    return hashlib.sha256(b"pos-demo block " + str(height).encode()).hexdigest()


def regtest_header(height: int, time: int, label: str) -> tuple[str, BlockHeader]:
    """A regtest block header at `height` with header time `time` and its hash (nonce mined here)."""
    target = bits_target(REGTEST_BITS)
    for nonce in range(2**32):
        header = BlockHeader(0x20000000, block_hash(height - 1), _txid(f"{label} merkle"), time, REGTEST_BITS, nonce)
        digest = header.block_hash()
        if int(digest, 16) <= target:
            return digest, header
    raise RuntimeError("no nonce meets the regtest target")  # about one try in two does


def _btc(sats: int) -> str:
    """Satoshis as bitcoind prints BTC amounts (eight decimals), exact."""
    if sats < 0:
        raise ValueError("negative amount")
    return f"{sats // SATS_PER_BTC}.{sats % SATS_PER_BTC:08d}"


def _split(total: int, parts: int, rng: random.Random, minimum: int = 1) -> list[int]:
    """`total` as `parts` positive integers with random weights (exactly `total`)."""
    if total < parts * minimum:
        raise ValueError(f"cannot split {total} into {parts} parts of at least {minimum}")
    weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
    spare = total - parts * minimum
    out = [minimum + int(spare * w / sum(weights)) for w in weights]
    out[-1] += total - sum(out)
    return out


@dataclass(frozen=True, slots=True)
class Channel:
    local: int
    remote: int
    commit_fee: int

    @property
    def escrow(self) -> int:
        return self.commit_fee + 2 * ANCHOR_OUTPUT_SAT

    @property
    def capacity(self) -> int:
        return self.local + self.remote + self.escrow


@dataclass(frozen=True, slots=True)
class NodePlan:
    """Everything a snapshot says, in sats."""

    label: str  # distinguishes the txids of one epoch's outputs from another's
    height: int
    time: int  # the anchor block's header time (Unix seconds): when the snapshot is taken
    channels: tuple[Channel, ...]
    lnd_utxos: tuple[int, ...]  # two amounts: lnd's P2WPKH and P2TR addresses
    cold_utxos: tuple[int, ...]  # amounts, alternating over the two vaults
    usd_cents_per_btc: int
    price_time: str
    bria_utxos: tuple[int, ...] = ()  # bria's confirmed UTXOs: receive outputs, the last one a change output
    bria_unconfirmed: int = 0  # one unconfirmed receive output (0: none)

    @property
    def channel_local(self) -> int:
        return sum(c.local for c in self.channels)

    @property
    def channel_escrow(self) -> int:
        return sum(c.escrow for c in self.channels)

    @staticmethod
    def commit_fees(rng: random.Random, count: int = 6) -> tuple[int, ...]:
        """Commitment fees of `count` anchor channels (what the fee market sets)."""
        return tuple(rng.randrange(2_000, 12_000) for _ in range(count))

    @classmethod
    def from_ledger(
        cls, *, label: str, height: int, time: int, lightning: int, commit_fees: tuple[int, ...], onchain: int, cold: int,
        rng: random.Random, usd_cents_per_btc: int, price_time: str, bria: int | None = None,
    ) -> NodePlan:
        """A node whose channel local balances add up to `lightning`, whose on-chain wallet holds
        `onchain` and whose vaults hold `cold` (sats); escrow is what `commit_fees` imply. With
        `bria`, a bria wallet whose confirmed UTXOs add up to `bria` (sats) and one unconfirmed."""
        locals_ = _split(lightning, len(commit_fees), rng, minimum=10_000)
        channels = tuple(Channel(local, rng.randrange(50_000, max(50_001, local // 2)), f) for local, f in zip(locals_, commit_fees))
        plan = cls(label, height, time, channels, tuple(_split(onchain, 2, rng, 1_000)), tuple(_split(cold, 3, rng, 10_000)),
                   usd_cents_per_btc, price_time)
        if bria is None:
            return plan
        return replace(plan, bria_utxos=tuple(_split(bria, BRIA_RECEIVE + 1, rng, 1_000)), bria_unconfirmed=rng.randrange(10_000, 50_000))


def snapshot_files(plan: NodePlan, wallets: DemoWallets) -> dict[str, str]:
    """File name -> exact text of every snapshot file (without proofs and the node signature)."""
    anchor, head = regtest_header(plan.height, plan.time, plan.label)
    channels = []
    for i, c in enumerate(plan.channels):
        point = f"{_txid(f'{plan.label} funding {i}')}:{i % 2}"
        block, tx = plan.height - 1000 - 37 * i, i + 1
        scid = (block << 40) | (tx << 16) | (i % 2)
        peer = hashlib.sha256(f"demo peer {i}".encode()).digest()
        channels.append({
            "active": True, "remote_pubkey": "02" + peer.hex(), "channel_point": point,
            "chan_id": hashlib.sha256(point.encode()).hexdigest(), "scid": str(scid), "scid_str": f"{block}x{tx}x{i % 2}",
            "capacity": str(c.capacity), "local_balance": str(c.local), "remote_balance": str(c.remote),
            "commit_fee": str(c.commit_fee), "commit_weight": "1116", "fee_per_kw": str(c.commit_fee * 1000 // 1116),
            "unsettled_balance": "0", "total_satoshis_sent": "0", "total_satoshis_received": "0", "num_updates": str(10 + i),
            "pending_htlcs": [], "csv_delay": 144, "private": False, "initiator": True,
            "chan_status_flags": "ChanStatusDefault", "local_chan_reserve_sat": str(c.capacity // 100),
            "remote_chan_reserve_sat": str(c.capacity // 100), "static_remote_key": False, "commitment_type": "ANCHORS",
            "lifetime": "86400", "uptime": "86400", "close_address": "", "push_amount_sat": "0", "thaw_height": 0,
            "alias_scids": [], "zero_conf": False, "zero_conf_confirmed_scid": "0", "peer_alias": f"peer-{i}",
            "peer_scid_alias": "0", "memo": "",
        })
    local_total = plan.channel_local
    remote_total = sum(c.remote for c in plan.channels)
    lnd_addresses = wallets.of_kind("lnd-")
    lnd_utxos = [
        {"address_type": 0 if a.kind == "lnd-p2wpkh" else 4, "address": a.address, "amount_sat": amount,
         "pk_script": a.script_pubkey.hex(), "outpoint": f"{_txid(f'{plan.label} lnd {k}')}:{k}", "confirmations": 6 + k}
        for k, (a, amount) in enumerate(zip(lnd_addresses, plan.lnd_utxos))
    ]
    confirmed = sum(plan.lnd_utxos)
    vaults = wallets.of_kind("cold-")
    unspents = []
    for k, amount in enumerate(plan.cold_utxos):
        vault = vaults[k % len(vaults)]
        unspents.append(
            '{"txid": "%s", "vout": %d, "scriptPubKey": "%s", "desc": "%s", "amount": %s, "coinbase": false, "height": %d}'
            % (_txid(f"{plan.label} cold {k}"), k, vault.script_pubkey.hex(), wallets.cold_descriptor(vault), _btc(amount), plan.height - 50 - k)
        )
    scan = ('{"success": true, "txouts": 187654321, "height": %d, "bestblock": "%s", "unspents": [%s], "total_amount": %s}'
            % (plan.height, anchor, ", ".join(unspents), _btc(sum(plan.cold_utxos))))
    header = (
        '{"hash": "%s", "confirmations": 1, "height": %d, "version": %d, "versionHex": "%08x", '
        '"merkleroot": "%s", "time": %d, "mediantime": %d, "nonce": %d, "bits": "%s", '
        '"difficulty": 4.656542373906925e-10, "chainwork": "%064x", '
        '"nTx": 3500, "previousblockhash": "%s"}'
        % (anchor, plan.height, head.version, head.version, head.merkleroot, head.time, head.time - 3000,
           head.nonce, head.bits, 2 * (plan.height + 1), head.previousblockhash)
    )
    lncli = {
        "lnd_getinfo.json": {
            "version": "0.19.1-beta commit=v0.19.1-beta", "commit_hash": "a" * 40, "identity_pubkey": wallets.node_pubkey,
            "alias": "demo-bank", "color": "#3399ff", "num_pending_channels": 0, "num_active_channels": len(channels),
            "num_inactive_channels": 0, "num_peers": len(channels), "block_height": plan.height, "block_hash": anchor,
            "best_header_timestamp": str(plan.time), "synced_to_chain": True, "synced_to_graph": True, "testnet": False,
            "chains": [{"chain": "bitcoin", "network": wallets.network}], "uris": [], "features": {},
            "require_htlc_interceptor": False, "store_final_htlc_resolutions": False,
        },
        "lnd_walletbalance.json": {
            "total_balance": str(confirmed), "confirmed_balance": str(confirmed), "unconfirmed_balance": "0",
            "locked_balance": "0", "reserved_balance_anchor_chan": str(10_000 * len(channels)),
            "account_balance": {"default": {"confirmed_balance": str(confirmed), "unconfirmed_balance": "0"}},
        },
        "lnd_channelbalance.json": {
            "balance": str(local_total), "pending_open_balance": "0",
            "local_balance": {"sat": str(local_total), "msat": str(local_total * 1000)},
            "remote_balance": {"sat": str(remote_total), "msat": str(remote_total * 1000)},
            "unsettled_local_balance": {"sat": "0", "msat": "0"}, "unsettled_remote_balance": {"sat": "0", "msat": "0"},
            "pending_open_local_balance": {"sat": "0", "msat": "0"}, "pending_open_remote_balance": {"sat": "0", "msat": "0"},
        },
        "lnd_listchannels.json": {"channels": channels},
        "lnd_pendingchannels.json": {"total_limbo_balance": "0", "pending_open_channels": [], "pending_closing_channels": [],
                                     "pending_force_closing_channels": [], "waiting_close_channels": []},
        "lnd_listunspent.json": {"utxos": lnd_utxos},
        "price.json": {"usd_cents_per_btc": plan.usd_cents_per_btc, "source": "demo: fixed price", "time": plan.price_time},
    }
    files = {name: json.dumps(value, indent=2) + "\n" for name, value in lncli.items()}
    files["bitcoind_getblockheader.json"] = header + "\n"
    files["bitcoind_scantxoutset.json"] = scan + "\n"
    if plan.bria_utxos:
        files.update({name: json.dumps(value, indent=2) + "\n" for name, value in bria_files(plan, wallets).items()})
    return files


def _uuid(label: str) -> str:
    return str(uuid.UUID(bytes=hashlib.sha256(b"pos-demo uuid " + label.encode()).digest()[:16], version=4))


def bria_files(plan: NodePlan, wallets: DemoWallets) -> dict[str, Any]:
    """bria's three files for `plan`'s bria wallet: ``list-utxos`` and ``wallet-balance`` as bria
    prints them (the change output without its address) and the operator's change addresses."""
    receive, change = wallets.of_kind("bria-receive"), wallets.of_kind("bria-change")[0]
    utxos: list[dict[str, Any]] = []
    change_addresses = {}
    for k, amount in enumerate(plan.bria_utxos):
        outpoint = f"{_txid(f'{plan.label} bria {k}')}:{k % 3}"
        is_change = k == len(plan.bria_utxos) - 1
        utxos.append({"outpoint": outpoint, "addressIdx": 0 if is_change else k, "value": amount,
                      "address": None if is_change else receive[k % len(receive)].address, "changeOutput": is_change,
                      "blockHeight": plan.height - 6 - 11 * k})
        if is_change:
            change_addresses[outpoint] = change.address
    if plan.bria_unconfirmed:
        utxos.append({"outpoint": f"{_txid(f'{plan.label} bria mempool')}:0", "addressIdx": len(receive) - 1,
                      "value": plan.bria_unconfirmed, "address": receive[-1].address, "changeOutput": False, "blockHeight": None})
    settled = sum(plan.bria_utxos)
    balance = {"effectivePendingIncome": plan.bria_unconfirmed, "effectiveSettled": settled, "effectivePendingOutgoing": 0,
               "effectiveEncumberedOutgoing": 0, "utxoEncumberedIncoming": 0, "utxoPendingIncoming": plan.bria_unconfirmed,
               "utxoSettled": settled, "utxoPendingOutgoing": 0, "feesPending": 0, "feesEncumbered": 0}
    listing = {"walletId": _uuid(f"{wallets.seed} bria wallet"),
               "keychains": [{"keychainId": _uuid(f"{wallets.seed} bria keychain"), "utxos": utxos}]}
    return {"bria_list_utxos.json": listing, "bria_wallet_balance.json": balance, "bria_change_addresses.json": change_addresses}


def write_snapshot(directory: str | Path, plan: NodePlan, wallets: DemoWallets) -> Path:
    """Write the snapshot files into `directory` (created; must not hold a snapshot already)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=False)
    for name, text in snapshot_files(plan, wallets).items():
        (d / name).write_text(text)
    return d
