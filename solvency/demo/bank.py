"""A Galoy-style bank's day, generated deterministically from a seed and posted to a ledger.

The account layout is the one of ``ledger/definitions/galoy.toml`` (docs/LEDGER.md, "Galoy
accounts"). Every user has a BTC wallet and a USD wallet (``Liabilities:<walletId>``, wallet ids
are UUIDs drawn from the seeded RNG). The day, in reporting time from 00:00 to 24:00 UTC of
``DAY``, contains: the bank's opening position (capital in cold storage, hot wallet, channels,
funder and dealer wallets), on-chain and lightning deposits, internal payments, lightning and
on-chain withdrawals with network fees and bank fees, routing fee revenue, channel opens and
closes through the escrow account, cold-storage rebalancing, BTC<->USD conversions through the
dealer, user rewards from the funder, failed payments reversed, client retries answered by
idempotency keys, and a few entries booked late with a reporting time in the past.

Invariant kept by the generator: no user wallet ever goes below zero (it tracks balances and only
spends what is there), so customer liabilities are a sum of non-negative balances.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

from ledger.chain import PostedEntry
from ledger.clock import parse_time
from ledger.entries import JournalEntry, MetadataValue, Posting, transfer
from ledger.store import Store

DAY = "2026-11-20"
DAY_START = parse_time(f"{DAY}T00:00:00Z")
DAY_US = 86_400 * 1_000_000
BTC_PRICE_CENTS = 9_500_000  # USD cents per BTC, for conversions

LIGHTNING = "Assets:Reserve:Lightning"
ONCHAIN = "Assets:OnChain"
COLD = "Assets:Reserve:Bitcoind"
ESCROW = "Assets:Reserve:Escrow"
CAPITAL = "Equity:Capital"
BANKOWNER = "Liabilities:bankowner"
FUNDER = "Liabilities:funder"
DEALER_BTC = "Liabilities:dealer:BTC"
DEALER_USD = "Liabilities:dealer:USD"
DEALER_HEDGE = "Assets:Dealer:Hedge"
ROUTING_FEES = "Revenue:Fees:Routing"
SERVICE_FEES = "Revenue:Fees:Service"
ONCHAIN_FEES = "Expenses:Fees:Onchain"
REWARDS = "Expenses:Rewards"


def _d(account: str, currency: str, amount: int) -> Posting:
    return Posting(account, currency, "debit", amount)


def _c(account: str, currency: str, amount: int) -> Posting:
    return Posting(account, currency, "credit", amount)


@dataclass
class DayReport:
    """What the generator did, for the demo's printout and for tests."""

    users: int
    entries_posted: int = 0
    replays: int = 0
    reversals: int = 0
    backdated: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


class BankDay:
    """Builds the day's entries; `run` posts them in batches to a store."""

    def __init__(self, users: int, seed: int) -> None:
        if users < 2:
            raise ValueError("the demo needs at least 2 users")
        self.rng = random.Random(seed)
        self.users = users
        self.btc_wallets = [f"Liabilities:{uuid.UUID(int=self.rng.getrandbits(128), version=4)}" for _ in range(users)]
        self.usd_wallets = [f"Liabilities:{uuid.UUID(int=self.rng.getrandbits(128), version=4)}" for _ in range(users)]
        self.balance: dict[str, int] = {w: 0 for w in self.btc_wallets + self.usd_wallets}
        self.report = DayReport(users)
        self.clock = DAY_START
        self.pending_channels: list[int] = []

    # Helpers.

    def _tick(self) -> int:
        self.clock += self.rng.randrange(1, max(2, DAY_US // (self.users * 25)))
        return min(self.clock, DAY_START + DAY_US - 1)

    def _entry(self, kind: str, postings: tuple[Posting, ...], memo: str, key: str | None = None, **meta: MetadataValue) -> JournalEntry:
        self.report.by_kind[kind] = self.report.by_kind.get(kind, 0) + 1
        metadata = tuple(sorted({"type": kind, **meta}.items()))
        return JournalEntry(postings, memo, metadata, self._tick(), key)

    def _user_pair(self) -> tuple[int, int]:
        a = self.rng.randrange(self.users)
        b = self.rng.randrange(self.users - 1)
        return a, b if b < a else b + 1

    def _hash(self) -> str:
        return f"{self.rng.getrandbits(256):064x}"

    # The bank's opening position.

    def opening(self) -> list[JournalEntry]:
        n = self.users
        capital = 50 * 10**8 + n * 2_000_000
        return [
            JournalEntry((_d(COLD, "BTC", capital), _c(CAPITAL, "BTC", capital)), "paid-in capital", (("type", "capital"),), DAY_START - 86_400_000_000),
            transfer(ONCHAIN, COLD, "BTC", capital // 5, "cold -> hot for channel liquidity", reporting_at=DAY_START - 80_000_000_000),
            JournalEntry(
                (_d(LIGHTNING, "BTC", capital // 10), _d(ONCHAIN_FEES, "BTC", 4_200), _c(ONCHAIN, "BTC", capital // 10 + 4_200)),
                "open initial channels",
                (("type", "channel_open"),),
                DAY_START - 79_000_000_000,
            ),
            transfer(CAPITAL, BANKOWNER, "BTC", 10**8, "bank owner wallet funded from capital", reporting_at=DAY_START - 78_000_000_000),
            transfer(BANKOWNER, FUNDER, "BTC", 5 * 10**6, "funder wallet for user rewards", reporting_at=DAY_START - 77_000_000_000),
            JournalEntry(
                (_d(DEALER_HEDGE, "USD", 10**8), _c(DEALER_USD, "USD", 10**8)),
                "dealer USD float backed by its hedge",
                (("type", "dealer_float"),),
                DAY_START - 76_000_000_000,
            ),
        ]

    # Events.

    def deposit(self) -> JournalEntry:
        i = self.rng.randrange(self.users)
        wallet = self.btc_wallets[i]
        onchain = self.rng.random() < 0.3
        amount = self.rng.randrange(20_000, 5_000_000) if onchain else self.rng.randrange(1_000, 500_000)
        self.balance[wallet] += amount
        if onchain:
            return self._entry("onchain_receipt", (_d(ONCHAIN, "BTC", amount), _c(wallet, "BTC", amount)), "on-chain deposit",
                               f"onchain:{self._hash()}:0")
        return self._entry("invoice", (_d(LIGHTNING, "BTC", amount), _c(wallet, "BTC", amount)), "lightning deposit",
                           f"ln:{self._hash()}")

    def internal_payment(self) -> JournalEntry | None:
        a, b = self._user_pair()
        usd = self.rng.random() < 0.3
        src, dst = (self.usd_wallets[a], self.usd_wallets[b]) if usd else (self.btc_wallets[a], self.btc_wallets[b])
        if self.balance[src] < 2:
            return None
        amount = self.rng.randrange(1, max(2, self.balance[src] // 3))
        self.balance[src] -= amount
        self.balance[dst] += amount
        currency = "USD" if usd else "BTC"
        return self._entry("intraledger", (_d(src, currency, amount), _c(dst, currency, amount)), "payment to another user", f"intra:{self._hash()}")

    def lightning_payment(self) -> JournalEntry | None:
        wallet = self.btc_wallets[self.rng.randrange(self.users)]
        if self.balance[wallet] < 2_000:
            return None
        amount = self.rng.randrange(500, self.balance[wallet] // 2)
        fee_charged = max(1, amount // 200)
        fee_paid = self.rng.randrange(0, fee_charged + 1)
        self.balance[wallet] -= amount + fee_charged
        postings = [_d(wallet, "BTC", amount + fee_charged), _c(LIGHTNING, "BTC", amount + fee_paid)]
        if fee_charged > fee_paid:
            postings.append(_c(ROUTING_FEES, "BTC", fee_charged - fee_paid))
        return self._entry("payment", tuple(postings), "lightning payment", f"ln:{self._hash()}", pending=False)

    def onchain_withdrawal(self) -> JournalEntry | None:
        wallet = self.btc_wallets[self.rng.randrange(self.users)]
        bank_fee, miner_fee = 2_000, self.rng.randrange(500, 3_000)
        if self.balance[wallet] < 50_000:
            return None
        amount = self.rng.randrange(10_000, self.balance[wallet] - bank_fee)
        self.balance[wallet] -= amount + bank_fee
        return self._entry(
            "onchain_payment",
            (_d(wallet, "BTC", amount + bank_fee), _d(ONCHAIN_FEES, "BTC", miner_fee), _c(ONCHAIN, "BTC", amount + miner_fee), _c(SERVICE_FEES, "BTC", bank_fee)),
            "on-chain withdrawal",
            f"onchain-out:{self._hash()}",
        )

    def conversion(self) -> JournalEntry | None:
        i = self.rng.randrange(self.users)
        btc, usd = self.btc_wallets[i], self.usd_wallets[i]
        if self.rng.random() < 0.6:
            if self.balance[btc] < 10_000:
                return None
            sats = self.rng.randrange(5_000, self.balance[btc] // 2 + 5_001)
            sats = min(sats, self.balance[btc])
            cents = sats * BTC_PRICE_CENTS * 995 // (10**8 * 1000)  # 0.5% spread to the dealer
            if cents < 1:
                return None
            self.balance[btc] -= sats
            self.balance[usd] += cents
            postings = (_d(btc, "BTC", sats), _c(DEALER_BTC, "BTC", sats), _d(DEALER_USD, "USD", cents), _c(usd, "USD", cents))
            return self._entry("conversion", postings, "BTC -> USD via dealer", f"conv:{self._hash()}")
        if self.balance[usd] < 100:
            return None
        cents = self.rng.randrange(50, self.balance[usd] + 1)
        sats = cents * 10**8 * 995 // (BTC_PRICE_CENTS * 1000)
        if sats < 1:
            return None
        self.balance[usd] -= cents
        self.balance[btc] += sats
        postings = (_d(usd, "USD", cents), _c(DEALER_USD, "USD", cents), _d(DEALER_BTC, "BTC", sats), _c(btc, "BTC", sats))
        return self._entry("conversion", postings, "USD -> BTC via dealer", f"conv:{self._hash()}")

    def routing_fees(self) -> JournalEntry:
        amount = self.rng.randrange(1, 2_000)
        return self._entry("routing_revenue", (_d(LIGHTNING, "BTC", amount), _c(ROUTING_FEES, "BTC", amount)), "forwarding fees earned")

    def reward(self) -> JournalEntry:
        wallet = self.btc_wallets[self.rng.randrange(self.users)]
        amount = self.rng.randrange(100, 1_000)
        self.balance[wallet] += amount
        return self._entry("reward", (_d(FUNDER, "BTC", amount), _c(wallet, "BTC", amount)), "quiz reward from the funder")

    def channel_open(self) -> JournalEntry:
        amount = self.rng.randrange(2_000_000, 20_000_000)
        fee = self.rng.randrange(1_000, 5_000)
        self.pending_channels.append(amount)
        return self._entry("channel_open", (_d(ESCROW, "BTC", amount), _d(ONCHAIN_FEES, "BTC", fee), _c(ONCHAIN, "BTC", amount + fee)), "channel funding broadcast")

    def channel_confirmed(self) -> JournalEntry | None:
        if not self.pending_channels:
            return None
        amount = self.pending_channels.pop(0)
        return self._entry("channel_confirmed", (_d(LIGHTNING, "BTC", amount), _c(ESCROW, "BTC", amount)), "channel funding confirmed")

    def channel_close(self) -> list[JournalEntry]:
        local = self.rng.randrange(500_000, 5_000_000)
        fee = self.rng.randrange(1_000, 5_000)
        closing = self._entry("channel_close", (_d(ESCROW, "BTC", local - fee), _d(ONCHAIN_FEES, "BTC", fee), _c(LIGHTNING, "BTC", local)), "cooperative channel close")
        settled = self._entry("channel_close_settled", (_d(ONCHAIN, "BTC", local - fee), _c(ESCROW, "BTC", local - fee)), "close output swept to the hot wallet")
        return [closing, settled]

    def rebalance_cold(self) -> JournalEntry:
        amount = self.rng.randrange(10**7, 10**8)
        fee = self.rng.randrange(2_000, 8_000)
        if self.rng.random() < 0.5:
            return self._entry("cold_deposit", (_d(COLD, "BTC", amount), _d(ONCHAIN_FEES, "BTC", fee), _c(ONCHAIN, "BTC", amount + fee)), "hot -> cold storage")
        return self._entry("cold_withdrawal", (_d(ONCHAIN, "BTC", amount), _d(ONCHAIN_FEES, "BTC", fee), _c(COLD, "BTC", amount + fee)), "cold storage -> hot")

    # Running the day.

    def events(self) -> list[JournalEntry]:
        out: list[JournalEntry] = []
        steps = self.users * 20
        entry: JournalEntry | None
        for step in range(steps):
            roll = self.rng.random()
            if step < self.users * 2 or roll < 0.25:
                entry = self.deposit()
            elif roll < 0.50:
                entry = self.internal_payment()
            elif roll < 0.65:
                entry = self.lightning_payment()
            elif roll < 0.70:
                entry = self.onchain_withdrawal()
            elif roll < 0.82:
                entry = self.conversion()
            elif roll < 0.92:
                entry = self.routing_fees()
            elif roll < 0.97:
                entry = self.reward()
            elif roll < 0.98:
                entry = self.channel_open()
            elif roll < 0.99:
                entry = self.channel_confirmed()
            elif roll < 0.995:
                out.extend(self.channel_close())
                entry = None
            else:
                entry = self.rebalance_cold()
            if entry is not None:
                out.append(entry)
        return out

    def run(self, store: Store, batch_size: int = 5_000) -> DayReport:
        report = self.report
        posted = store.post_batch(self.opening())
        report.entries_posted += len(posted)
        day = self.events()
        # A few entries are booked late: their accounting time is the previous day.
        late = self.rng.sample(range(len(day)), k=max(1, len(day) // 200))
        for index in late:
            entry = day[index]
            booked = entry.reporting_at if entry.reporting_at is not None else self.clock
            day[index] = JournalEntry(entry.postings, entry.memo + " (booked late)", entry.metadata, booked - DAY_US, entry.idempotency_key)
        report.backdated = len(late)
        payments: list[PostedEntry] = []
        for start in range(0, len(day), batch_size):
            batch = day[start:start + batch_size]
            results = store.post_batch(batch)
            report.entries_posted += len(results)
            payments.extend(p for p in results if dict(p.entry.metadata).get("type") == "payment")
            # Clients retry: re-posting with the same idempotency keys returns the originals.
            retries = [e for e in self.rng.sample(batch, k=min(len(batch), 20)) if e.idempotency_key is not None]
            if retries:
                again = store.post_batch(retries)
                report.replays += len(again)
        # Some lightning payments failed after all: Galoy reverses them and refunds the user.
        for failed in self.rng.sample(payments, k=min(len(payments), max(1, len(payments) // 100))):
            store.reverse(failed.entry_id, memo="payment failed, refunded", idempotency_key=f"revert:{failed.entry_id}")
            report.reversals += 1
            report.entries_posted += 1
        return report


def post_bank_day(store: Store, users: int = 1000, seed: int = 2026) -> DayReport:
    """Post a whole day of a Galoy-style bank with `users` users to `store`."""
    return BankDay(users, seed).run(store)
