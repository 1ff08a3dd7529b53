"""Starting the proof service: start-up checks, the aiohttp server, and a thread-hosted instance.

Start-up refuses, with one line naming the path and the reason (`ServeError`, exit 1 from the
command): a PUBDIR that is not a directory, a token file that is missing, unreadable, or whose
token is not one line of at least `MIN_TOKEN_CHARS` visible ASCII characters, and an address
that cannot be bound. An epoch that does not load at start-up is logged and answers 503; it is
retried on each request, so it does not stop the service.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiohttp import web

    from solvency.serve.publication import Publication

MIN_TOKEN_CHARS = 32

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


async def _start(pubdir: Path, token: str, host: str, port: int, verify_each: bool) -> tuple[web.AppRunner, Publication, str, int]:
    from aiohttp import web

    from solvency.serve.app import LIMITS, ProofService
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
    runner = web.AppRunner(ProofService(publication, token).app(), access_log=None, handle_signals=False,
                           max_line_size=LIMITS["max_line_size"], max_field_size=LIMITS["max_field_size"])
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    bound = runner.addresses[0]
    return runner, publication, str(bound[0]), int(bound[1])


async def _serve(pubdir: Path, token: str, host: str, port: int, stop: threading.Event,
                 on_ready: Callable[[Service], None], verify_each: bool = False) -> None:
    runner, publication, bound_host, bound_port = await _start(pubdir, token, host, port, verify_each)
    try:
        on_ready(Service(bound_host, bound_port, stop))
        while not stop.is_set():
            await asyncio.sleep(0.05)
    finally:
        await runner.cleanup()
        publication.close()


def run(pubdir: str | Path, token_file: str | Path, host: str = "127.0.0.1", port: int = 8080, *, json_output: bool = False,
        verify_each: bool = False) -> None:
    """Serve until SIGINT or SIGTERM. Prints one line when listening (JSON with ``--json``)."""
    directory = check_pubdir(pubdir)
    token = read_token(token_file)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stop = threading.Event()

    def ready(service: Service) -> None:
        line = (json.dumps({"url": service.url, "host": service.host, "port": service.port, "pubdir": str(directory)})
                if json_output else f"serving {directory} on {service.url} (proofs need the bearer token; Ctrl-C stops)")
        print(line, flush=True)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await _serve(directory, token, host, port, stop, ready, verify_each)

    asyncio.run(main())


@contextmanager
def running(pubdir: str | Path, token_file: str | Path, host: str = "127.0.0.1", port: int = 0, *,
            verify_each: bool = False) -> Iterator[Service]:
    """The service on its own event loop in a daemon thread (tests, benchmarks); port 0 picks a
    free port. Start-up errors are raised here."""
    directory = check_pubdir(pubdir)
    token = read_token(token_file)
    stop = threading.Event()
    started: list[Service | BaseException] = []
    ready = threading.Event()

    def on_ready(service: Service) -> None:
        started.append(service)
        ready.set()

    def target() -> None:
        try:
            asyncio.run(_serve(directory, token, host, port, stop, on_ready, verify_each))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            started.append(exc)
            ready.set()

    thread = threading.Thread(target=target, name="solvency-serve", daemon=True)
    thread.start()
    ready.wait()
    outcome = started[0]
    if isinstance(outcome, BaseException):
        raise outcome
    try:
        yield outcome
    finally:
        stop.set()
        thread.join()


__all__ = ["MIN_TOKEN_CHARS", "ServeError", "Service", "check_pubdir", "read_token", "run", "running"]
