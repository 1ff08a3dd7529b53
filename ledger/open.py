"""`open_store`: a ledger by URI, through a table of schemes, one row per backend.

| given | backend |
|---|---|
| a plain path, ``sqlite:///path`` | `ledger.sqlite.store.SQLiteStore` |
| ``mongodb://...``, ``mongodb+srv://...`` | `ledger.mongo.open_store` (docs/MONGO.md) |

Anything else with ``://`` is refused with ``ValueError``. Backends are imported only when their
scheme is used, so opening a SQLite ledger never loads pymongo. This module sits above the
backends: the interface (`ledger.store`) does not know them, and adding a backend is one row here.
"""

from __future__ import annotations

from collections.abc import Callable

from ledger.store import Store

__all__ = ["SCHEMES", "open_store"]


def _open_sqlite(uri_or_path: str, create: bool) -> Store:
    from ledger.sqlite.store import SQLiteStore

    path = uri_or_path.removeprefix("sqlite:///")
    if "://" in path:
        raise ValueError(f"unsupported ledger URI {uri_or_path!r} (use a path, sqlite:///path or mongodb://...)")
    return SQLiteStore(path, create=create)


def _open_mongo(uri: str, create: bool) -> Store:
    from ledger.mongo import open_store as open_mongo

    return open_mongo(uri, create=create)


#: URI prefix -> opener ``(uri, create) -> Store``. A string without ``://`` is a SQLite path.
SCHEMES: dict[str, Callable[[str, bool], Store]] = {
    "sqlite:///": _open_sqlite,
    "mongodb://": _open_mongo,
    "mongodb+srv://": _open_mongo,
}


def open_store(uri_or_path: str, *, create: bool = True) -> Store:
    """Open the ledger named by `uri_or_path` (see the module docstring). With `create`, a missing
    ledger is created; without it, a missing or empty one is refused (`StoreFormatError`)."""
    for prefix, opener in SCHEMES.items():
        if uri_or_path.startswith(prefix):
            return opener(uri_or_path, create)
    return _open_sqlite(uri_or_path, create)
