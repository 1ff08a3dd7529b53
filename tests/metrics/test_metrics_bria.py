"""The metrics exporter reads bria's files and follows the books layout (docs/METRICS.md, "bria").

The books are Galoy's after bria (``Assets:OnChain`` is bria's wallet, lnd's on-chain wallet is in
``Assets:Reserve:Lightning``), booked 777 sats short of bria's settled UTXOs so that the drift is
not zero; the snapshot is the asset tests' own with bria's files (tests/assets/bria_builder.py).
``solvency metrics write --layout galoy-bria`` must show, per reserve line, the drift that
``solvency report reconcile --layout galoy-bria`` shows, and with the default layout the drifts of
the default reconciliation; the total assets count bria's confirmed UTXOs as the attestation does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ASSETS = Path(__file__).resolve().parents[1] / "assets"
sys.path.insert(0, str(ASSETS))

import assets_builder as b  # noqa: E402
import bria_builder as bb  # noqa: E402

from ledger.clock import parse_time  # noqa: E402
from ledger.entries import JournalEntry, Posting  # noqa: E402
from ledger.sqlite.store import SQLiteStore  # noqa: E402
from solvency.books.holdings import snapshot_totals  # noqa: E402
from solvency.cli.main import cli  # noqa: E402
from solvency.metrics.node import read_node  # noqa: E402
from solvency.metrics.readings import AssetReading, Failure  # noqa: E402
from solvency.reserves.snapshot import load_snapshot  # noqa: E402
from verifier.assets.rules import COUNTED  # noqa: E402

DEFINITIONS = str(Path(__file__).resolve().parents[1] / "books" / "galoy_real.toml")
OWNER = "Liabilities:c0ffee00-0000-4000-8000-00000000b0b1"
USER = "Liabilities:c0ffee00-0000-4000-8000-0000000000a1"
AS_OF = "2030-01-01T00:00:00Z"
CHANNELS, PENDING, ESCROWED = b.CHANNEL_LOCAL_SATS, b.PENDING_SATS, b.CHANNEL_ESCROW_SATS
LND_ONCHAIN, COLD = b.LND_ONCHAIN_SATS, b.COLD_SATS
BRIA = bb.CONFIRMED_RECEIVE + bb.CONFIRMED_CHANGE
SHORT = 777  # Assets:OnChain books this much less than bria holds: an on-chain receipt not yet booked


@pytest.fixture(scope="module")
def snapshot_dir(tmp_path_factory) -> Path:
    private = Ed25519PrivateKey.from_private_bytes(b"\x07" * 32)
    snapshot = bb.add_bria(b.Snapshot("2026-11", b.commitment(private, "2026-11")))
    return bb.write(snapshot, tmp_path_factory.mktemp("bria-metrics") / "snap", node_sign=False)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bria-metrics-ledger") / "ledger.db"
    reserves = {"Assets:Reserve:Lightning": CHANNELS + PENDING + LND_ONCHAIN, "Assets:Reserve:Escrow": ESCROWED,
                "Assets:OnChain": BRIA - SHORT, "Assets:Reserve:Bitcoind": COLD}
    total = sum(reserves.values())
    postings = tuple(Posting(a, "BTC", "debit", v) for a, v in reserves.items()) + (
        Posting(OWNER, "BTC", "credit", total - 1_000_000), Posting(USER, "BTC", "credit", 1_000_000))
    with SQLiteStore(str(path), create=True) as store:
        store.post_batch([JournalEntry(postings, "capital", (("type", "capital"),), parse_time("2026-11-20T12:00:00Z"), None)])
    return path


def _metrics(ledger: Path, snapshot_dir: Path, tmp_path: Path, *layout: str) -> dict[str, str]:
    result = CliRunner().invoke(cli, ["metrics", "write", str(tmp_path / "m.prom"), "--db", str(ledger), "--snapshots", str(snapshot_dir),
                                      "--definitions", DEFINITIONS, *layout, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["samples"]


def _reconcile(ledger: Path, snapshot_dir: Path, *layout: str) -> dict[str, int]:
    result = CliRunner().invoke(cli, ["report", "reconcile", "--db", str(ledger), "--as-of", AS_OF, "--definitions", DEFINITIONS,
                                      "--snapshots", str(snapshot_dir), *layout, "--json"])
    assert result.exit_code == 0, result.output
    return {i["line"]: int(i["difference_sat"]) for i in json.loads(result.stdout)["items"]}


def _drifts(samples: dict[str, str]) -> dict[str, int]:
    prefix = 'solvency_reconciliation_drift_sats{definition="'
    return {k[len(prefix):-2]: int(float(v)) for k, v in samples.items() if k.startswith(prefix)}


def test_the_metrics_drift_is_the_reconciliation_drift_with_galoy_bria(ledger, snapshot_dir, tmp_path):
    samples = _metrics(ledger, snapshot_dir, tmp_path, "--layout", "galoy-bria")
    reconciled = _reconcile(ledger, snapshot_dir, "--layout", "galoy-bria")
    assert reconciled["onchain-hot"] == SHORT and set(reconciled.values()) == {0, SHORT}
    assert _drifts(samples) == reconciled
    assert float(samples['solvency_assets_sats{source="bria"}']) == BRIA
    assert float(samples['solvency_assets_uncounted_sats{category="bria_unconfirmed",source="bria"}']) == bb.UNCONFIRMED_RECEIVE
    assert float(samples['solvency_ledger_assets_sats{definition="onchain-hot"}']) == BRIA - SHORT


def test_the_default_layout_drift_is_the_default_reconciliation_drift(ledger, snapshot_dir, tmp_path):
    """galoy-lnd on the same books: Assets:OnChain against lnd's wallet, bria's coins on no line."""
    drifts = _drifts(_metrics(ledger, snapshot_dir, tmp_path))
    assert drifts == _reconcile(ledger, snapshot_dir)
    assert drifts["onchain-hot"] == LND_ONCHAIN - (BRIA - SHORT) and drifts["lightning-reserve"] == -LND_ONCHAIN


def test_total_assets_count_bria_as_the_attestation_does(ledger, snapshot_dir, tmp_path):
    samples = _metrics(ledger, snapshot_dir, tmp_path, "--layout", "galoy-bria")
    totals = snapshot_totals(load_snapshot(snapshot_dir))
    counted = sum(v for name, v in totals.items() if name in COUNTED)
    assert totals["bria_confirmed"] == BRIA and float(samples["solvency_total_assets_sats"]) == counted


def test_bria_files_are_read_by_the_attestations_parser(snapshot_dir, tmp_path):
    """One bria file without the other, a balance that does not match, or a UTXO confirmed after
    the anchor takes the bria source down (the attestation refuses the same snapshot); no bria
    files at all is a bria wallet holding nothing."""
    import shutil

    assert read_node(snapshot_dir).sources[-1] == AssetReading("bria", BRIA, (("bria_unconfirmed", bb.UNCONFIRMED_RECEIVE),))
    cases = {
        "half": lambda d: (d / "bria_wallet_balance.json").unlink(),
        "balance": lambda d: (d / "bria_wallet_balance.json").write_text(json.dumps(bb.wallet_balance() | {"utxoSettled": 1})),
        "late": lambda d: (d / "bria_list_utxos.json").write_text(
            json.dumps(bb.list_utxos()).replace(f'"blockHeight": {b.ANCHOR_HEIGHT - 3}', f'"blockHeight": {b.ANCHOR_HEIGHT + 1}')),
    }
    for name, spoil in cases.items():
        copy = shutil.copytree(snapshot_dir, tmp_path / name)
        spoil(copy)
        reading = read_node(copy).sources[-1]
        assert isinstance(reading, Failure) and reading.source == "bria", name
    bare = shutil.copytree(snapshot_dir, tmp_path / "bare")
    for f in ("bria_list_utxos.json", "bria_wallet_balance.json", "bria_change_addresses.json"):
        (bare / f).unlink()
    assert read_node(bare).sources[-1] == AssetReading("bria", 0, (("bria_unconfirmed", 0),))


def test_a_bad_layout_is_refused_in_one_line(ledger, snapshot_dir, tmp_path):
    result = CliRunner().invoke(cli, ["metrics", "write", "-", "--db", str(ledger), "--snapshots", str(snapshot_dir),
                                      "--layout", str(tmp_path / "missing.toml")])
    assert result.exit_code == 1 and "neither a layout preset (galoy-lnd, galoy-bria) nor a layout file" in result.output
    assert len(result.output.strip().splitlines()) == 1
