"""Balance definitions translated to SQL for the SQLite store.

A definition (`ledger.definitions`) becomes one boolean SQL expression over ``a.path``,
``a.legal_entity`` (table ``accounts a``) and ``p.currency_id`` (table ``postings p``), so the bulk
per-user query is a single pass: the accounts' path index drives the outer loop (in path order,
narrowed by the literal prefix of the include globs) and the covering index
``postings_by_account`` is range-scanned per account; nothing is sorted and no Python runs per
posting.

Glob semantics are preserved exactly: SQLite's ``GLOB`` lets ``*`` cross ``:``, so a pattern
without ``**`` is also required to have the path's number of ``:`` (every literal ``:`` of the
pattern must then consume one of the path's, leaving none for a wildcard). Patterns mixing ``**``
with ``*`` or ``?`` fall back to the Python matcher registered as the SQL function ``pos_glob``.
Patterns only contain ``[A-Za-z0-9_.@+-:*?]`` (checked when definitions are loaded), so no
character is special to GLOB other than the wildcards.
"""

from __future__ import annotations

import re
import sqlite3

from ledger.definitions import BalanceDefinition, BankRoles, GlobMatcher, Selector, compile_glob
from ledger.errors import DefinitionError

_COLONS = "(length({col}) - length(replace({col}, ':', '')))"


def register_functions(db: sqlite3.Connection) -> None:
    cache: dict[str, re.Pattern[str] | GlobMatcher] = {}

    def pos_glob(pattern: str, text: str) -> int:
        regex = cache.get(pattern)
        if regex is None:
            regex = cache[pattern] = compile_glob(pattern)
        return 1 if regex.fullmatch(text) else 0

    db.create_function("pos_glob", 2, pos_glob, deterministic=True)


def _glob(pattern: str, col: str, params: list[object]) -> str:
    if "*" not in pattern and "?" not in pattern:
        params.append(pattern)
        return f"{col} = ?"
    if "**" in pattern:
        rest = pattern.replace("**", "")
        params.append(pattern if ("*" in rest or "?" in rest) else pattern.replace("**", "*"))
        return f"pos_glob(?, {col})" if ("*" in rest or "?" in rest) else f"{col} GLOB ?"
    params.append(pattern)
    return f"({col} GLOB ? AND {_COLONS.format(col=col)} = {pattern.count(':')})"


def _selector(selector: Selector, currency_ids: dict[str, int], params: list[object], roles: BankRoles | None = None) -> str:
    parts = []
    if selector.role is not None:
        if roles is None:
            raise DefinitionError("a selector by bank role needs a role resolution (bind the definitions to the ledger first)")
        paths = roles.paths(selector.role)
        params.extend(paths)
        parts.append(f"a.path IN ({','.join('?' for _ in paths)})" if paths else "0")
    if selector.path is not None:
        parts.append(_glob(selector.path, "a.path", params))
    if selector.namespace is not None:
        # The namespace is the path without its last segment: path = namespace ":" name.
        ns = selector.namespace
        if "**" in ns:
            params.append(ns)
            parts.append("pos_glob(?, substr(a.path, 1, length(rtrim(a.path, replace(a.path, ':', ''))) - 1))")
        else:
            params.append(ns + ":*")
            parts.append(f"(a.path GLOB ? AND {_COLONS.format(col='a.path')} = {ns.count(':') + 1})")
    if selector.type is not None:
        params.append(selector.type + ":*")
        parts.append("a.path GLOB ?")
    if selector.legal_entity is not None:
        params.append(selector.legal_entity)
        parts.append("a.legal_entity = ?")
    if selector.currency is not None:
        ids = [currency_ids[c] for c in selector.currency if c in currency_ids]
        parts.append(f"p.currency_id IN ({','.join(str(i) for i in ids)})" if ids else "0")
    return "(" + " AND ".join(parts) + ")"


def definition_condition(definition: BalanceDefinition, currency_ids: dict[str, int]) -> tuple[str, list[object]]:
    """The SQL condition selecting the (account, currency) pairs of `definition`, and its params."""
    params: list[object] = []
    include = " OR ".join(_selector(s, currency_ids, params, definition.roles) for s in definition.include)
    condition = f"({include})"
    if definition.exclude:
        exclude = " OR ".join(_selector(s, currency_ids, params, definition.roles) for s in definition.exclude)
        condition += f" AND NOT ({exclude})"
    return condition, params


def only_liabilities(definition: BalanceDefinition) -> bool:
    """True when every include selector is confined to ``Liabilities:`` accounts, so that path
    order equals user-id order."""

    def confined(s: Selector) -> bool:
        if s.type == "Liabilities":
            return True
        for glob in (s.path, s.namespace):
            if glob is not None and glob.startswith("Liabilities") and glob.split(":", 1)[0] == "Liabilities":
                return True
        return False

    return all(confined(s) for s in definition.include)


#: user id (path after "Liabilities:" or the full path) and the normal-side sign, in SQL.
USER_ID_SQL = "CASE WHEN substr(a.path, 1, 12) = 'Liabilities:' THEN substr(a.path, 13) ELSE a.path END"
SIGN_SQL = "CASE WHEN substr(a.path, 1, 7) = 'Assets:' OR substr(a.path, 1, 9) = 'Expenses:' THEN -1 ELSE 1 END"
