"""Parsers for bria's own output: ``bria list-utxos`` and ``bria wallet-balance`` (SPEC 8.1-8.3).

bria (GaloyMoney/bria) is the on-chain wallet Galoy's ``Assets:OnChain`` account follows since
mid-2023. Its CLI prints the gRPC responses of ``proto/api/bria.proto`` (``ListUtxosResponse``,
``GetWalletBalanceSummaryResponse``) with ``serde_json::to_string_pretty`` (``output_json`` in
``src/cli/api_client.rs``); ``build.rs`` derives ``serde::Serialize`` with ``rename_all =
"camelCase"`` on every message, so members are camelCase, ``uint64`` and ``uint32`` fields are
JSON *numbers* (serde's default, unlike lncli's strings) and unset ``optional`` fields are
``null``. Each UTXO is ``src/api/server/convert.rs`` ``From<WalletUtxo> for proto::Utxo``:
``outpoint`` as ``TXID:VOUT``, ``value`` in sats, ``address`` (null for change outputs: the
repository query in ``src/utxo/repo.rs`` returns the address of external keychains only),
``changeOutput`` and ``blockHeight`` (null until confirmed). Only unspent outputs are listed
(``bdk_spent = false``).

Invariants: amounts are exact non-negative JSON integers up to the supply (no floats, strings or
booleans), outpoints unique, the total within the supply; a UTXO confirmed above the anchor
block means bria's output was taken after the anchor and is refused; bria's ledger balances
``utxoSettled + utxoPendingIncoming`` must equal the listed UTXOs (bria's templates
``utxo_detected``/``utxo_settled``/``spend_detected`` in ``src/ledger/templates/`` move every
UTXO of the wallet's keychains through exactly these two accounts) and ``utxoSettled`` may not
exceed the confirmed ones. A change output's address, which bria does not print, comes from
``bria_change_addresses.json`` (``{"TXID:VOUT": "ADDRESS"}``), checked like every other address
by its proof of control and SPEC 8.4. Every error names the file and the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from solvency.reserves.fields import Fields, SnapshotError
from verifier.assets.artifact import WALLET_ID
from verifier.assets.btc_json import MAX_SAT

LIST_UTXOS = "bria_list_utxos.json"
WALLET_BALANCE = "bria_wallet_balance.json"
CHANGE_ADDRESSES = "bria_change_addresses.json"
FILES = (LIST_UTXOS, WALLET_BALANCE, CHANGE_ADDRESSES)  # in the order `optional_wallet` takes them
MAX_UTXOS = 100_000

_OUTPOINT = re.compile(r"([0-9a-f]{64}):(0|[1-9][0-9]{0,9})")
# GetWalletBalanceSummaryResponse, in the proto's order.
BALANCE_FIELDS = (
    "effectivePendingIncome", "effectiveSettled", "effectivePendingOutgoing", "effectiveEncumberedOutgoing",
    "utxoEncumberedIncoming", "utxoPendingIncoming", "utxoSettled", "utxoPendingOutgoing", "feesPending",
    "feesEncumbered",
)


@dataclass(frozen=True, slots=True)
class BriaUtxo:
    txid: str
    vout: int
    value: int
    address: str | None  # None for a change output (bria prints no address for it)
    change: bool
    height: int | None  # the block it was confirmed in; None while unconfirmed

    @property
    def outpoint(self) -> str:
        return f"{self.txid}:{self.vout}"


@dataclass(frozen=True, slots=True)
class BriaWallet:
    wallet_id: str
    utxos: tuple[BriaUtxo, ...]
    balance: dict[str, int]


def _utxo(u: Fields) -> BriaUtxo:
    match = _OUTPOINT.fullmatch(u.string("outpoint", pattern=_OUTPOINT, what="TXID:VOUT (64 lower-case hex, a colon, an index)"))
    assert match is not None
    vout = int(match.group(2))
    if vout >= 2**32:
        raise u.error("outpoint", f"output index {vout} does not fit 32 bits")
    u.uint32("addressIdx")
    address = None if u.raw("address") is None else u.string("address")
    height = None if u.raw("blockHeight") is None else u.uint32("blockHeight")
    return BriaUtxo(match.group(1), vout, u.int_amount("value"), address, u.boolean("changeOutput"), height)


def parse_list_utxos(data: Any, file: str = LIST_UTXOS) -> tuple[str, tuple[BriaUtxo, ...]]:
    """``bria list-utxos --wallet NAME``: the wallet id and its unspent outputs over all keychains."""
    f = Fields(data, file)
    wallet_id = f.string("walletId", pattern=WALLET_ID, what="a wallet id (1-100 characters of 0-9 A-Z a-z _ . : -)")
    if len(f.objects("keychains")) > MAX_UTXOS:
        raise f.error("keychains", f"more than {MAX_UTXOS} keychains")
    utxos: list[BriaUtxo] = []
    seen: set[str] = set()
    for keychain in f.objects("keychains"):
        keychain.string("keychainId")
        for u in keychain.objects("utxos"):
            utxo = _utxo(u)
            if utxo.outpoint in seen:
                raise u.error("outpoint", f"{utxo.outpoint} is listed twice")
            seen.add(utxo.outpoint)
            utxos.append(utxo)
            if len(utxos) > MAX_UTXOS:
                raise f.error("keychains", f"more than {MAX_UTXOS} UTXOs")
    total = sum(u.value for u in utxos)
    if total > MAX_SAT:
        raise f.error("keychains", f"the UTXOs add up to {total} sats, more than the 21 million BTC supply")
    return wallet_id, tuple(utxos)


def parse_wallet_balance(data: Any, file: str = WALLET_BALANCE) -> dict[str, int]:
    """``bria wallet-balance --wallet NAME``: the ten balances of bria's ledger, in sats."""
    f = Fields(data, file)
    return {name: f.int_amount(name) for name in BALANCE_FIELDS}


def parse_change_addresses(data: Any, file: str = CHANGE_ADDRESSES) -> dict[str, str]:
    """The operator's ``{"TXID:VOUT": "ADDRESS"}`` for bria's change outputs."""
    f = Fields(data, file)
    if len(f.data) > MAX_UTXOS:
        raise f.error(None, f"more than {MAX_UTXOS} addresses")
    addresses = {}
    for key in f.data:
        if not _OUTPOINT.fullmatch(key):
            raise f.error(key, "is not an outpoint TXID:VOUT")
        addresses[key] = f.string(key)
    return addresses


def optional_wallet(utxos_data: Any, balance_data: Any, change_data: Any, anchor_height: int, where: str) -> BriaWallet | None:
    """bria's wallet from the three files as read (None: absent), or None when the snapshot has no
    bria files; ``list-utxos`` and ``wallet-balance`` come together, the change addresses only with
    them. The one reading of bria's files, for the attestation and the metrics exporter alike."""
    if (utxos_data is None) != (balance_data is None):
        raise SnapshotError(where, None, f"{LIST_UTXOS} and {WALLET_BALANCE} come together: give both or neither")
    if change_data is not None and utxos_data is None:
        raise SnapshotError(CHANGE_ADDRESSES, None, f"bria's change addresses without {LIST_UTXOS}")
    return None if utxos_data is None else load_wallet(utxos_data, balance_data, change_data, anchor_height)


def load_wallet(utxos_data: Any, balance_data: Any, change_data: Any, anchor_height: int) -> BriaWallet:
    """bria's wallet at the anchor: the UTXOs (change addresses filled in) checked against its balances."""
    wallet_id, utxos = parse_list_utxos(utxos_data)
    balance = parse_wallet_balance(balance_data)
    change = {} if change_data is None else parse_change_addresses(change_data)
    filled = []
    for u in utxos:
        if u.height is not None and u.height > anchor_height:
            raise SnapshotError(LIST_UTXOS, u.outpoint, f"confirmed at height {u.height}, after the anchor block {anchor_height}: "
                                "bria's output was taken after the anchor (take it at the anchor block)")
        address = u.address if u.address is not None else change.pop(u.outpoint, None)
        if address is None:
            raise SnapshotError(LIST_UTXOS, u.outpoint, f"bria prints no address for this change output; give it in {CHANGE_ADDRESSES}")
        filled.append(BriaUtxo(u.txid, u.vout, u.value, address, u.change, u.height))
    if change:
        raise SnapshotError(CHANGE_ADDRESSES, sorted(change)[0], f"is not one of the UTXOs of {LIST_UTXOS}")
    _check_balance(filled, balance)
    return BriaWallet(wallet_id, tuple(filled), balance)


def _check_balance(utxos: list[BriaUtxo], balance: dict[str, int]) -> None:
    listed = sum(u.value for u in utxos)
    confirmed = sum(u.value for u in utxos if u.height is not None)
    settled, pending = balance["utxoSettled"], balance["utxoPendingIncoming"]
    if settled + pending != listed:
        raise SnapshotError(f"{WALLET_BALANCE} / {LIST_UTXOS}", "utxoSettled + utxoPendingIncoming",
                            f"{settled} + {pending} = {settled + pending} sats but the listed UTXOs add up to {listed} sats")
    if settled > confirmed:
        raise SnapshotError(f"{WALLET_BALANCE} / {LIST_UTXOS}", "utxoSettled",
                            f"{settled} sats settled but only {confirmed} sats of the listed UTXOs are confirmed")
