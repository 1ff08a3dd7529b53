"""Atomic creation of a directory tree: build in a staging directory, fsync, rename.

A reader of the parent directory sees either no entry or the complete tree. Staging
directories are named `.staging-*` so that a crash leaves only something `clear_stale_staging`
removes and that no reader mistakes for an epoch.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STAGING_PREFIX = ".staging-"


def fsync_file(path: str | os.PathLike[str]) -> None:
    """fsync one file's data and metadata."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """fsync every file and directory under `root`, then `root` itself."""
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            fsync_file(os.path.join(dirpath, name))
        fd = os.open(dirpath, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def clear_stale_staging(parent: Path) -> list[Path]:
    """Remove staging directories left by crashed runs; returns what was removed."""
    removed = []
    if parent.is_dir():
        for entry in parent.iterdir():
            if entry.name.startswith(STAGING_PREFIX) and entry.is_dir():
                shutil.rmtree(entry)
                removed.append(entry)
    return removed


@contextmanager
def atomic_directory(target: Path) -> Iterator[Path]:
    """Yield a staging directory; on normal exit it becomes `target` (which must not exist)."""
    target = Path(target)
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise FileExistsError(f"{target} already exists; published epochs are never overwritten")
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{target.name}-", dir=parent))
    try:
        yield staging
        fsync_tree(staging)
        os.rename(staging, target)
        fd = os.open(parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
