"""solvency.auditor.figures: every table and plot series agrees with the signed publication and with
the ledger's own figures, money stays integer, and no wallet id leaks into a figure."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.definitions import load_definitions
from ledger.open import open_store
from solvency.auditor import figures
from solvency.auditor.publication import describe, leaf_values, locate_epoch, read_public
from solvency.books.pnl import profit_and_loss
from solvency.books.sheet import balance_sheet
from solvency.tree.store import TreeStore
from verifier.assets.rules import COUNTED
from verifier.full_tree import load_leaf_layer


@pytest.fixture(scope="module")
def books(publication):
    store = open_store(str(publication.ledger), create=False)
    yield store, load_definitions(), publication.pubdir
    store.close()


def _epoch(pubdir, name):
    return read_public(locate_epoch(pubdir, name))


def test_solvency_by_epoch_is_the_signed_statement(publication):
    frame = figures.solvency_by_epoch(publication.pubdir)
    assert list(frame["epoch"]) == ["2026-11", "2026-12"] and list(frame["sequence"]) == [0, 1]
    for row in frame.itertuples():
        statement = _epoch(publication.pubdir, row.epoch).epoch.solvency
        combined = statement["combined_at_declared_price"]
        assert row.margin_sat == int(combined["margin_sat"])
        assert row.margin_usd_cents == int(combined["margin_usd_cents"])
        assert row.btc_assets_sat - row.btc_liabilities_sat - row.usd_liabilities_sat == row.margin_sat
        assert row.reserve_ratio_at_declared_price == pytest.approx(row.btc_assets_sat / (row.btc_liabilities_sat + row.usd_liabilities_sat))
        assert row.reserve_ratio_btc == pytest.approx(row.btc_assets_sat / row.btc_liabilities_sat)
    assert str(frame["usd_liabilities_sat"].dtype) == "Int64"


def test_asset_composition_adds_up_to_the_attested_assets(publication):
    frame = figures.asset_composition(publication.pubdir)
    margins = figures.solvency_by_epoch(publication.pubdir).set_index("epoch")
    for epoch, group in frame.groupby("epoch"):
        counted = group[group["counted"]]
        assert set(counted["category"]) == set(COUNTED)
        assert int(counted["sat"].sum()) == margins.loc[epoch, "btc_assets_sat"]


def test_balance_sheet_frames_balance(books):
    store, definitions, pubdir = books
    as_of = _epoch(pubdir, "2026-12").commitment.as_of
    sheet = balance_sheet(store, definitions, as_of)
    lines = figures.balance_sheet_frame(sheet)
    totals = figures.balance_sheet_totals(sheet).set_index("currency")
    assert totals["balanced"].all() and (totals["difference"] == 0).all()
    for (section, currency), amount in lines.groupby(["section", "currency"])["amount"].sum().items():
        assert totals.loc[currency, section] == amount
    committed = _epoch(pubdir, "2026-12").commitment.root_sums
    customer = lines[lines["line"] == "customer-liabilities"].set_index("currency")["amount"]
    assert [int(customer.get("BTC", 0)), int(customer.get("USD", 0))] == [int(s) for s in committed]


def test_balance_distribution_has_no_ids_and_matches_the_tree(books, publication):
    store, definitions, pubdir = books
    files = _epoch(pubdir, "2026-12")
    dist = figures.balance_distribution(store, definitions["customer-liabilities"], files.commitment.as_of)
    assert list(dist.columns) == ["currency", "amount"]
    assert list(dist.itertuples(index=False)) == sorted(dist.itertuples(index=False))
    ids = {user for user, _, _ in store.user_balances(definitions["customer-liabilities"])}
    assert not ids & set(map(str, dist["amount"])) and not ids & set(dist["currency"])
    # The same amounts as the bank committed (each wallet holds one currency): each wallet's
    # leaves added up, since publications split every balance (SPEC 3.6; the tree's user index
    # says which leaves belong together).
    paths = locate_epoch(pubdir, "2026-12")
    leaves = leaf_values(load_leaf_layer(paths.leaves, files.commitment), files.commitment.assets)
    assert files.commitment.privacy is not None and files.commitment.privacy.split == 2
    with TreeStore(paths.tree) as tree:
        users = [leaves.loc[list(row)].sum() for row in tree.user_positions()]
    for currency in ("BTC", "USD"):
        committed = sorted(int(u[currency]) for u in users if u[currency])
        assert committed == sorted(int(v) for v in dist.loc[dist["currency"] == currency, "amount"])
    summary = figures.distribution_summary(dist).set_index("currency")
    btc = sorted(int(v) for v in dist.loc[dist["currency"] == "BTC", "amount"])
    assert summary.loc["BTC", "count"] == len(btc) and summary.loc["BTC", "total"] == sum(btc)
    assert summary.loc["BTC", "max"] == btc[-1] and summary.loc["BTC", "median"] == btc[len(btc) // 2]
    assert summary.loc["BTC", "total"] == int(files.commitment.root_sums[0])


@given(st.lists(st.integers(min_value=0, max_value=2**64 - 1), max_size=60), st.integers(min_value=1, max_value=12))
def test_log_histogram_counts_every_positive_amount_once(values, per_decade):
    bins = figures.log_histogram(values, per_decade)
    positive = [v for v in values if v > 0]
    assert int(bins["count"].sum()) == len(positive)
    if positive:
        lows, highs = [int(v) for v in bins["low"]], [int(v) for v in bins["high"]]
        assert lows[0] <= min(positive) and max(positive) < highs[-1]
        assert lows[1:] == highs[:-1] and all(a < b for a, b in zip(lows, highs))
        assert lows[0] == 10 ** (len(str(min(positive))) - 1)
        for v in positive:  # each amount is in exactly one bin, the one whose edges enclose it
            assert sum(low <= v < high for low, high in zip(lows, highs)) == 1


def test_pnl_tables_agree_with_the_store(books):
    store, definitions, _ = books
    pnl_start, start, end = figures.period(store)
    assert pnl_start is None and start < end
    pnl = profit_and_loss(store, definitions, pnl_start, end)
    summary = figures.pnl_summary(pnl).set_index("currency")
    assert summary["reconciled"].all()
    lines = figures.pnl_frame(pnl)
    for currency, row in summary.iterrows():
        mine = lines[lines["currency"] == currency]
        assert row["revenue"] == mine.loc[mine["kind"] == "revenue", "amount"].sum()
        assert row["expenses"] == mine.loc[mine["kind"] == "expenses", "amount"].sum()
        assert row["net"] == row["revenue"] - row["expenses"]
        assert row["equity_earned"] - row["equity_consumed"] == row["net"]
    fees = figures.fees_by_category(pnl, "BTC")
    assert fees["signed"].sum() == summary.loc["BTC", "net"]
    with pytest.raises(ValueError, match="not before"):
        figures.period(store, "2026-11-21T00:00:00Z", "2026-11-20T00:00:00Z")


def test_reserves_over_time_end_at_the_ledger_totals(books):
    import dataclasses

    store, definitions, _ = books
    _, start, end = figures.period(store)
    frame = figures.reserves_over_time(store, definitions, start, end, points=3)
    assert len(frame) == 3 * 4 and frame["time"].nunique() == 3
    last = frame[frame["time"] == frame["time"].iloc[-1]].set_index("line")["sat"]
    for name in ("lightning-reserve", "onchain-hot", "cold-storage", "channel-escrow"):
        reporting = dataclasses.replace(definitions[name], time_axis="reporting")
        assert last[name] == dict(store.totals(reporting, end)).get("BTC", 0)
    with pytest.raises(ValueError):
        figures.reserves_over_time(store, definitions, end, start)


def test_reconciliation_by_epoch_itemises_the_escrow_drift(books):
    store, definitions, pubdir = books
    frame = figures.reconciliation_by_epoch(store, definitions, pubdir)
    assert set(frame["epoch"]) == {"2026-11", "2026-12"}
    assert (frame["drift_sat"] == frame["node_sat"] - frame["ledger_sat"]).all()
    for epoch, group in frame.groupby("epoch"):
        totals = _epoch(pubdir, epoch).assets.totals.to_json()
        rows = group.set_index("line")
        assert rows.loc["cold-storage", "node_sat"] == totals["cold_storage"]
        assert rows.loc["channel-escrow", "node_sat"] == totals["channel_escrow"]
        # The test's snapshots hold what the ledger's reserves say; only the escrow follows lnd's fees.
        assert rows.loc[["lightning-reserve", "onchain-hot", "cold-storage"], "drift_sat"].tolist() == [0, 0, 0]
        assert rows.loc["channel-escrow", "drift_sat"] != 0
        assert "escrow drift" in rows.loc["channel-escrow", "explanation"]


def test_equity_by_epoch_follows_the_balance_sheets(books):
    store, definitions, pubdir = books
    frame = figures.equity_by_epoch(store, definitions, pubdir)
    btc = frame[frame["currency"] == "BTC"].reset_index(drop=True)
    sheets = [balance_sheet(store, definitions, _epoch(pubdir, e).commitment.as_of) for e in ("2026-11", "2026-12")]
    assert list(btc["equity"]) == [s.total("equity", "BTC") for s in sheets]
    assert btc["change"].isna().iloc[0] and btc.loc[1, "change"] == btc.loc[1, "equity"] - btc.loc[0, "equity"]
    expected = "earned" if btc.loc[1, "change"] > 0 else "consumed" if btc.loc[1, "change"] < 0 else "unchanged"
    assert btc.loc[1, "movement"] == expected


def test_describe_names_the_committed_facts(publication):
    files = _epoch(publication.pubdir, "2026-11")
    facts = dict(describe(files).itertuples(index=False))
    assert facts["epoch"] == "2026-11" and facts["sequence"] == "0" and facts["previous epoch"] == "none"
    assert facts["root hash"] == files.commitment.root_hash.hex()
    assert facts["balance definition"].startswith("customer-liabilities (")
