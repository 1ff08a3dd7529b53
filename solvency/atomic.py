"""Atomic file and directory writing: stage next to the target, fsync, rename, fsync the directory.

A reader of the parent directory sees either no entry (or the previous file) or the complete new
one, and a crash leaves at most a staging entry that no reader mistakes for the real thing:

* `atomic_write` writes one file from bytes or a writer callback (keys, attestations, balances
  files, exports, the metrics textfile);
* `staged_file` yields a path for a file that something else creates (a SQLite database), and
  installs it the same way;
* `atomic_directory` builds a directory tree (a published epoch, a tree's output).

Staging entries start with a dot and never end in the target's name, so globs such as ``*.prom``
or ``epoch-*`` never match them. ``overwrite=False`` installs with a hard link, so an existing
target is never replaced, even by a concurrent writer (`FileExistsError`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TypeVar

STAGING_PREFIX = ".staging-"

T = TypeVar("T")
StrPath = str | os.PathLike[str]


def fsync_file(path: StrPath) -> None:
    """fsync one file's data and metadata."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: StrPath) -> None:
    """fsync a directory, so that a rename or link inside it survives a crash."""
    fsync_file(path)


def fsync_tree(root: Path) -> None:
    """fsync every file and directory under `root`, then `root` itself."""
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            fsync_file(os.path.join(dirpath, name))
        fsync_dir(dirpath)


def _parent(target: Path) -> Path:
    return target.parent if str(target.parent) else Path(".")


def _staging_name(target: Path, prefix: str | None) -> Path:
    """A fresh, unused path next to `target` (nothing is created)."""
    fd, name = tempfile.mkstemp(prefix=prefix or f".{target.name}.", suffix=".tmp", dir=_parent(target))
    os.close(fd)
    os.unlink(name)
    return Path(name)


def _remove(path: Path, side_suffixes: tuple[str, ...] = ()) -> None:
    for suffix in ("", *side_suffixes):
        try:
            os.unlink(f"{path}{suffix}")
        except FileNotFoundError:
            pass


def _install(staging: Path, target: Path, overwrite: bool, side_suffixes: tuple[str, ...] = ()) -> None:
    """Move the finished, fsynced `staging` onto `target` and fsync the directory."""
    if overwrite:
        # A stale side file next to the target (a SQLite -wal) would be applied to the new file.
        for suffix in side_suffixes:
            _remove(Path(f"{target}{suffix}"))
        os.replace(staging, target)
    else:
        os.link(staging, target)  # FileExistsError if the target exists: it is never replaced
        os.unlink(staging)
    fsync_dir(_parent(target))


def atomic_write(
    target: StrPath,
    content: bytes | Callable[[BinaryIO], T],
    *,
    mode: int | None = None,
    overwrite: bool = True,
    prefix: str | None = None,
) -> T | None:
    """Write `target` atomically from `content`: bytes, or a callback writing to a binary handle.

    `mode` is set exactly (0600 for a private key); None gives a plain new file's permissions
    (0666 less the umask). Returns what the callback returned (None for bytes).
    """
    target = Path(target)
    fd, name = tempfile.mkstemp(prefix=prefix or f".{target.name}.", suffix=".tmp", dir=_parent(target))
    staging = Path(name)
    try:
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            result: T | None = None
            if isinstance(content, bytes):
                handle.write(content)
            else:
                result = content(handle)
            handle.flush()
            os.fsync(handle.fileno())
        _install(staging, target, overwrite)
    except BaseException:
        _remove(staging)
        raise
    return result


@contextmanager
def staged_file(
    target: StrPath, *, overwrite: bool = True, side_suffixes: tuple[str, ...] = (), prefix: str | None = None
) -> Iterator[Path]:
    """Yield a fresh path next to `target` for the caller to create (e.g. a SQLite database).

    On normal exit the file is fsynced and installed as `target` (see `atomic_write`); on an
    exception it is removed. `side_suffixes` name side files (``-wal``, ``-shm``) that are removed
    with the staging file, and removed next to `target` before it is replaced. The caller makes
    sure nothing still needs a side file (close the database, checkpoint its WAL).
    """
    target = Path(target)
    staging = _staging_name(target, prefix)
    try:
        yield staging
        fsync_file(staging)
        _install(staging, target, overwrite, side_suffixes)
    except BaseException:
        _remove(staging, side_suffixes)
        raise
    _remove(staging, side_suffixes)


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
        fsync_dir(parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
