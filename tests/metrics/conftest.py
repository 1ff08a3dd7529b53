"""Shared fixtures of the metrics tests: a ledger, a snapshot, a running exporter and a scraper."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import metrics_fixtures as fx
import pytest
from metrics_fixtures import Scrape, fetch, parse

from ledger.definitions import load_definitions
from solvency.metrics.collector import SolvencyCollector, make_registry
from solvency.metrics.figures import FigureConfig
from solvency.metrics.server import MetricsServer, start_server
from solvency.metrics.sources import LedgerSource, PublicationSource, SnapshotSource


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
              config: FigureConfig | None = None) -> Exporter:
        collector = SolvencyCollector(
            LedgerSource(str(ledger_db), load_definitions()),
            snapshots or SnapshotSource(str(snapshot_dir)),
            publication,
            config or FigureConfig(),
        )
        server = start_server(make_registry(collector), "127.0.0.1", 0, poll_interval=0.05)
        running.append(Exporter(server, collector, ledger_db, snapshot_dir))
        return running[-1]

    yield start
    for exporter in running:
        exporter.server.shutdown()
        exporter.collector.close()
