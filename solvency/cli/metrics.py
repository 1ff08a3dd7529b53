"""`solvency metrics`: Prometheus metrics of assets and liabilities (docs/METRICS.md).

* ``solvency metrics serve --db DB --snapshots DIR --port 9464`` serves ``/metrics`` over HTTP;
  every scrape reads the ledger, the snapshot and the publication afresh.
* ``solvency metrics write FILE --db DB --snapshots DIR`` writes one scrape for node_exporter's
  textfile collector (atomically; ``-`` prints it).

``--layout galoy-bria`` (or a layout file) maps the asset sources to the reserve definitions as
``solvency report reconcile --layout`` maps the snapshot's categories, so both show one drift.

Configuration problems (unknown definition names, an unreadable definitions file or key, a
missing ledger file) are refused at start-up with exit 1; a source that fails *during* a scrape
is reported through ``solvency_source_up`` and never stops the exporter. Exit 2: usage error.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from solvency.books.layout import LayoutError, load_layout
from solvency.cli.common import Rejected, emit_json, json_option, rejecting
from solvency.metrics.catalog import ASSET_SOURCES
from solvency.metrics.config import ConfigError, open_readers
from solvency.metrics.figures import FigureConfig
from solvency.metrics.figures import source_definitions as source_definitions_of

if TYPE_CHECKING:
    from solvency.metrics.collector import SolvencyCollector

SOURCE_CHOICES = ASSET_SOURCES


def _data_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--db", required=True, help="The ledger: a SQLite path, sqlite:///path or mongodb://..."),
        click.option("--snapshots", type=click.Path(file_okay=False), help="Snapshot directory, re-read on every scrape."),
        click.option(
            "--snapshot-cmd",
            help="Shell command run on every scrape; it writes the snapshot into $SOLVENCY_SNAPSHOT_DIR "
            "or prints the path of a snapshot directory as its last line.",
        ),
        click.option("--snapshot-timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True, help="Seconds the snapshot command may run."),
        click.option("--publication", type=click.Path(file_okay=False), help="A tree output directory or a directory of published epochs."),
        click.option("--publication-key", help="Pin the bank's public key (.pub file or hex): verify every published signature."),
        click.option("--definitions", type=click.Path(dir_okay=False), help="Balance definitions file (default: the packaged Galoy-style one)."),
        click.option("--liabilities-definition", default="customer-liabilities", show_default=True, help="Definition whose total is the customer liabilities."),
        click.option("--equity-definition", default="bankowner-equity", show_default=True, help="Definition whose total is the bank's equity."),
        click.option(
            "--layout",
            "layout_spec",
            metavar="NAME|FILE",
            help="Books layout mapping asset sources to reserve definitions, as `solvency report reconcile --layout`: "
            "galoy-lnd (default), galoy-bria (source bria is onchain-hot, lnd's on-chain wallet lightning-reserve) or a layout file.",
        ),
        click.option(
            "--source-definition",
            "source_definitions",
            multiple=True,
            metavar="SOURCE=NAME",
            help="Definition that books an asset source, for reconciliation (NAME 'none' disables it). "
            f"Sources: {', '.join(SOURCE_CHOICES)}.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _source_mapping(pairs: tuple[str, ...], defaults: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    mapping = dict(defaults)
    for pair in pairs:
        source, sep, name = pair.partition("=")
        if not sep or source not in SOURCE_CHOICES or not name:
            raise click.UsageError(f"--source-definition {pair!r}: expected SOURCE=NAME with SOURCE one of {', '.join(SOURCE_CHOICES)}")
        if name == "none":
            mapping.pop(source, None)
        else:
            mapping[source] = name
    return tuple((s, mapping[s]) for s in SOURCE_CHOICES if s in mapping)


def _build_collector(db: str, snapshots: str | None, snapshot_cmd: str | None, snapshot_timeout: float, publication: str | None,
                     publication_key: str | None, definitions: str | None, liabilities_definition: str, equity_definition: str,
                     layout_spec: str | None, source_definitions: tuple[str, ...]) -> SolvencyCollector:
    if (snapshots is None) == (snapshot_cmd is None):
        raise click.UsageError("give exactly one of --snapshots DIR and --snapshot-cmd CMD")
    if publication_key is not None and publication is None:
        raise click.UsageError("--publication-key needs --publication")
    from solvency.metrics.collector import SolvencyCollector  # prometheus_client: not for --help

    try:
        layout = load_layout(layout_spec)
    except LayoutError as exc:
        raise Rejected(f"--layout {exc}") from None
    config = FigureConfig(liabilities_definition, equity_definition, _source_mapping(source_definitions, source_definitions_of(layout)))
    with rejecting(ConfigError):
        readers = open_readers(config, db=db, definitions=definitions, snapshots=snapshots, snapshot_cmd=snapshot_cmd,
                               snapshot_timeout=snapshot_timeout, publication=publication, publication_key=publication_key)
    return SolvencyCollector(readers.ledger, readers.snapshots, readers.publication, readers.config)


def _log_to_stderr() -> None:
    logging.basicConfig(level=logging.WARNING, format="solvency metrics: %(message)s")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def metrics() -> None:
    """Serve or write Prometheus metrics of assets and liabilities."""


@metrics.command()
@_data_options
@click.option("--port", type=click.IntRange(0, 65535), default=9464, show_default=True, help="TCP port (0: any free port).")
@click.option("--addr", default="127.0.0.1", show_default=True, help="Address to bind; loopback unless you mean to expose it.")
def serve(port: int, addr: str, **data: Any) -> None:
    """Serve /metrics over HTTP until interrupted (SIGINT or SIGTERM)."""
    from solvency.metrics.collector import make_registry
    from solvency.metrics.server import start_server

    _log_to_stderr()
    collector = _build_collector(**data)
    try:
        try:
            server = start_server(make_registry(collector), addr, port)
        except OSError as exc:
            raise Rejected(f"cannot listen on {addr}:{port}: {exc.strerror or exc}") from None
        stop = threading.Event()
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            click.echo(f"serving {server.url}", err=True)
            while not stop.wait(3600):
                pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            server.shutdown()
    finally:
        collector.close()
    click.echo("stopped", err=True)


@metrics.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@_data_options
@json_option
def write(file: str, as_json: bool, **data: Any) -> None:
    """Write one scrape to FILE for node_exporter's textfile collector (atomic; '-' prints it)."""
    from solvency.metrics.collector import make_registry
    from solvency.metrics.textfile import write_textfile

    if as_json and file == "-":
        raise click.UsageError("--json describes the file written; give a FILE, not '-'")
    _log_to_stderr()
    collector = _build_collector(**data)
    try:
        try:
            text = write_textfile(file, make_registry(collector))
        except OSError as exc:
            raise Rejected(f"cannot write {file}: {exc.strerror or exc}") from None
    finally:
        collector.close()
    if as_json:
        emit_json({"file": file, "bytes": len(text), "samples": _samples(text.decode())})


def _samples(text: str) -> dict[str, str]:
    """The text format's samples, ``name{labels}`` -> value as written (NaN and +Inf are not JSON numbers)."""
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = value
    return samples
