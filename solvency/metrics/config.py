"""The exporter's start-up: check the configuration once and open the three readers.

Configuration problems (an unreadable definitions file, a definition name that is not in it, a
missing ledger file, an unreadable publication key) are refused here with `ConfigError`, before
the first scrape; a source that fails *during* a scrape is reported through
``solvency_source_up`` instead (`solvency.metrics.collector`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ledger.definitions import load_definitions
from ledger.errors import DefinitionError
from solvency.metrics.figures import FigureConfig
from solvency.metrics.sources import LedgerSource, PublicationSource, SnapshotSource
from verifier.signature import load_public_key


class ConfigError(ValueError):
    """The exporter's configuration is refused at start-up; the message names the option."""


@dataclass(frozen=True)
class Readers:
    """What `solvency.metrics.collector.SolvencyCollector` reads on every scrape."""

    ledger: LedgerSource
    snapshots: SnapshotSource
    publication: PublicationSource | None
    config: FigureConfig


def open_readers(
    config: FigureConfig,
    *,
    db: str,
    definitions: str | None,
    snapshots: str | None,
    snapshot_cmd: str | None,
    snapshot_timeout: float,
    publication: str | None,
    publication_key: str | None,
) -> Readers:
    """Check `config` against the definitions file and the inputs; return the readers."""
    try:
        loaded = load_definitions(definitions)
    except DefinitionError as exc:
        raise ConfigError(str(exc)) from None
    wanted = [("--liabilities-definition", config.liabilities_definition), ("--equity-definition", config.equity_definition)]
    wanted += [(f"--source-definition {source}", name) for source, name in config.source_definitions]
    for option, name in wanted:
        if name not in loaded:
            raise ConfigError(f"{option}: no definition {name!r} in {definitions or 'the packaged definitions'} (known: {', '.join(loaded)})")
    if "://" not in db and not os.path.isfile(db):
        raise ConfigError(f"--db {db}: no ledger file here (create one with `solvency ledger init`)")
    key = None
    if publication_key is not None:
        try:
            key = load_public_key(publication_key)
        except Exception as exc:  # noqa: BLE001 - any key problem is a rejected input
            raise ConfigError(f"--publication-key: {exc}") from None
    return Readers(
        LedgerSource(db, loaded),
        SnapshotSource(snapshots, snapshot_cmd, snapshot_timeout),
        PublicationSource(publication, key) if publication is not None else None,
        config,
    )
