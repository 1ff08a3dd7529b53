"""The prometheus_client collector: one scrape reads every source once and yields the samples.

Threading: prometheus_client's HTTP server answers each request on its own thread, while a store
(an SQLite connection) belongs to the thread that opened it. Every scrape therefore runs on one
dedicated worker thread, one at a time: concurrent scrapes queue instead of multiplying the load
on the ledger and the snapshot command, and the ledger store stays open (with its caches) between
scrapes.

This is the exposition layer: amounts stay ``int`` (ratios `Fraction`) up to `families`, which
hands prometheus_client the floats its data model needs; float64 is exact below 2**53, which every
bitcoin amount (at most 2.1e15 sats) is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from solvency.metrics.catalog import ASSET_SOURCES, CATALOG, LEDGER_SOURCE, PREFIX, PRICE_SOURCE, PUBLICATION_SOURCE
from solvency.metrics.figures import FigureConfig, Sample, compute
from solvency.metrics.readings import Failure
from solvency.metrics.sources import LedgerSource, PublicationSource, SnapshotSource


def families(samples: Iterable[Sample]) -> list[Metric]:
    """Group samples into metric families in catalog order; names without samples are left out
    (absent, not zero)."""
    grouped: dict[str, list[Sample]] = {}
    for sample in samples:
        grouped.setdefault(sample.name, []).append(sample)
    out: list[Metric] = []
    for name, spec in CATALOG.items():
        members = grouped.get(name)
        if not members:
            continue
        kind = CounterMetricFamily if spec.type == "counter" else GaugeMetricFamily
        family = kind(spec.family, spec.help, labels=list(spec.labels))
        for sample in members:
            family.add_metric([value for _, value in sample.labels], float(sample.value))
        out.append(family)
    return out


class SolvencyCollector(Collector):
    """Reads the ledger, the node snapshot and (optionally) the publication on every collect()."""

    def __init__(
        self,
        ledger: LedgerSource,
        snapshots: SnapshotSource,
        publication: PublicationSource | None = None,
        config: FigureConfig | None = None,
    ) -> None:
        self.ledger, self.snapshots, self.publication = ledger, snapshots, publication
        self.config = config if config is not None else FigureConfig()
        sources = [LEDGER_SOURCE, *ASSET_SOURCES] + ([PUBLICATION_SOURCE] if publication is not None else [])
        self._errors = {source: 0 for source in sources}
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="solvency-scrape")
        self._closed = threading.Event()

    def describe(self) -> list[Metric]:
        # Registering must not trigger a scrape (it would read the ledger at start-up).
        return []

    def scrape(self) -> tuple[Sample, ...]:
        """Read every source once and compute every sample. Runs on the worker thread."""
        started = time.perf_counter_ns()
        ledger = self.ledger.read()
        node = self.snapshots.read()
        publication = self.publication.read() if self.publication is not None else None
        samples = list(compute(self.config, ledger, node, publication))
        if node.price is not None:  # the price is a source once a snapshot declares one
            self._errors.setdefault(PRICE_SOURCE, 0)
        for reading in (ledger, *node.sources, node.price, publication):
            if isinstance(reading, Failure):
                self._errors[reading.source] += 1
        for source, count in self._errors.items():
            samples.append(Sample(PREFIX + "source_errors_total", (("source", source),), count))
        elapsed = Fraction(time.perf_counter_ns() - started, 1_000_000_000)
        samples.append(Sample(PREFIX + "scrape_duration_seconds", (), elapsed))
        return tuple(samples)

    def collect(self) -> Iterator[Metric]:
        if self._closed.is_set():
            return iter(())
        return iter(families(self._worker.submit(self.scrape).result()))

    def close(self) -> None:
        """Stop the worker and close the ledger store (on the worker thread that opened it)."""
        if self._closed.is_set():
            return
        self._closed.set()
        try:
            self._worker.submit(self.ledger.close).result()
        finally:
            self._worker.shutdown(wait=True)


def make_registry(collector: SolvencyCollector) -> CollectorRegistry:
    """A dedicated registry holding only the solvency collector (never the global one, so no
    process or platform metrics of the exporter are mixed in)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry
