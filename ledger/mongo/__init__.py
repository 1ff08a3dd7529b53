"""The MongoDB store in medici's layout (docs/MONGO.md).

``ledger.open.open_store("mongodb://host/dbname")`` imports this package lazily and calls
`open_store`. The database name is required. The medici book defaults to ``MainBook`` (Galoy's);
another one is chosen with the toolkit's own URI option ``book``
(``mongodb://host/db?replicaSet=rs0&book=OtherBook``), which is removed before the URI reaches
pymongo. The read options (docs/MONGO.md, "Policies") travel the same way, so that every command
that takes ``--db`` (tree build, publish, reports, the auditor) reads the ledger alike:
``fractional=floor`` (Galoy's rule for amounts that are not whole minor units; default refuse),
``roles=<file>`` (a bank-roles override file) and ``journal_check=waived`` (commit a ledger whose
journals do not all balance; default enforced). Each is recorded in the bound definitions' hash.
pymongo itself is imported only when a store is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

if TYPE_CHECKING:
    from ledger.mongo.store import MongoStore

__all__ = ["connect", "open_store", "read_options", "split_uri"]

#: The toolkit's own URI options besides ``book`` and their allowed values (None: any path).
READ_OPTIONS: dict[str, tuple[str, ...] | None] = {"fractional": ("refuse", "floor"), "roles": None, "journal_check": ("enforced", "waived")}

SERVER_SELECTION_TIMEOUT_MS = 10_000


def split_uri(uri: str) -> tuple[str, str, str | None]:
    """``(uri for pymongo, database name, book or None)``. Raises ``ValueError`` with the reason."""
    if not uri.startswith(("mongodb://", "mongodb+srv://")):
        raise ValueError(f"not a MongoDB URI: {uri!r}")
    base, _, query = uri.partition("?")
    params = parse_qsl(query, keep_blank_values=True)
    books = [v for k, v in params if k == "book"]
    rest = [(k, v) for k, v in params if k != "book" and k not in READ_OPTIONS]
    if len(books) > 1 or (books and not books[0]):
        raise ValueError("give the `book` URI option at most once, with a value")
    scheme, _, remainder = base.partition("://")
    _, slash, path = remainder.partition("/")
    database = path if slash else ""
    if not database or "/" in database:
        raise ValueError(f"the MongoDB URI must name a database: {scheme}://host/<dbname>")
    clean = base + ("?" + urlencode(rest) if rest else "")
    return clean, database, books[0] if books else None


def read_options(uri: str) -> dict[str, str]:
    """The toolkit's read options given in `uri` (see the module docstring). Raises ``ValueError``."""
    _, _, query = uri.partition("?")
    out: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key not in READ_OPTIONS:
            continue
        allowed = READ_OPTIONS[key]
        if key in out or not value or (allowed is not None and value not in allowed):
            raise ValueError(f"URI option {key}: give it once, as {' or '.join(allowed) if allowed else 'a file path'}")
        out[key] = value
    return out


def connect(uri: str) -> Any:
    """A pymongo client for `uri` (tz-aware dates). Tests replace this function to inject a
    mongomock client, since mongomock cannot be reached through a URI."""
    from pymongo import MongoClient

    if "serverselectiontimeoutms=" in uri.lower():
        return MongoClient(uri, tz_aware=True)
    return MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=SERVER_SELECTION_TIMEOUT_MS)


def open_store(uri: str, *, create: bool = True) -> MongoStore:
    """Open the ledger in the database named by `uri` (see the module docstring)."""
    from pymongo.errors import PyMongoError

    from ledger.errors import MongoUnavailable
    from ledger.mongo.layout import DEFAULT_BOOK
    from ledger.mongo.store import MongoStore

    clean, database, book = split_uri(uri)
    options = read_options(uri)
    try:
        client = connect(clean)
    except PyMongoError as exc:
        raise MongoUnavailable(f"cannot use the MongoDB URI for database {database!r}: {exc}") from None
    try:
        store = MongoStore(client[database], book=book or DEFAULT_BOOK, create=create, close_client=True)
        store.set_read_options(**options)
        return store
    except PyMongoError as exc:
        client.close()
        raise MongoUnavailable(f"MongoDB database {database!r}: {type(exc).__name__}: {exc}") from None
    except BaseException:
        client.close()
        raise
