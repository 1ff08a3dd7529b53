"""dashboards/solvency.json: a valid Grafana model whose queries use only metrics the exporter emits."""

from __future__ import annotations

import json
import re
from pathlib import Path

import metrics_fixtures as fx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from solvency.metrics.catalog import CATALOG
from solvency.metrics.sources import PublicationSource

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboards" / "solvency.json"
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless", "inf", "nan"}
_DURATION = re.compile(r"(?<![A-Za-z0-9_:])(?:\d+(?:ms|[smhdwy]))+(?![A-Za-z0-9_:])")
_NUMBER = re.compile(r"(?<![A-Za-z0-9_:])\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def metric_names(expr: str) -> set[str]:
    """Metric names referenced by a PromQL expression (function names, keywords, label matchers,
    range selectors and grouping label lists are not metric names)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = _DURATION.sub(" ", text)
    text = _NUMBER.sub(" ", text)
    names = set()
    for match in _IDENT.finditer(text):
        if text[match.end():].lstrip().startswith("(") or match.group().lower() in KEYWORDS:
            continue
        names.add(match.group())
    return names


def test_metric_name_extraction():
    assert metric_names('sum by (source) (rate(solvency_source_errors_total{instance=~"$x",a="b{c}"}[5m])) / 1e8') == {"solvency_source_errors_total"}
    assert metric_names("time() - solvency_publication_as_of_timestamp_seconds offset 1h") == {"solvency_publication_as_of_timestamp_seconds"}
    assert metric_names("up - on(instance) group_left foo_bar") == {"up", "foo_bar"}


def _dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def _panels(dashboard: dict):
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def test_dashboard_is_a_grafana_model_with_a_prometheus_datasource_variable():
    dashboard = _dashboard()
    assert isinstance(dashboard["schemaVersion"], int) and dashboard["uid"] and dashboard["title"]
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    ids = [p["id"] for p in _panels(dashboard)]
    assert len(ids) == len(set(ids))
    for panel in _panels(dashboard):
        grid = panel["gridPos"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24 and grid["h"] > 0
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}"
    titles = " ".join(p["title"].lower() for p in _panels(dashboard))
    for topic in ("surplus", "asset composition", "liabilities over time", "reconciliation drift", "published epoch", "source"):
        assert topic in titles, topic


@pytest.fixture
def full_scrape(tmp_path, start_exporter, snapshot_dir):
    """A scrape with every optional source present: a sealed epoch (docs/SPEC.md section 11, sealed
    by `solvency.publish`) checked against the pinned key, and a declared price."""
    from solvency.publish.epochs import seal_epoch

    (snapshot_dir / "price.json").write_text(json.dumps({"usd_cents_per_btc": 9_000_000, "source": "test", "time": "2026-11-20T23:59:00Z"}))
    key = Ed25519PrivateKey.generate()
    epoch_dir = tmp_path / "pub" / "2026-11"
    commitment = fx.commitment(key, "2026-11", "2026-11-20T23:59:59Z", (fx.LEDGER_BTC_LIABILITIES, 0), 3)
    fx.write_artifact(epoch_dir / "public" / "commitment.json", commitment)
    seal_epoch(epoch_dir, None, epoch="2026-11", as_of=commitment["as_of"], commitment=commitment, attestation=None,
               solvency=None, private_key=key)
    return start_exporter(publication=PublicationSource(str(tmp_path / "pub"), key.public_key())).scrape()


def test_full_scrape_emits_every_catalog_metric(full_scrape):
    assert set(full_scrape.samples) == set(CATALOG)
    assert full_scrape.value("solvency_source_up", source="price") == 1
    assert full_scrape.value("solvency_source_up", source="publication") == 1
    usd_in_sats = -(-fx.LEDGER_USD_LIABILITIES * 100_000_000 // 9_000_000)
    assert full_scrape.value("solvency_usd_liabilities_in_sats") == usd_in_sats == 1_499_989
    assert full_scrape.value("solvency_combined_surplus_sats") == fx.TOTAL_ASSETS - fx.LEDGER_BTC_LIABILITIES - usd_in_sats
    assert full_scrape.value("solvency_publication_root_sum_sats") == fx.LEDGER_BTC_LIABILITIES
    assert full_scrape.value("solvency_publication_info", epoch="2026-11") == 1


def test_dashboard_only_references_metrics_the_exporter_emits(full_scrape):
    referenced = set()
    for panel in _panels(_dashboard()):
        for target in panel.get("targets", []):
            names = metric_names(target["expr"])
            assert names, f"{panel['title']}: {target['expr']!r} references no metric"
            referenced |= names
    for variable in _dashboard()["templating"]["list"]:
        if variable["type"] == "query":
            referenced |= {n for n in metric_names(variable["definition"]) if n.startswith("solvency_")}
    missing = referenced - set(full_scrape.samples)
    assert not missing, f"the dashboard queries metrics the exporter never emits: {sorted(missing)}"
    # Every metric with a value the operator watches is on the dashboard.
    unused = set(CATALOG) - referenced - {"solvency_ledger_balance_sats", "solvency_ledger_balance_usd_cents"}
    assert not unused, sorted(unused)
