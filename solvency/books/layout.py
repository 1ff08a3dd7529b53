"""Which named balance definitions make up which part of the books.

The default is the Galoy layout of the packaged definitions file: four BTC reserve accounts
(lightning, on-chain hot wallet, cold storage, channel escrow), user wallets and the dealer's
wallets as liabilities, and the bank owner's wallet with the equity accounts as equity. A line
whose definition is missing from the file is left out (and reported as such); accounts that no
line claims fall into an "other" line of their account type, so nothing is ever dropped.

`node_categories` maps each reserve definition to the snapshot categories of SPEC 8.3 that
hold the same money, for the reconciliation. Which wallet a ledger account follows changed in
Galoy's history, so the mapping is configuration, with two presets that follow Galoy's code
(GaloyMoney/blink ``core/api/src/services/ledger/domain/accounts.ts``, ``admin.ts``):

* ``galoy-lnd`` (the default; Galoy before bria): ``Assets:OnChain`` (``onchain-hot``) is lnd's
  on-chain wallet, ``onchain_confirmed``;
* ``galoy-bria`` (Galoy since mid-2023): ``Assets:OnChain`` is bria's wallet,
  ``bria_confirmed``; lnd's on-chain wallet is booked in ``Assets:Reserve:Lightning``
  (``lndLedgerAccountId``: Galoy's cold-storage transfers and swap-out fees credit and debit it),
  so ``onchain_confirmed`` joins the lightning reserve line.

A layout file (`load_layout`) is TOML: ``format = "pos-books-layout/1"``, an optional ``preset`` it
starts from (default ``galoy-lnd``), and any of ``asset_lines``, ``liability_lines``,
``equity_lines`` (lists of definition names) and a ``[node_categories]`` table (reserve line ->
list of counted categories). Invariants, checked for presets and files alike: every mapped line
is an asset line, every category is a counted one of SPEC 8.3 and is mapped at most once (one
wallet's money is never compared twice).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from verifier.assets.rules import COUNTED

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
    name: str = "galoy-lnd"

    def sections(self) -> tuple[tuple[str, tuple[str, ...], frozenset[str]], ...]:
        """(section, definition names, account types a line of that section may claim)."""
        return (
            ("assets", self.asset_lines, ASSET_TYPES),
            ("liabilities", self.liability_lines, LIABILITY_TYPES),
            ("equity", self.equity_lines, EQUITY_TYPES),
        )


    def check(self, source: str) -> BooksLayout:
        """The layout itself, if it holds the module's invariants; else `LayoutError` naming `source`."""
        seen: dict[str, str] = {}
        for line, categories in self.node_categories:
            if line not in self.asset_lines:
                raise LayoutError(f"{source}: node_categories.{line}: not one of the asset lines {list(self.asset_lines)}")
            for c in categories:
                if c not in COUNTED:
                    raise LayoutError(f"{source}: node_categories.{line}: {c!r} is not a counted category ({', '.join(sorted(COUNTED))})")
                if c in seen:
                    raise LayoutError(f"{source}: node_categories.{line}: {c!r} is already mapped to {seen[c]}")
                seen[c] = line
        for field, lines in (("asset_lines", self.asset_lines), ("liability_lines", self.liability_lines),
                             ("equity_lines", self.equity_lines)):
            if len(set(lines)) != len(lines):
                raise LayoutError(f"{source}: {field}: a definition is named twice")
        return self


class LayoutError(ValueError):
    """A layout preset name or file that cannot be used; the message is one line naming it."""


LAYOUT_FORMAT = "pos-books-layout/1"
GALOY_LND = BooksLayout().check("galoy-lnd")
GALOY_BRIA = BooksLayout(
    node_categories=(
        ("lightning-reserve", ("channel_local", "pending_open_local", "waiting_close", "force_close_limbo", "onchain_confirmed")),
        ("channel-escrow", ("channel_escrow",)),
        ("onchain-hot", ("bria_confirmed",)),
        ("cold-storage", ("cold_storage",)),
    ),
    name="galoy-bria",
).check("galoy-bria")
GALOY = GALOY_LND
PRESETS: dict[str, BooksLayout] = {"galoy-lnd": GALOY_LND, "galoy-bria": GALOY_BRIA}
_KEYS = frozenset({"format", "preset", "asset_lines", "liability_lines", "equity_lines", "node_categories"})


def _names(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(n, str) and n for n in raw):
        raise LayoutError(f"{where}: expected a list of definition names")
    return tuple(raw)


def layout_from_dict(raw: dict[str, Any], source: str) -> BooksLayout:
    """A layout from a parsed layout file (see the module docstring)."""
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise LayoutError(f"{source}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(_KEYS))})")
    if raw.get("format") != LAYOUT_FORMAT:
        raise LayoutError(f"{source}: format: expected {LAYOUT_FORMAT!r}, got {raw.get('format')!r}")
    preset = raw.get("preset", "galoy-lnd")
    if not isinstance(preset, str) or preset not in PRESETS:
        raise LayoutError(f"{source}: preset: {preset!r} is not one of {', '.join(PRESETS)}")
    changes: dict[str, Any] = {k: _names(raw[k], f"{source}: {k}") for k in ("asset_lines", "liability_lines", "equity_lines") if k in raw}
    if "node_categories" in raw:
        table = raw["node_categories"]
        if not isinstance(table, dict):
            raise LayoutError(f"{source}: node_categories: expected a table of reserve line = [categories]")
        changes["node_categories"] = tuple((line, _names(cats, f"{source}: node_categories.{line}")) for line, cats in table.items())
    return replace(PRESETS[preset], name=source, **changes).check(source)


def load_layout(spec: str | Path | None) -> BooksLayout:
    """A preset by name (None: the default, ``galoy-lnd``) or a layout file (TOML)."""
    if spec is None:
        return GALOY
    if str(spec) in PRESETS:
        return PRESETS[str(spec)]
    path = Path(spec)
    if not path.is_file():
        raise LayoutError(f"{spec}: neither a layout preset ({', '.join(PRESETS)}) nor a layout file")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LayoutError(f"{path}: not a readable TOML layout file ({exc})") from None
    except (ValueError, RecursionError) as exc:  # the parser's own limits: a 5,000-digit integer, deep nesting
        raise LayoutError(f"{path}: not a readable TOML layout file ({type(exc).__name__}: {str(exc)[:80]})") from None
    return layout_from_dict(raw, str(path))
