"""Properties of the pure figure computation: up/absence rules, integer money, exact arithmetic."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solvency.metrics.catalog import ASSET_SOURCES, CATALOG
from solvency.metrics.collector import families
from solvency.metrics.figures import FigureConfig, Sample, compute
from solvency.metrics.readings import (
    AssetReading,
    Failure,
    LedgerReading,
    NodeFacts,
    NodeReading,
    PriceReading,
    PublicationReading,
)
from verifier.assets.btc_json import usd_cents_to_sats_up

MAX_SATS = 21_000_000 * 100_000_000
amounts = st.integers(min_value=0, max_value=MAX_SATS)
signed = st.integers(min_value=-MAX_SATS, max_value=MAX_SATS)
CONFIG = FigureConfig()


@st.composite
def ledgers(draw):
    if draw(st.booleans()):
        return Failure("ledger", "down")
    balances = {
        "customer-liabilities": (("BTC", draw(amounts)), ("USD", draw(amounts))),
        "bankowner-equity": (("BTC", draw(signed)), ("USD", draw(signed))),
    }
    for definition, _sources in CONFIG.reserve_definitions():
        balances[definition] = (("BTC", draw(signed)),)
    return LedgerReading(draw(st.integers(0, 10**9)), "00" * 32, draw(st.integers(0, 2**62)), tuple(sorted(balances.items())))


@st.composite
def nodes(draw):
    sources = tuple(
        Failure(s, "down") if draw(st.booleans()) else AssetReading(s, draw(amounts)) for s in ASSET_SOURCES
    )
    price = draw(st.one_of(st.none(), st.just(Failure("price", "bad")),
                           st.builds(PriceReading, st.integers(1, 2**53 - 1), st.integers(0, 2**33))))
    return NodeReading(sources, NodeFacts(), price)


def _by_name(samples):
    out: dict[str, list[Sample]] = {}
    for s in samples:
        out.setdefault(s.name, []).append(s)
    return out


@given(ledgers(), nodes())
def test_failed_sources_are_down_and_absent(ledger, node):
    samples = compute(CONFIG, ledger, node, None)
    by = _by_name(samples)
    up = {dict(s.labels)["source"]: s.value for s in by["solvency_source_up"]}
    assert up["ledger"] == (0 if isinstance(ledger, Failure) else 1)
    for reading in node.sources:
        failed = isinstance(reading, Failure)
        assert up[reading.source] == (0 if failed else 1)
        if failed:
            for s in samples:
                if s.name != "solvency_source_up":
                    assert dict(s.labels).get("source") != reading.source
            for definition, sources in CONFIG.reserve_definitions():
                if reading.source in sources:  # a drift needs every source of its line
                    assert not any(s.name == "solvency_reconciliation_drift_sats" and dict(s.labels)["definition"] == definition
                                   for s in samples)
    all_up = all(isinstance(r, AssetReading) for r in node.sources)
    assert ("solvency_total_assets_sats" in by) == all_up
    assert ("solvency_surplus_sats" in by) == (all_up and isinstance(ledger, LedgerReading))
    if isinstance(ledger, Failure):
        assert not any(n.startswith(("solvency_liabilities", "solvency_equity", "solvency_ledger_", "solvency_reconciliation")) for n in by)


@given(ledgers(), nodes())
def test_money_is_integer_and_derived_figures_are_exact(ledger, node):
    samples = compute(CONFIG, ledger, node, None)
    by = _by_name(samples)
    for s in samples:
        if CATALOG[s.name].unit in ("sats", "usd_cents"):
            assert type(s.value) is int, s
    if "solvency_surplus_sats" in by:
        assets = sum(r.amount for r in node.sources)
        liabilities = ledger.balance("customer-liabilities")["BTC"]
        assert by["solvency_total_assets_sats"][0].value == assets
        assert by["solvency_surplus_sats"][0].value == assets - liabilities
        if liabilities:
            assert by["solvency_reserve_ratio_btc"][0].value == Fraction(assets, liabilities)
        else:
            assert "solvency_reserve_ratio_btc" not in by
        if isinstance(node.price, PriceReading):
            usd = ledger.balance("customer-liabilities")["USD"]
            converted = by["solvency_usd_liabilities_in_sats"][0].value
            # Rounded up: never less than the exact value, less than one sat more.
            exact = Fraction(usd * 100_000_000, node.price.usd_cents_per_btc)
            assert exact <= converted < exact + 1
            assert by["solvency_combined_surplus_sats"][0].value == assets - liabilities - converted
            if liabilities + converted:
                assert by["solvency_reserve_ratio_at_declared_price"][0].value == Fraction(assets, liabilities + converted)
        else:
            assert "solvency_combined_surplus_sats" not in by
    for s in by.get("solvency_reconciliation_drift_sats", []):
        definition = dict(s.labels)["definition"]
        sources = dict(CONFIG.reserve_definitions())[definition]
        held = sum(r.amount for r in node.sources if r.source in sources)
        assert s.value == held - ledger.balance(definition)["BTC"]  # node - ledger
    families(samples)  # every sample is exposable


def test_usd_conversion_rounds_against_the_bank():
    assert usd_cents_to_sats_up(9_000_000, 9_000_000) == 100_000_000  # $90,000 at $90,000/BTC
    assert usd_cents_to_sats_up(1, 9_000_000) == 12  # 11.11... sats rounds up
    assert usd_cents_to_sats_up(0, 9_000_000) == 0


def test_publication_samples_and_unknown_asset_codes():
    publication = PublicationReading("p", "2026-11", 1_795_000_000, (("BTC", 5), ("USD", 7), ("EURX", 9)), 16, 42, 3, 2)
    by = _by_name(compute(CONFIG, Failure("ledger", "x"), NodeReading(tuple(Failure(s, "x") for s in ASSET_SOURCES), NodeFacts()), publication))
    assert by["solvency_publication_root_sum_sats"][0].value == 5
    assert by["solvency_publication_root_sum_usd_cents"][0].value == 7
    assert not any("eurx" in name for name in by)
    assert by["solvency_publication_info"][0].labels == (("epoch", "2026-11"),)
    assert by["solvency_publication_sequence"][0].value == 2
    assert by["solvency_publication_ledger_entries"][0].value == 42


@pytest.mark.parametrize("value", [1.0, True, "1"])
def test_samples_refuse_floats_and_bools(value):
    with pytest.raises(TypeError):
        Sample("solvency_total_assets_sats", (), value)


def test_samples_refuse_unknown_names_and_labels():
    with pytest.raises(ValueError):
        Sample("solvency_nonexistent", (), 1)
    with pytest.raises(ValueError):
        Sample("solvency_assets_sats", (("user", "alice"),), 1)
