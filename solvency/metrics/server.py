"""The HTTP endpoint: ``GET /metrics`` in the Prometheus text format, served by prometheus_client.

Only ``/metrics`` serves metrics (``/`` answers with a pointer to it, anything else is 404), so a
mistyped scrape path fails loudly instead of silently scraping. The server binds to loopback by
default; exposing the bank's balances to a network is the operator's explicit choice (``--addr``).
Each request runs on its own thread; the collector serialises the actual reads.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from wsgiref.simple_server import WSGIRequestHandler, make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from prometheus_client import make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.registry import CollectorRegistry

METRICS_PATH = "/metrics"


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


def _routed(metrics_app: WSGIApplication) -> WSGIApplication:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if path == METRICS_PATH:
            return metrics_app(environ, start_response)
        if path == "/":
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [f"solvency metrics exporter: scrape {METRICS_PATH}\n".encode()]
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [f"not found; metrics are at {METRICS_PATH}\n".encode()]

    return app


@dataclass
class MetricsServer:
    httpd: ThreadingWSGIServer
    thread: threading.Thread

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.httpd.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}{METRICS_PATH}"

    def shutdown(self) -> None:
        """Stop serving, wait for the serving thread and release the socket."""
        self.httpd.shutdown()
        self.thread.join()
        self.httpd.server_close()


def start_server(
    registry: CollectorRegistry, addr: str = "127.0.0.1", port: int = 9464, *, poll_interval: float = 0.5
) -> MetricsServer:
    """Serve `registry` on ``http://addr:port/metrics`` from a daemon thread. Port 0 picks a free
    port (see `MetricsServer.address`); `poll_interval` bounds how long `shutdown` waits. Raises
    `OSError` when the address cannot be bound."""

    class Server(ThreadingWSGIServer):
        address_family = socket.AF_INET6 if ":" in addr else socket.AF_INET

    httpd = make_server(addr, port, _routed(make_wsgi_app(registry)), Server, handler_class=_QuietHandler)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": poll_interval}, name="solvency-metrics-http", daemon=True
    )
    thread.start()
    return MetricsServer(httpd, thread)
