"""Books layout presets (solvency/books/layout.py): which snapshot categories each reserve line of
the books is reconciled with, before bria (``galoy-lnd``, the default) and with bria
(``galoy-bria``), as presets, layout files and ``solvency report reconcile --layout``.

The books here are Galoy's after bria: ``Assets:OnChain`` holds exactly bria's settled UTXOs and
``Assets:Reserve:Lightning`` lnd's channels *and* its on-chain wallet. The snapshot is the asset
tests' own (tests/assets/assets_builder.py with bria_builder.py's bria files).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "assets"))

import assets_builder as b  # noqa: E402
import bria_builder as bb  # noqa: E402

from ledger.clock import parse_time  # noqa: E402
from ledger.definitions import load_definitions  # noqa: E402
from ledger.entries import JournalEntry, Posting  # noqa: E402
from ledger.sqlite.store import SQLiteStore  # noqa: E402
from solvency.books.holdings import snapshot_totals  # noqa: E402
from solvency.books.layout import GALOY, GALOY_BRIA, GALOY_LND, LayoutError, load_layout  # noqa: E402
from solvency.books.reconcile import reconcile  # noqa: E402
from solvency.books.sheet import balance_sheet  # noqa: E402
from solvency.cli.main import cli  # noqa: E402
from solvency.reserves.snapshot import load_snapshot  # noqa: E402

REAL = str(HERE / "galoy_real.toml")
OWNER = "Liabilities:c0ffee00-0000-4000-8000-00000000b0b1"
LND, ONCHAIN, COLD, ESCROW = "Assets:Reserve:Lightning", "Assets:OnChain", "Assets:Reserve:Bitcoind", "Assets:Reserve:Escrow"
AT = parse_time("2026-11-20T12:00:00Z")
AS_OF = "2030-01-01T00:00:00Z"  # after the entry is committed (the reserve definitions use commit time)
# The builder's snapshot, per SPEC 8.3 category (sats).
CHANNELS, PENDING, ESCROWED = b.CHANNEL_LOCAL_SATS, b.PENDING_SATS, b.CHANNEL_ESCROW_SATS
LND_ONCHAIN, COLD_SATS, BRIA = b.LND_ONCHAIN_SATS, b.COLD_SATS, bb.CONFIRMED_RECEIVE + bb.CONFIRMED_CHANGE


@pytest.fixture(scope="module")
def snapshot_dir(tmp_path_factory) -> Path:
    private = Ed25519PrivateKey.from_private_bytes(b"\x07" * 32)
    snapshot = bb.add_bria(b.Snapshot("2026-11", b.commitment(private, "2026-11")))
    return bb.write(snapshot, tmp_path_factory.mktemp("layout") / "snap", node_sign=False)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> Path:
    """Galoy's books with bria: lnd's on-chain wallet booked in the lightning reserve."""
    path = tmp_path_factory.mktemp("layout-ledger") / "ledger.db"
    reserves = {LND: CHANNELS + PENDING + LND_ONCHAIN, ESCROW: ESCROWED, ONCHAIN: BRIA, COLD: COLD_SATS}
    postings = tuple(Posting(a, "BTC", "debit", v) for a, v in reserves.items()) + (
        Posting(OWNER, "BTC", "credit", sum(reserves.values())),)
    with SQLiteStore(str(path), create=True) as store:
        store.post_batch([JournalEntry(postings, "capital", (("type", "capital"),), AT, None)])
    return path


def _reconcile(ledger: Path, totals: dict[str, int], layout):
    with SQLiteStore(str(ledger)) as store:
        return reconcile(balance_sheet(store, load_definitions(REAL), AS_OF, layout), totals, layout)


def test_the_default_is_the_layout_before_bria():
    assert GALOY is GALOY_LND and load_layout(None) is GALOY_LND and load_layout("galoy-lnd") is GALOY_LND
    assert dict(GALOY_LND.node_categories)["onchain-hot"] == ("onchain_confirmed",)
    bria = dict(GALOY_BRIA.node_categories)
    assert bria["onchain-hot"] == ("bria_confirmed",) and "onchain_confirmed" in bria["lightning-reserve"]


def test_galoy_bria_reconciles_bria_books_to_the_sat(ledger, snapshot_dir):
    totals = snapshot_totals(load_snapshot(snapshot_dir))
    assert (totals["bria_confirmed"], totals["bria_unconfirmed"], totals["onchain_confirmed"]) == (BRIA, 25_000, LND_ONCHAIN)
    result = _reconcile(ledger, totals, GALOY_BRIA)
    assert {i.line: (i.ledger, i.node) for i in result.items}["onchain-hot"] == (BRIA, BRIA)
    assert [i.explanation for i in result.items] == ["agrees"] * 4 and result.difference == 0
    assert ("bria_unconfirmed", 25_000) in result.uncounted


def test_galoy_lnd_on_the_same_books_compares_the_wrong_wallets(ledger, snapshot_dir):
    """The same books read with the layout before bria: Assets:OnChain against lnd's wallet."""
    result = _reconcile(ledger, snapshot_totals(load_snapshot(snapshot_dir)), GALOY_LND)
    by_line = {i.line: i for i in result.items}
    assert by_line["onchain-hot"].difference == LND_ONCHAIN - BRIA
    assert by_line["lightning-reserve"].difference == -LND_ONCHAIN
    assert ("bria_confirmed", BRIA) in result.uncounted  # bria's money is claimed by no line


def test_a_layout_file_starts_from_a_preset(tmp_path):
    path = tmp_path / "layout.toml"
    path.write_text('format = "pos-books-layout/1"\npreset = "galoy-bria"\n\n[node_categories]\n'
                    '"lightning-reserve" = ["channel_local", "pending_open_local", "waiting_close", "force_close_limbo"]\n'
                    '"onchain-hot" = ["bria_confirmed", "onchain_confirmed"]\n"cold-storage" = ["cold_storage"]\n'
                    '"channel-escrow" = ["channel_escrow"]\n')
    layout = load_layout(path)
    assert dict(layout.node_categories)["onchain-hot"] == ("bria_confirmed", "onchain_confirmed")
    assert layout.asset_lines == GALOY_BRIA.asset_lines and layout.name == str(path)


@pytest.mark.parametrize("text, message", [
    ('format = "pos-books-layout/1"\n[node_categories]\n"onchain-hot" = ["bria_unconfirmed"]\n', "is not a counted category"),
    ('format = "pos-books-layout/1"\n[node_categories]\n"onchain-hot" = ["cold_storage"]\n"cold-storage" = ["cold_storage"]\n',
     "already mapped to onchain-hot"),
    ('format = "pos-books-layout/1"\n[node_categories]\n"customer-liabilities" = ["cold_storage"]\n', "not one of the asset lines"),
    ('format = "pos-books-layout/1"\npreset = "galoy-2030"\n', "preset: 'galoy-2030' is not one of"),
    ('format = "pos-books-layout/2"\n', "format: expected"),
    ('format = "pos-books-layout/1"\nlines = []\n', "unknown key 'lines'"),
    ('format = "pos-books-layout/1"\nasset_lines = "onchain-hot"\n', "expected a list of definition names"),
    ("format = [", "not a readable TOML layout file"),
])
def test_bad_layout_files_are_refused_in_one_line(tmp_path, text, message):
    path = tmp_path / "layout.toml"
    path.write_text(text)
    with pytest.raises(LayoutError) as info:
        load_layout(path)
    assert message in str(info.value) and str(path) in str(info.value) and "\n" not in str(info.value)


def _cli(*args) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output


def test_report_reconcile_takes_the_layout(ledger, snapshot_dir, tmp_path):
    base = ("report", "reconcile", "--db", ledger, "--as-of", AS_OF, "--definitions", REAL, "--snapshots", snapshot_dir)
    code, out = _cli(*base, "--layout", "galoy-bria", "--json")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["difference_sat"] == "0" and doc["not_counted"]["bria_unconfirmed"] == "25000"
    code, out = _cli(*base, "--json")  # the default: the layout before bria
    assert code == 0 and json.loads(out)["difference_sat"] == str(-BRIA)
    code, out = _cli(*base, "--layout", "galoy-bria")
    assert code == 0 and "onchain-hot" in out
    code, out = _cli(*base, "--layout", tmp_path / "missing.toml")
    assert code == 1 and "neither a layout preset (galoy-lnd, galoy-bria) nor a layout file" in out
    assert "Traceback" not in out


def test_the_metrics_follow_the_layout():
    """The metrics exporter books each node source on the reserve line whose categories hold it
    (`solvency.metrics.figures.source_definitions`): with bria, lnd's on-chain wallet is lightning."""
    from solvency.metrics.figures import source_definitions

    assert dict(source_definitions(GALOY_LND))["onchain_hot"] == "onchain-hot"
    assert dict(source_definitions(GALOY_BRIA))["onchain_hot"] == "lightning-reserve"
