"""Which named balance definitions make up which part of the books.

The default is the Galoy layout of the packaged definitions file: four BTC reserve accounts
(lightning, on-chain hot wallet, cold storage, channel escrow), user wallets and the dealer's
wallets as liabilities, and the bank owner's wallet with the equity accounts as equity. A line
whose definition is missing from the file is left out (and reported as such); accounts that no
line claims fall into an "other" line of their account type, so nothing is ever dropped.

`node_categories` maps each reserve definition to the snapshot categories of SPEC 8.3 that
hold the same money, for the reconciliation.
"""

from __future__ import annotations

from dataclasses import dataclass

ASSET_TYPES = frozenset({"Assets"})
LIABILITY_TYPES = frozenset({"Liabilities"})
EQUITY_TYPES = frozenset({"Liabilities", "Equity", "Revenue", "Expenses"})


@dataclass(frozen=True, slots=True)
class BooksLayout:
    asset_lines: tuple[str, ...] = ("lightning-reserve", "onchain-hot", "cold-storage", "channel-escrow")
    liability_lines: tuple[str, ...] = ("customer-liabilities", "dealer-position")
    equity_lines: tuple[str, ...] = ("bankowner-equity", "funder-equity")
    node_categories: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("lightning-reserve", ("channel_local", "pending_open_local", "waiting_close", "force_close_limbo")),
        ("channel-escrow", ("channel_escrow",)),
        ("onchain-hot", ("onchain_confirmed",)),
        ("cold-storage", ("cold_storage",)),
    )

    def sections(self) -> tuple[tuple[str, tuple[str, ...], frozenset[str]], ...]:
        """(section, definition names, account types a line of that section may claim)."""
        return (
            ("assets", self.asset_lines, ASSET_TYPES),
            ("liabilities", self.liability_lines, LIABILITY_TYPES),
            ("equity", self.equity_lines, EQUITY_TYPES),
        )


GALOY = BooksLayout()
