"""Readers for the ledger, the node snapshot and the publication; each returns a reading or a
`Failure`, never raises for a source that is down.

Ledger consistency (one ledger state per scrape): the reader takes the head digest, resolves the
cut-off to the head entry's ``committed_at`` and evaluates every definition at that cut-off. On the
committed axis that is exactly the state the digest names, whatever is posted meanwhile (the
store's ``committed_at`` is strictly increasing in commit order). Reporting-axis definitions can
see entries committed after the cut-off with an earlier ``reporting_at``, and the store interface
offers no read transaction, so the reader re-reads the digest afterwards and retries when it moved
(a sequence lock). After `LEDGER_RETRIES` moved digests the reporting-axis definitions are left
out of that scrape (absent, logged) rather than mixed from two states; the committed-axis ones
are exact for the last cut-off, so a busy ledger never takes the solvency figures down.

Snapshots: ``--snapshots DIR`` is re-read on every scrape; ``--snapshot-cmd CMD`` is run through
the shell with ``SOLVENCY_SNAPSHOT_DIR`` naming a fresh empty directory. The command either prints
the path of a snapshot directory as the last line of its standard output, or writes the snapshot
files into that directory (any other output is then ignored). A non-zero exit, a time-out, or
neither a printed directory nor written files takes every asset source down.

Publication: ``--publication DIR`` is one tree output directory (``DIR/commitment.json``) or a
directory of epochs (``DIR/<epoch>/public/commitment.json`` or a mirror's
``DIR/<epoch>/commitment.json``, docs/SPEC.md section 11.1). The latest epoch is the one with the
highest ``epoch.json`` sequence when every epoch has one, else the latest commitment ``as_of``.
With a pinned key every commitment and epoch signature is verified; any unreadable or invalid
artifact takes the publication source down.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.definitions import BalanceDefinition
from ledger.money import CURRENCIES
from ledger.open import open_store
from ledger.store import Store
from solvency.metrics.catalog import LEDGER_SOURCE, PUBLICATION_SOURCE
from solvency.metrics.node import node_down, read_node
from solvency.metrics.readings import Failure, LedgerReading, NodeReading, PublicationReading
from verifier.commitment import Commitment, parse_commitment, verify_commitment
from verifier.epoch import verify_epoch
from verifier.history import read_artifact

log = logging.getLogger(__name__)

LEDGER_RETRIES = 3
SNAPSHOT_DIR_ENV = "SOLVENCY_SNAPSHOT_DIR"


def definition_currencies(definition: BalanceDefinition) -> tuple[str, ...]:
    """Currencies a definition can hold: those its include selectors name (all if one names none)."""
    codes: set[str] = set()
    for selector in definition.include:
        codes |= set(selector.currency) if selector.currency is not None else set(CURRENCIES)
    return tuple(sorted(codes))


class LedgerSource:
    """Reads one consistent ledger state per call. Keeps its store open between calls (account
    and definition caches survive); not thread-safe, so the collector calls it from one thread."""

    def __init__(self, uri: str, definitions: Mapping[str, BalanceDefinition]) -> None:
        self.uri = uri
        self.definitions = dict(definitions)
        self._store: Store | None = None

    def _open(self) -> Store:
        if self._store is None:
            self._store = open_store(self.uri, create=False)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            try:
                self._store.close()
            finally:
                self._store = None

    def _read_once(self, store: Store) -> tuple[LedgerReading, bool]:
        digest = store.digest()
        as_of = 0
        if digest.entry_count:
            head_iter = store.entries(after_seq=digest.entry_count - 1)
            try:
                head = next(iter(head_iter))
            finally:
                close = getattr(head_iter, "close", None)
                if close is not None:
                    close()
            if head.seq != digest.entry_count or head.entry_hash != digest.head_hash:
                raise RuntimeError(f"ledger head changed under the reader (digest {digest}, entry seq {head.seq})")
            as_of = head.committed_at
        balances = []
        for name, definition in sorted(self.definitions.items()):
            totals = store.totals(definition, as_of)
            amounts = {code: 0 for code in definition_currencies(definition)}
            for code, amount in totals.items():
                if isinstance(amount, bool) or not isinstance(amount, int):
                    raise TypeError(f"definition {name}: the store returned a non-integer {code} total {amount!r}")
                amounts[code] = amount
            balances.append((name, tuple(sorted(amounts.items()))))
        stable = store.digest() == digest
        return LedgerReading(digest.entry_count, digest.head_hash, as_of, tuple(balances)), stable

    def read(self) -> LedgerReading | Failure:
        try:
            store = self._open()
            moving = sorted(name for name, d in self.definitions.items() if d.time_axis != "committed")
            for _ in range(LEDGER_RETRIES):
                reading, stable = self._read_once(store)
                if stable or not moving:
                    return reading
            log.warning(
                "reporting-axis definitions %s left out of this scrape: the ledger moved during %d consecutive reads",
                ", ".join(moving), LEDGER_RETRIES,
            )
            kept = tuple((name, amounts) for name, amounts in reading.balances if name not in moving)
            return LedgerReading(reading.entry_count, reading.head_hash, reading.as_of_us, kept)
        except Exception as exc:  # noqa: BLE001 - any failure makes the ledger unknown, not zero
            log.warning("ledger source is down: %s", exc)
            self.close()  # reopen on the next scrape (the file may have been replaced)
            return Failure(LEDGER_SOURCE, str(exc))


class SnapshotSource:
    """The node snapshot: a directory re-read per scrape, or a command run per scrape."""

    def __init__(self, directory: str | None = None, command: str | None = None, timeout: float = 30.0) -> None:
        if (directory is None) == (command is None):
            raise ValueError("give exactly one of a snapshot directory and a snapshot command")
        self.directory, self.command, self.timeout = directory, command, timeout

    def read(self) -> NodeReading:
        if self.directory is not None:
            return read_node(self.directory)
        try:
            with self._run_command() as directory:
                return read_node(directory)
        except _CommandFailed as exc:
            log.warning("snapshot command failed: %s", exc)
            return node_down(str(exc))

    @contextmanager
    def _run_command(self) -> Iterator[Path]:
        scratch = Path(tempfile.mkdtemp(prefix="solvency-snapshot-"))
        try:
            env = dict(os.environ, **{SNAPSHOT_DIR_ENV: str(scratch)})
            try:
                # A session of its own, so a time-out kills the whole pipeline, not only the shell
                # (a surviving child would hold the output pipes open).
                process = subprocess.Popen(
                    self.command,  # type: ignore[arg-type]
                    shell=True, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                )
            except OSError as exc:
                raise _CommandFailed(f"snapshot command could not start: {exc}") from None
            try:
                stdout, stderr = process.communicate(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
                raise _CommandFailed(f"snapshot command timed out after {self.timeout:g} s") from None
            if process.returncode != 0:
                tail = (stderr or "").strip().splitlines()[-1:] or ["(no error output)"]
                raise _CommandFailed(f"snapshot command exited with status {process.returncode}: {tail[0]}")
            lines = [line.strip() for line in (stdout or "").splitlines() if line.strip()]
            if lines and Path(lines[-1]).is_dir():
                yield Path(lines[-1])
            elif any(scratch.iterdir()) or not lines:
                yield scratch  # the command wrote the files; what it printed was progress output
            else:
                raise _CommandFailed(
                    f"snapshot command wrote nothing into ${SNAPSHOT_DIR_ENV} and its last output line {lines[-1]!r} is not a directory"
                )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


class _CommandFailed(Exception):
    pass


def _as_of_seconds(text: str) -> int:
    moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return int(moment.timestamp())


class PublicationSource:
    """The latest published commitment of a publication directory."""

    def __init__(self, directory: str, public_key: Ed25519PublicKey | None = None) -> None:
        self.directory = Path(directory)
        self.public_key = public_key

    def _candidates(self) -> list[Path]:
        if (self.directory / "commitment.json").is_file():
            return [self.directory]
        if not self.directory.is_dir():
            raise FileNotFoundError(f"{self.directory}: no such publication directory")
        out = []
        for child in sorted(self.directory.iterdir()):
            public = child / "public" if (child / "public").is_dir() else child
            if child.is_dir() and (public / "commitment.json").is_file():
                out.append(public)
        if not out:
            raise FileNotFoundError(
                f"{self.directory}: no commitment.json here nor in any <epoch>/ or <epoch>/public/ subdirectory"
            )
        return out

    def _read_epoch(self, public: Path) -> tuple[Commitment, int | None]:
        document = read_artifact(public / "commitment.json")
        commitment = verify_commitment(document, self.public_key) if self.public_key is not None else parse_commitment(document)
        sequence = None
        if (public / "epoch.json").is_file():
            epoch_doc = read_artifact(public / "epoch.json")
            if self.public_key is not None:
                sequence = verify_epoch(epoch_doc, self.public_key).sequence
            else:
                raw = epoch_doc.get("sequence") if isinstance(epoch_doc, dict) else None
                if type(raw) is not int or raw < 0:
                    raise ValueError(f"{public / 'epoch.json'}: sequence must be an integer >= 0")
                sequence = raw
            if isinstance(epoch_doc, dict) and epoch_doc.get("epoch") != commitment.epoch:
                raise ValueError(f"{public}: epoch.json and commitment.json name different epochs")
        return commitment, sequence

    def read(self) -> PublicationReading | Failure:
        try:
            epochs = [self._read_epoch(public) for public in self._candidates()]
            if all(sequence is not None for _, sequence in epochs):
                latest, sequence = max(epochs, key=lambda pair: pair[1] or 0)  # all sequences are ints here
            else:
                latest, sequence = max(epochs, key=lambda pair: (pair[0].as_of, pair[0].epoch))
            digest = latest.document.get("ledger_digest")
            return PublicationReading(
                path=str(self.directory),
                epoch=latest.epoch,
                as_of_seconds=_as_of_seconds(latest.as_of),
                root_sums=tuple(zip(latest.assets, latest.root_sums)),
                leaf_count=latest.leaf_count,
                ledger_entries=digest["entry_count"] if isinstance(digest, dict) else None,
                epochs=len(epochs),
                sequence=sequence,
            )
        except Exception as exc:  # noqa: BLE001 - any failure makes the publication unknown
            log.warning("publication source is down: %s", exc)
            return Failure(PUBLICATION_SOURCE, str(exc))
