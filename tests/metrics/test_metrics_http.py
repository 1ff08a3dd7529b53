"""The real HTTP exporter, scraped with urllib and parsed with prometheus_client's parser."""

from __future__ import annotations

import json
import threading
import urllib.error
from concurrent.futures import ThreadPoolExecutor

import metrics_fixtures as fx
import pytest
from metrics_fixtures import fetch, parse

from ledger.definitions import load_definitions
from ledger.entries import transfer
from ledger.open import open_store
from solvency.metrics.catalog import ASSET_SOURCES, CATALOG

NODE_VALUES = {
    "lightning_local": fx.LIGHTNING_LOCAL,
    "channel_escrow": fx.CHANNEL_ESCROW,
    "pending": fx.PENDING,
    "onchain_hot": fx.ONCHAIN_CONFIRMED,
    "cold_storage": fx.COLD,
}
BOOKED = {  # per reserve definition: what the ledger books, and the sources that hold it on the node
    "lightning-reserve": (fx.LEDGER_LIGHTNING, ("lightning_local", "pending")),
    "channel-escrow": (fx.LEDGER_ESCROW, ("channel_escrow",)),
    "onchain-hot": (fx.LEDGER_ONCHAIN, ("onchain_hot",)),
    "cold-storage": (fx.LEDGER_COLD, ("cold_storage",)),
}


def _ledger_truth(db) -> dict[str, dict[str, int]]:
    """Liabilities recomputed from per-user balances (a different store query than totals)."""
    definitions = load_definitions()
    out: dict[str, dict[str, int]] = {}
    with open_store(str(db), create=False) as store:
        for name in ("customer-liabilities", "bankowner-equity"):
            sums: dict[str, int] = {}
            for _, currency, amount in store.user_balances(definitions[name]):
                sums[currency] = sums.get(currency, 0) + amount
            out[name] = sums
    return out


def test_scrape_matches_the_ledger_and_the_snapshot(start_exporter, ledger_db):
    scrape = start_exporter().scrape()
    truth = _ledger_truth(ledger_db)
    # Liabilities and equity equal the ledger's own per-user sums and the hand-computed fixture.
    assert scrape.value("solvency_liabilities_sats") == truth["customer-liabilities"]["BTC"] == fx.LEDGER_BTC_LIABILITIES
    assert scrape.value("solvency_liabilities_usd_cents") == truth["customer-liabilities"]["USD"] == fx.LEDGER_USD_LIABILITIES
    assert scrape.value("solvency_equity_sats") == truth["bankowner-equity"]["BTC"]
    assert scrape.value("solvency_equity_sats") == fx.LEDGER_LIGHTNING + fx.LEDGER_ESCROW + fx.LEDGER_ONCHAIN + fx.LEDGER_COLD - fx.LEDGER_BTC_LIABILITIES
    assert scrape.value("solvency_ledger_balance_usd_cents", definition="dealer-position") == -fx.LEDGER_USD_LIABILITIES
    assert scrape.value("solvency_ledger_entries_total") == 1 + len(fx.USERS_USD)
    for source, amount in NODE_VALUES.items():
        assert scrape.value("solvency_source_up", source=source) == 1
        assert scrape.value("solvency_assets_sats", source=source) == amount
    for definition, (amount, sources) in BOOKED.items():
        assert scrape.value("solvency_ledger_assets_sats", definition=definition) == amount
        node = sum(NODE_VALUES[source] for source in sources)
        assert scrape.value("solvency_reconciliation_drift_sats", definition=definition) == node - amount
    # The drift is node - ledger (docs/METRICS.md), and the lightning reserve includes pending and
    # closing channels as in the books' layout: 10,257,480 + 220,000 - 10,250,000.
    assert scrape.value("solvency_reconciliation_drift_sats", definition="lightning-reserve") == 227_480
    assert scrape.value("solvency_total_assets_sats") == fx.TOTAL_ASSETS
    assert scrape.value("solvency_surplus_sats") == fx.TOTAL_ASSETS - fx.LEDGER_BTC_LIABILITIES
    assert scrape.value("solvency_reserve_ratio_btc") == pytest.approx(fx.TOTAL_ASSETS / fx.LEDGER_BTC_LIABILITIES, rel=1e-15)
    assert scrape.value("solvency_assets_uncounted_sats", source="onchain_hot", category="onchain_unconfirmed") == fx.ONCHAIN_UNCONFIRMED
    assert scrape.value("solvency_node_block_height", node="lnd") == fx.HEIGHT
    assert scrape.value("solvency_node_block_height", node="bitcoind") == fx.HEIGHT
    assert scrape.value("solvency_lnd_synced_to_chain") == 1
    assert scrape.value("solvency_scrape_duration_seconds") > 0
    assert not scrape.has("solvency_source_up", source="price")  # the snapshot declares no price


def test_every_sample_is_in_the_catalog_with_its_labels_and_type(start_exporter):
    scrape = start_exporter().scrape()
    for name, series in scrape.samples.items():
        assert name in CATALOG, name
        spec = CATALOG[name]
        for labels in series:
            assert tuple(sorted(k for k, _ in labels)) == tuple(sorted(spec.labels)), (name, labels)
        assert scrape.types[spec.family] == spec.type
    # Conventions: one prefix, _total only on counters, no user or wallet id anywhere.
    for spec in CATALOG.values():
        assert spec.name.startswith("solvency_")
        assert spec.name.endswith("_total") == (spec.type == "counter")
    text = fetch(start_exporter().url)[1]
    assert "wallet-" not in text


def test_unreadable_snapshot_file_is_unknown_not_zero(start_exporter, snapshot_dir):
    (snapshot_dir / "lnd_listchannels.json").write_text('{"channels": [')  # cut off mid-write
    exporter = start_exporter()
    scrape = exporter.scrape()
    down = {"lightning_local", "channel_escrow"}  # the two sources that read listchannels
    for source in ASSET_SOURCES:
        assert scrape.value("solvency_source_up", source=source) == (0 if source in down else 1)
    for source in down:
        for name, series in scrape.samples.items():
            # The ledger's booked figure for the source comes from the ledger, which is up.
            if name not in ("solvency_source_up", "solvency_source_errors_total"):
                assert not any(dict(labels).get("source") == source for labels in series), (name, source)
    # The ledger's booked figures come from the ledger, which is up; the drifts of the lines those
    # sources hold are absent, not computed from a zero.
    assert scrape.has("solvency_ledger_assets_sats", definition="lightning-reserve")
    assert scrape.has("solvency_ledger_assets_sats", definition="channel-escrow")
    assert not scrape.has("solvency_reconciliation_drift_sats", definition="lightning-reserve")
    assert not scrape.has("solvency_reconciliation_drift_sats", definition="channel-escrow")
    # Figures that need every asset source are absent, not computed from a zero.
    for name in ("solvency_total_assets_sats", "solvency_surplus_sats", "solvency_reserve_ratio_btc"):
        assert name not in scrape.samples
    # The sources that are up still report their values; the ledger is unaffected.
    assert scrape.value("solvency_assets_sats", source="cold_storage") == fx.COLD
    assert scrape.value("solvency_reconciliation_drift_sats", definition="cold-storage") == 0
    assert scrape.value("solvency_liabilities_sats") == fx.LEDGER_BTC_LIABILITIES
    assert scrape.value("solvency_source_errors_total", source="lightning_local") == 1
    assert exporter.scrape().value("solvency_source_errors_total", source="lightning_local") == 2
    # The snapshot is re-read on every scrape: once the file is whole again, the source is back.
    fx.write_snapshot(snapshot_dir)
    again = exporter.scrape()
    assert again.value("solvency_source_up", source="lightning_local") == 1
    assert again.value("solvency_surplus_sats") == fx.TOTAL_ASSETS - fx.LEDGER_BTC_LIABILITIES
    assert again.value("solvency_source_errors_total", source="lightning_local") == 2


@pytest.mark.parametrize(
    "file, text, down",
    [
        ("lnd_getinfo.json", None, set(ASSET_SOURCES) - {"cold_storage", "bria"}),  # missing: every lnd source
        ("lnd_walletbalance.json", '{"total_balance": 510000.0}', {"onchain_hot"}),  # a float where lncli prints a string
        ("lnd_pendingchannels.json", json.dumps({"total_limbo_balance": "1"}), {"pending"}),  # limbo total disagrees
        ("bitcoind_scantxoutset.json", '{"success": true, "height": 1, "bestblock": "00", "unspents": [], "total_amount": 0.000000001}', {"cold_storage"}),
        ("lnd_channelbalance.json", json.dumps({"local_balance": {"sat": "1", "msat": "1000"}}), {"lightning_local"}),
    ],
)
def test_each_bad_file_takes_down_exactly_its_sources(start_exporter, snapshot_dir, file, text, down):
    if text is None:
        (snapshot_dir / file).unlink()
    else:
        (snapshot_dir / file).write_text(text)
    scrape = start_exporter().scrape()
    assert {s for s in ASSET_SOURCES if scrape.value("solvency_source_up", source=s) == 0} == down
    assert scrape.labelled("solvency_assets_sats", "source") == set(ASSET_SOURCES) - down
    assert "solvency_surplus_sats" not in scrape.samples


def test_escrow_identity_violation_takes_the_escrow_source_down(start_exporter, snapshot_dir):
    channels = json.loads((snapshot_dir / "lnd_listchannels.json").read_text())
    channels["channels"][0]["commit_fee"] = "2811"  # escrow 3470 no longer equals fee + 2 x 330
    (snapshot_dir / "lnd_listchannels.json").write_text(json.dumps(channels))
    scrape = start_exporter().scrape()
    assert scrape.value("solvency_source_up", source="channel_escrow") == 0
    assert scrape.value("solvency_source_up", source="lightning_local") == 1
    assert not scrape.has("solvency_assets_sats", source="channel_escrow")


def test_ledger_down_hides_every_ledger_figure(start_exporter, ledger_db):
    exporter = start_exporter()
    assert exporter.scrape().value("solvency_source_up", source="ledger") == 1
    ledger_db.write_bytes(b"this is not a ledger")
    for suffix in ("-wal", "-shm"):
        ledger_db.with_name(ledger_db.name + suffix).unlink(missing_ok=True)
    exporter.collector.close()  # drop the open connection, as a restart would
    exporter2 = start_exporter()
    scrape = exporter2.scrape()
    assert scrape.value("solvency_source_up", source="ledger") == 0
    for name in scrape.samples:
        spec_prefixes = ("solvency_liabilities", "solvency_equity", "solvency_ledger_", "solvency_surplus",
                         "solvency_reserve_ratio", "solvency_reconciliation")
        assert not name.startswith(spec_prefixes), name
    assert scrape.value("solvency_total_assets_sats") == fx.TOTAL_ASSETS  # the node side is still known
    assert scrape.value("solvency_source_errors_total", source="ledger") == 1


def test_each_scrape_reads_the_ledger_afresh(start_exporter, ledger_db):
    exporter = start_exporter()
    before = exporter.scrape()
    with open_store(str(ledger_db), create=False) as store:
        store.post(transfer("Assets:Reserve:Lightning", "Liabilities:wallet-erin-btc", "BTC", 12345, "deposit"))
    after = exporter.scrape()
    assert after.value("solvency_liabilities_sats") == before.value("solvency_liabilities_sats") + 12345
    # The ledger books 12,345 more on the lightning reserve than the node holds: the drift (node -
    # ledger) falls by as much.
    assert after.value("solvency_reconciliation_drift_sats", definition="lightning-reserve") == before.value(
        "solvency_reconciliation_drift_sats", definition="lightning-reserve"
    ) - 12345
    assert after.value("solvency_surplus_sats") == before.value("solvency_surplus_sats") - 12345
    assert after.value("solvency_ledger_entries_total") == before.value("solvency_ledger_entries_total") + 1


def test_concurrent_scrapes_are_served_and_agree(start_exporter):
    exporter = start_exporter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        scrapes = list(pool.map(lambda _: exporter.scrape(), range(8)))
    for scrape in scrapes:
        assert scrape.value("solvency_source_up", source="ledger") == 1
        assert scrape.value("solvency_surplus_sats") == fx.TOTAL_ASSETS - fx.LEDGER_BTC_LIABILITIES


def test_only_the_metrics_path_serves_metrics(start_exporter):
    exporter = start_exporter()
    base = exporter.url.removesuffix("/metrics")
    assert fetch(base + "/")[0] == 200
    with pytest.raises(urllib.error.HTTPError) as info:
        fetch(base + "/metric")
    assert info.value.code == 404
    assert threading.active_count() >= 1
    assert parse(fetch(exporter.url)[1]).value("solvency_source_up", source="ledger") == 1
