"""The node_exporter textfile collector output: one scrape written atomically.

node_exporter reads ``*.prom`` files from its ``--collector.textfile.directory`` at its own pace,
so a half-written file must never be visible: it is written with `solvency.atomic.atomic_write`
(a staging file in the same directory whose name does not end in ``.prom``, so it is never read,
fsynced, renamed over the target, the directory fsynced). The file is
world-readable (0644) because node_exporter usually runs as another user.
"""

from __future__ import annotations

import sys

from prometheus_client import generate_latest
from prometheus_client.registry import CollectorRegistry

from solvency.atomic import atomic_write


def write_textfile(path: str, registry: CollectorRegistry) -> bytes:
    """Scrape `registry` once and write the text format to `path` (``-``: standard output)."""
    data = generate_latest(registry)
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        atomic_write(path, data, mode=0o644)
    return data
