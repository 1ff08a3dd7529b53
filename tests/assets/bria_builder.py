"""bria's output for the test snapshots, written the way bria's CLI prints it (our own data).

``bria list-utxos`` and ``bria wallet-balance`` print their gRPC responses (GaloyMoney/bria
``proto/api/bria.proto``) with ``serde_json::to_string_pretty`` and camelCase members: amounts
and heights are JSON numbers, unset optional fields ``null``, and change outputs carry no address
(docs/SPEC.md 8.2). The wallet here: two receive outputs (one confirmed, one still unconfirmed)
and one confirmed change output, whose address the operator gives in
``bria_change_addresses.json``. Keys derive from fixed labels; proofs of control are BIP-322
simple signatures of the P2WPKH addresses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import assets_builder as b

from solvency.demo.wallets import p2wpkh
from verifier.assets.address import script_address

RECEIVE = [b.key("bria receive 0"), b.key("bria receive 1")]
CHANGE = b.key("bria change 0")
WALLET_ID = "6d0b4f5e-3c1a-4c59-9c2e-0f1b2a3c4d5e"
KEYCHAIN_ID = "0c6f1b9e-7a5d-4e8b-a1c2-d3e4f5a6b7c8"
CONFIRMED_RECEIVE, UNCONFIRMED_RECEIVE, CONFIRMED_CHANGE = 400_000, 25_000, 60_000


def address(priv) -> str:
    return script_address(p2wpkh(priv.public_key.format()), b.NETWORK)


def outpoint(label: str, vout: int) -> str:
    return f"{b.txid(label)}:{vout}"


def list_utxos() -> dict[str, Any]:
    """``bria list-utxos --wallet hot``: the change output (internal keychain) has no address."""
    return {"walletId": WALLET_ID, "keychains": [{"keychainId": KEYCHAIN_ID, "utxos": [
        {"outpoint": outpoint("bria change", 1), "addressIdx": 0, "value": CONFIRMED_CHANGE, "address": None,
         "changeOutput": True, "blockHeight": b.ANCHOR_HEIGHT - 3},
        {"outpoint": outpoint("bria deposit 2", 0), "addressIdx": 1, "value": UNCONFIRMED_RECEIVE, "address": address(RECEIVE[1]),
         "changeOutput": False, "blockHeight": None},
        {"outpoint": outpoint("bria deposit 1", 4), "addressIdx": 0, "value": CONFIRMED_RECEIVE, "address": address(RECEIVE[0]),
         "changeOutput": False, "blockHeight": b.ANCHOR_HEIGHT - 50},
    ]}]}


def wallet_balance() -> dict[str, Any]:
    """``bria wallet-balance --wallet hot``: settled = the confirmed outputs, pending = the unconfirmed one."""
    settled = CONFIRMED_RECEIVE + CONFIRMED_CHANGE
    return {"effectivePendingIncome": UNCONFIRMED_RECEIVE, "effectiveSettled": settled, "effectivePendingOutgoing": 0,
            "effectiveEncumberedOutgoing": 0, "utxoEncumberedIncoming": 0, "utxoPendingIncoming": UNCONFIRMED_RECEIVE,
            "utxoSettled": settled, "utxoPendingOutgoing": 0, "feesPending": 0, "feesEncumbered": 0}


def change_addresses() -> dict[str, str]:
    return {outpoint("bria change", 1): address(CHANGE)}


def add_bria(snapshot: b.Snapshot) -> b.Snapshot:
    """`snapshot` with bria's three files (as bria prints them: pretty JSON)."""
    snapshot.files["bria_list_utxos.json"] = json.dumps(list_utxos(), indent=2)
    snapshot.files["bria_wallet_balance.json"] = json.dumps(wallet_balance(), indent=2)
    snapshot.files["bria_change_addresses.json"] = change_addresses()
    return snapshot


def proofs(challenge: str, keys=(*RECEIVE, CHANGE)) -> list[dict[str, str]]:
    return [{"address": address(k), "format": "bip322-simple",
             "signature": b.bip322_sign(p2wpkh(k.public_key.format()), challenge, [k])} for k in keys]


def all_proofs(challenge: str) -> dict[str, Any]:
    """proofs.json for the cold and lnd addresses of `assets_builder` and bria's."""
    return {"proofs": b.proofs_for(challenge)["proofs"] + proofs(challenge)}


def write(snapshot: b.Snapshot, directory: Path, **kwargs: Any) -> Path:
    """Write `snapshot` (with bria's files) and a proofs.json covering bria's addresses."""
    return snapshot.write(directory, proofs=all_proofs(snapshot.challenge), **kwargs)
