"""Shared fixtures of the metrics tests: a ledger, a snapshot, a running exporter and a scraper."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

import metrics_fixtures as fx
from ledger.definitions import load_definitions
from solvency.metrics.collector import SolvencyCollector, make_registry
from solvency.metrics.figures import FigureConfig
from solvency.metrics.server import MetricsServer, start_server
from solvency.metrics.sources import LedgerSource, PublicationSource, SnapshotSource


@dataclass
class Scrape:
    """One parsed scrape: sample name -> {labels: value}, and family name -> type."""

    samples: dict[str, dict[frozenset, float]]
    types: dict[str, str]

    def value(self, name: str, **labels: str) -> float:
        return self.samples[name][frozenset(labels.items())]

    def has(self, name: str, **labels: str) -> bool:
        return frozenset(labels.items()) in self.samples.get(name, {})

    def labelled(self, name: str, label: str) -> set[str]:
        return {dict(key)[label] for key in self.samples.get(name, {})}


def parse(text: str) -> Scrape:
    samples: dict[str, dict[frozenset, float]] = {}
    types: dict[str, str] = {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for sample in family.samples:
            key = frozenset(sample.labels.items())
            assert key not in samples.setdefault(sample.name, {}), f"duplicate sample {sample.name}{sample.labels}"
            samples[sample.name][key] = sample.value
    return Scrape(samples, types)


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read().decode()


@dataclass
class Exporter:
    server: MetricsServer
    collector: SolvencyCollector
    db: Path
    snapshots: Path

    @property
    def url(self) -> str:
        return self.server.url

    def scrape(self) -> Scrape:
        status, text = fetch(self.url)
        assert status == 200
        return parse(text)


@pytest.fixture
def ledger_db(tmp_path: Path) -> Path:
    return fx.make_ledger(tmp_path / "ledger.db")


@pytest.fixture
def snapshot_dir(tmp_path: Path) -> Path:
    return fx.write_snapshot(tmp_path / "snapshot")


@pytest.fixture
def start_exporter(ledger_db: Path, snapshot_dir: Path) -> Iterator:
    """A factory: start a real HTTP exporter on a free loopback port; every one is shut down."""
    running: list[Exporter] = []

    def start(*, publication: PublicationSource | None = None, snapshots: SnapshotSource | None = None,
              config: FigureConfig = FigureConfig()) -> Exporter:
        collector = SolvencyCollector(
            LedgerSource(str(ledger_db), load_definitions()),
            snapshots or SnapshotSource(str(snapshot_dir)),
            publication,
            config,
        )
        server = start_server(make_registry(collector), "127.0.0.1", 0)
        running.append(Exporter(server, collector, ledger_db, snapshot_dir))
        return running[-1]

    yield start
    for exporter in running:
        exporter.server.shutdown()
        exporter.collector.close()
