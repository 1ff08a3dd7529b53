"""The node_exporter textfile collector output: one scrape written atomically.

node_exporter reads ``*.prom`` files from its ``--collector.textfile.directory`` at its own pace,
so a half-written file must never be visible: the text goes to a temporary file in the same
directory (whose name does not end in ``.prom``, so it is never read), is flushed and fsynced,
renamed over the target, and the directory is fsynced so the rename survives a crash. The file is
world-readable (0644) because node_exporter usually runs as another user.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from prometheus_client import generate_latest
from prometheus_client.registry import CollectorRegistry


def write_atomic(path: str | Path, data: bytes, mode: int = 0o644) -> None:
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    temp = directory / f".{target.name}.{os.getpid()}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_textfile(path: str, registry: CollectorRegistry) -> bytes:
    """Scrape `registry` once and write the text format to `path` (``-``: standard output)."""
    data = generate_latest(registry)
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        write_atomic(path, data)
    return data
