"""Category totals and the solvency statement: one definition for prover and verifier (SPEC 8.3, 8.7).

`tally` sums the categories of SPEC 8.3 (checking every channel's escrow identity on the way) and
`solvency_statement` derives the statement of SPEC 8.7 from the totals and the committed root sums.
The prover calls them to fill the attestation, the verifier calls them again and requires
equality, so the two cannot drift.

Rounding always goes against the bank: USD liabilities converted to sats round up, a margin
converted to cents rounds down (towards minus infinity). The bank declares no holdings in any
currency but BTC, so every other currency's margin is minus its liabilities; currencies are never
netted against each other except in the labelled `Combined` view at the declared price.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from verifier.assets.artifact import Attestation, Combined, Price, Statement, StatementRow, Totals
from verifier.assets.btc_json import SATS_PER_BTC, usd_cents_to_sats_up
from verifier.assets.rules import CATEGORY_NAMES, COUNTED, ChannelFigures, our_escrow

_PENDING_CATEGORY = {"pending_open": "pending_open_local", "waiting_close": "waiting_close", "force_close": "force_close_limbo"}
_UNITS = {"BTC": "sat", "USD": "cent"}


def tally(
    channels: Iterable[ChannelFigures],
    pending: Iterable[tuple[str, int]],
    wallet: tuple[int, int, int],
    cold_amounts: Iterable[int],
    bria: tuple[int, int] = (0, 0),
) -> Totals:
    """Totals per category from open channels, (kind, limbo) of pending channels, lnd's
    (confirmed, unconfirmed, locked) balance, the cold UTXOs' amounts and bria's (confirmed,
    unconfirmed) UTXO sums; checks every escrow."""
    sums = dict.fromkeys(CATEGORY_NAMES, 0)
    for ch in channels:
        sums["channel_local"] += ch.local
        sums["channel_unsettled"] += ch.unsettled
        sums["channel_escrow"] += our_escrow(ch)
    for kind, limbo in pending:
        sums[_PENDING_CATEGORY[kind]] += limbo
    sums["onchain_confirmed"], sums["onchain_unconfirmed"], sums["onchain_locked"] = wallet
    sums["cold_storage"] = sum(cold_amounts)
    sums["bria_confirmed"], sums["bria_unconfirmed"] = bria
    return Totals(**sums)


def attestation_totals(attestation: Attestation) -> Totals:
    """The totals an attestation's lists imply."""
    onchain = attestation.onchain
    return tally(
        attestation.channels,
        ((p.kind, p.limbo) for p in attestation.pending_channels),
        (onchain.confirmed, onchain.unconfirmed, onchain.locked),
        (u.amount for u in attestation.cold_utxos),
        (0, 0) if attestation.bria is None else (attestation.bria.amounts(True), attestation.bria.amounts(False)),
    )


def counted_holdings(totals: Totals) -> int:
    """The BTC holdings of the statement: the sum of the counted categories, in sats."""
    return sum(getattr(totals, name) for name in CATEGORY_NAMES if name in COUNTED)


def solvency_statement(totals: Totals, currencies: Sequence[str], root_sums: Sequence[int], price: Price | None) -> Statement:
    """The statement of SPEC 8.7 for the committed `currencies` and their `root_sums`."""
    held_btc = counted_holdings(totals)
    owed = dict(zip(currencies, root_sums, strict=True))
    rows = []
    for c in currencies:
        held = held_btc if c == "BTC" else 0
        rows.append(StatementRow(c, _UNITS.get(c, "minor unit"), held, owed[c], held - owed[c]))
    if "BTC" not in owed:
        rows.append(StatementRow("BTC", "sat", held_btc, 0, held_btc))
    combined = None
    if price is not None and not [c for c in owed if c not in ("BTC", "USD") and owed[c] != 0]:
        usd_in_sat = usd_cents_to_sats_up(owed.get("USD", 0), price.usd_cents_per_btc)
        margin_sat = held_btc - owed.get("BTC", 0) - usd_in_sat
        combined = Combined(usd_in_sat, margin_sat, (margin_sat * price.usd_cents_per_btc) // SATS_PER_BTC)
    return Statement(tuple(rows), price, combined)


def attestation_statement(attestation: Attestation, totals: Totals) -> Statement:
    """The statement an attestation's totals, commitment copy and declared price imply."""
    copy = attestation.commitment
    return solvency_statement(totals, copy.currencies, copy.root_sums, attestation.statement.price)

