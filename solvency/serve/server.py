"""Starting the proof service: start-up checks, the aiohttp server, and a thread-hosted instance.

Start-up refuses, with one line naming the path and the reason (`ServeError`, exit 1 from the
command): a PUBDIR that is not a directory, a token file that is missing, unreadable, or whose
token is not one line of at least `MIN_TOKEN_CHARS` visible ASCII characters, and an address
that cannot be bound. An epoch that does not load at start-up is logged and answers 503; it is
retried on each request, so it does not stop the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiohttp import web

    from solvency.serve.publication import Publication

MIN_TOKEN_CHARS = 32
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

log = logging.getLogger("solvency.serve")


class ServeError(Exception):
    """The service cannot start (bad PUBDIR, token file or address)."""


def read_token(path: str | Path) -> str:
    """The bearer token from `path`: one line of >= 32 visible ASCII characters (a trailing
    newline is allowed), e.g. from ``openssl rand -hex 32``."""
    try:
        text = Path(path).read_text(encoding="ascii")
    except FileNotFoundError:
        raise ServeError(f"{path}: token file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ServeError(f"{path}: cannot read the token file: {getattr(exc, 'strerror', None) or exc}") from None
    token = text.removesuffix("\n").removesuffix("\r")
    if len(token) < MIN_TOKEN_CHARS or not all("!" <= c <= "~" for c in token):
        raise ServeError(f"{path}: the token must be one line of at least {MIN_TOKEN_CHARS} visible ASCII characters "
                         "(e.g. `openssl rand -hex 32 > {path}`)".replace("{path}", str(path)))
    return token


def check_pubdir(path: str | Path) -> Path:
    pubdir = Path(path)
    if not pubdir.is_dir():
        raise ServeError(f"{pubdir}: publication directory not found (write it with `solvency publish --out {pubdir}`)")
    return pubdir


@dataclass
class Service:
    """A bound, running service: its base URL and how to stop it."""

    host: str
    port: int
    stop: threading.Event

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def _bind(host: str, port: int) -> socket.socket:
    try:
        return socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET, backlog=1024)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


async def _start(pubdir: Path, token: str, sock: socket.socket, verify_each: bool) -> tuple[web.AppRunner, Publication]:
    from aiohttp import web

    from solvency.serve.app import LIMITS, ProofService
    from solvency.serve.metrics import ServiceMetrics
    from solvency.serve.publication import Publication

    publication = Publication(pubdir, verify_each)
    good, bad = publication.summaries()
    for summary in good:  # warm the stores so the first proof of each epoch is as fast as the rest
        try:
            publication.load(summary.epoch)
        except Exception as exc:  # noqa: BLE001 - a broken epoch is logged and answers 503
            log.warning("epoch %s is unavailable: %s", summary.epoch, exc)
    for name in bad:
        log.warning("epoch %s is unavailable: its epoch.json cannot be read", name)
    service = ProofService(publication, token, ServiceMetrics(multiprocess=MULTIPROC_ENV in os.environ))
    runner = web.AppRunner(service.app(), access_log=None, handle_signals=False,
                           max_line_size=LIMITS["max_line_size"], max_field_size=LIMITS["max_field_size"])
    await runner.setup()
    await web.SockSite(runner, sock).start()
    return runner, publication


async def _serve(pubdir: Path, token: str, sock: socket.socket, stop: threading.Event, verify_each: bool = False) -> None:
    runner, publication = await _start(pubdir, token, sock, verify_each)
    try:
        while not stop.is_set():
            await asyncio.sleep(0.05)
    finally:
        await runner.cleanup()
        publication.close()


def _stop_on_signals(stop: threading.Event) -> None:
    """SIGINT and SIGTERM set `stop` from now on (the serving loop polls it): installed before the
    ready line is printed, so a signal sent as soon as it is read stops the service cleanly (exit
    0), and inherited by forked workers until they exit."""

    def handler(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def _worker(pubdir: Path, token: str, sock: socket.socket, verify_each: bool, stop: threading.Event) -> None:
    asyncio.run(_serve(pubdir, token, sock, stop, verify_each))


def _fork_workers(pubdir: Path, token: str, sock: socket.socket, verify_each: bool, workers: int, stop: threading.Event,
                  ready_line: str) -> None:
    """`workers` processes accept on the one listening socket; the parent forwards SIGINT/SIGTERM,
    prints `ready_line` and waits for them. Each child inherits `_stop_on_signals` (the parent's
    handlers at fork) and its own copy of `stop`. The two signals are blocked while forking: one
    that reached a child before the interpreter's after-fork reset would be dropped by it, and one
    that reached the parent before `forward` would miss the children; blocked, each stays pending
    until the process unblocks it with its handler in place. Their metrics are summed through
    prometheus_client's multiprocess mode."""
    signals = {signal.SIGINT, signal.SIGTERM}
    pids = []
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            code = 0
            try:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, signals)
                _worker(pubdir, token, sock, verify_each, stop)
            except BaseException:  # noqa: BLE001 - logged, and the exit code says it
                log.exception("worker %d stopped", os.getpid())
                code = 1
            finally:
                os._exit(code)
        pids.append(pid)

    def forward(signum: int, frame: object) -> None:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, signals)
    print(ready_line, flush=True)
    for pid in pids:
        os.waitpid(pid, 0)


def run(pubdir: str | Path, token_file: str | Path, host: str = "127.0.0.1", port: int = 8080, *, json_output: bool = False,
        verify_each: bool = False, workers: int = 1, json_marker: dict[str, str] | None = None) -> None:
    """Serve until SIGINT or SIGTERM. Prints one line when listening (JSON with ``--json``, with
    the members of `json_marker` too: the CLI's version marker, docs/CLI.md).
    With `workers` > 1, that many forked processes share the listening socket (one per core)."""
    import aiohttp  # noqa: F401 -- without the prover extra, fail before announcing an address

    directory = check_pubdir(pubdir)
    token = read_token(token_file)
    if workers < 1:
        raise ServeError(f"--workers must be at least 1, not {workers}")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    sock = _bind(host, port)
    bound = sock.getsockname()
    service = Service(str(bound[0]), int(bound[1]), threading.Event())
    line = (json.dumps({**(json_marker or {}), "url": service.url, "host": service.host, "port": service.port, "pubdir": str(directory),
                        "workers": workers})
            if json_output else f"serving {directory} on {service.url} with {workers} worker(s) (proofs need the bearer token; Ctrl-C stops)")
    stop = threading.Event()
    _stop_on_signals(stop)  # before the ready line: see `_stop_on_signals`
    with sock:
        if workers == 1:
            print(line, flush=True)
            _worker(directory, token, sock, verify_each, stop)
            return
        with tempfile.TemporaryDirectory(prefix="solvency-serve-metrics-") as scratch:
            os.environ[MULTIPROC_ENV] = scratch  # read by prometheus_client when the workers import it
            _fork_workers(directory, token, sock, verify_each, workers, stop, line)


@contextmanager
def running(pubdir: str | Path, token_file: str | Path, host: str = "127.0.0.1", port: int = 0, *,
            verify_each: bool = False) -> Iterator[Service]:
    """The service on its own event loop in a daemon thread (tests, benchmarks); port 0 picks a
    free port. Start-up errors are raised here."""
    directory = check_pubdir(pubdir)
    token = read_token(token_file)
    stop = threading.Event()
    sock = _bind(host, port)
    bound = sock.getsockname()
    started: list[Service | BaseException] = []
    ready = threading.Event()

    async def serve_and_report() -> None:
        runner, publication = await _start(directory, token, sock, verify_each)
        try:
            started.append(Service(str(bound[0]), int(bound[1]), stop))
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)
        finally:
            await runner.cleanup()
            publication.close()

    def target() -> None:
        try:
            asyncio.run(serve_and_report())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            started.append(exc)
            ready.set()

    thread = threading.Thread(target=target, name="solvency-serve", daemon=True)
    thread.start()
    ready.wait()
    outcome = started[0]
    if isinstance(outcome, BaseException):
        sock.close()
        raise outcome
    try:
        yield outcome
    finally:
        stop.set()
        thread.join()
        sock.close()


__all__ = ["MIN_TOKEN_CHARS", "ServeError", "Service", "check_pubdir", "read_token", "run", "running"]
