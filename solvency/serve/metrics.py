"""The proof service's own metrics, on the exporter's conventions (docs/METRICS.md).

Same rules as `solvency.metrics.catalog`: the ``solvency_`` prefix, the base unit in the name,
``_total`` only on counters, and label values from small fixed sets: ``route`` is the route's
name from `ROUTES` (never the requested path, so no user id or epoch id becomes a label), and
``status`` is the HTTP status code. They live in the service's own `CollectorRegistry`, exposed
on the service's ``GET /metrics`` (the service is a separate process from ``solvency metrics``,
whose registry reads the ledger on every scrape).

Invariant: the service emits samples only under the names of `CATALOG`, with exactly its labels
(tests/serve checks it against a live scrape).
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "solvency_"

#: Route names, the only values of the ``route`` label; ``other`` is any path no route matched.
ROUTES = ("index", "epochs", "epoch_file", "log_head", "verify_page", "proof", "metrics", "other")

#: Latency buckets in seconds, dense around the 10 ms goal of a proof request.
BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0, 5.0)


@dataclass(frozen=True, slots=True)
class ServiceMetric:
    name: str  # the exposed name; counters include their `_total` suffix
    type: str  # "counter" or "histogram"
    unit: str
    labels: tuple[str, ...]
    help: str

    @property
    def family(self) -> str:
        return self.name.removesuffix("_total") if self.type == "counter" else self.name


CATALOG: dict[str, ServiceMetric] = {m.name: m for m in (
    ServiceMetric(PREFIX + "serve_requests_total", "counter", "requests", ("route", "status"),
                  "HTTP requests the proof service answered, by route name and status code"),
    ServiceMetric(PREFIX + "serve_request_duration_seconds", "histogram", "seconds", ("route",),
                  "Time from a request's arrival to its response being ready, by route name"),
    ServiceMetric(PREFIX + "serve_errors_total", "counter", "errors", ("route", "error"),
                  "Error responses by route name and error code of the JSON error body (docs/SERVE.md)"),
)}


class ServiceMetrics:
    """The three metric families in a fresh registry (prometheus_client is imported here, when
    the service starts, never by ``solvency --help``)."""

    def __init__(self, multiprocess: bool = False) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        # With several workers (`--workers`), each records into prometheus_client's multiprocess
        # files and a scrape of any worker sums them all.
        self.multiprocess = multiprocess
        self.registry = CollectorRegistry(auto_describe=True)
        requests, duration, errors = CATALOG.values()
        self.requests = Counter(requests.family, requests.help, requests.labels, registry=self.registry)
        self.duration = Histogram(duration.family, duration.help, duration.labels, buckets=BUCKETS, registry=self.registry)
        self.errors = Counter(errors.family, errors.help, errors.labels, registry=self.registry)

    def observe(self, route: str, status: int, seconds: float, error: str | None) -> None:
        self.requests.labels(route, str(status)).inc()
        self.duration.labels(route).observe(seconds)
        if error is not None:
            self.errors.labels(route, error).inc()

    def exposition(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

        if not self.multiprocess:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        from prometheus_client.multiprocess import MultiProcessCollector

        combined = CollectorRegistry()
        MultiProcessCollector(combined)
        return generate_latest(combined), CONTENT_TYPE_LATEST
