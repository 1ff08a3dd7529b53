"""The aggregation pipelines: balance definitions and as-of cut-offs translated to ``$match``.

Per-user balances for a definition as of a cut-off are ONE pipeline, run on the server and read
through a cursor::

    $match  {book, <definition as a filter on accounts/currency>, <time axis bound>}
    $group  {_id: {a: "$accounts", c: "$currency"},
             credit: $sum(valid ? toLong(credit) : 0), debit: ...,
             bad: $sum(valid ? 0 : 1), bad_id: $min(valid ? REMOVE : _id)}
    $sort   {_id.a: 1, _id.c: 1}

Translation of a definition (`ledger.definitions`) into a filter, exactly:

* ``path`` glob -> ``accounts`` equality when it has no wildcard, else an anchored regex where
  ``**`` is ``.*``, ``*`` is ``[^:]*`` and ``?`` is ``[^:]``;
* ``namespace`` glob -> anchored regex ``^<ns>:[^:]+$`` (the namespace is the path without its
  last segment);
* ``type`` -> regex ``^<Type>:``;
* ``legal_entity`` -> medici has no legal entity: every account belongs to the default entity
  (``"bank"``), so the selector matches all accounts or none;
* ``currency`` -> ``currency $in [...]``;
* ``role`` -> ``accounts $in [the wallets of that role]`` from the definition's bound resolution
  (`ledger.definitions.BankRoles`; ``"any"``: the wallets of every bank role);
* a selector is the ``$and`` of its keys, a definition is ``$or`` of its includes and ``$nor`` of
  its excludes.

Amount validity is decided on the server with expressions that a real MongoDB (>= 4.4,
``$isNumber``) and mongomock evaluate the same way: a leg counts only if both amounts are numbers
in ``0 .. 2**53-1`` with no fractional part. The group reports how many legs of the account failed
and the smallest such ``_id``; the store then refuses the whole query naming that document, so a
bad amount can never be silently dropped or truncated.

Indexes that serve these pipelines: ``{book, accounts, currency, _id}`` (committed axis on a
medici database; Galoy already has it), ``{accounts, book, datetime, timestamp}`` (reporting
axis; medici's default), and on a toolkit-owned database ``{book, accounts, currency,
solvency.committed_at}`` and ``{book, accounts, currency, solvency.reporting_at}``.
"""

from __future__ import annotations

import re
from typing import Any

from bson import ObjectId

from ledger.accounts import DEFAULT_LEGAL_ENTITY
from ledger.definitions import BalanceDefinition, BankRoles, Selector, glob_regex_body
from ledger.errors import DefinitionError
from ledger.money import MAX_SAFE_INT

Filter = dict[str, Any]
_MATCH_NOTHING: Filter = {"accounts": {"$in": []}}
_WILDCARDS = re.compile(r"[*?]")


def _pcre_escape(char: str) -> str:
    return char if char.isalnum() or char in "_:@" else "\\" + char


def glob_to_pcre(pattern: str) -> str:
    """A path glob as an anchored regular expression valid in both PCRE and Python ``re``: the
    ledger's own translation (`ledger.definitions.glob_regex_body`), whose runs of wildcards are
    collapsed to at most one quantifier each, so the server never backtracks through ``*****``;
    the definitions parser bounds the number of ``*`` runs (`MAX_GLOB_STARS`)."""
    return "^" + glob_regex_body(pattern, _pcre_escape) + "$"


def selector_filter(selector: Selector, roles: BankRoles | None = None) -> Filter:
    parts: list[Filter] = []
    if selector.role is not None:
        if roles is None:
            raise DefinitionError("a selector by bank role needs a role resolution (bind the definitions to the ledger first)")
        parts.append({"accounts": {"$in": list(roles.paths(selector.role))}})
    if selector.path is not None:
        if _WILDCARDS.search(selector.path):
            parts.append({"accounts": {"$regex": glob_to_pcre(selector.path)}})
        else:
            parts.append({"accounts": selector.path})
    if selector.namespace is not None:
        parts.append({"accounts": {"$regex": glob_to_pcre(selector.namespace)[:-1] + ":[^:]+$"}})
    if selector.type is not None:
        parts.append({"accounts": {"$regex": f"^{selector.type}:"}})
    if selector.legal_entity is not None and selector.legal_entity != DEFAULT_LEGAL_ENTITY:
        return dict(_MATCH_NOTHING)
    if selector.currency is not None:
        parts.append({"currency": {"$in": list(selector.currency)}})
    if not parts:
        return {}
    return parts[0] if len(parts) == 1 else {"$and": parts}


def definition_filter(definition: BalanceDefinition) -> Filter:
    includes = [selector_filter(s, definition.roles) for s in definition.include]
    out: Filter = includes[0] if len(includes) == 1 else {"$or": includes}
    if definition.exclude:
        out = {"$and": [out, {"$nor": [selector_filter(s, definition.roles) for s in definition.exclude]}]}
    return out


def valid_amount(field: str) -> Filter:
    """True when ``$<field>`` is a number in 0 .. 2**53-1 without a fractional part.

    Nested ``$cond`` rather than ``$and`` so that ``$trunc`` is never applied to a non-number or
    NaN (a real server short-circuits ``$and``; mongomock does not).
    """
    ref = f"${field}"
    in_range = {"$and": [{"$gte": [ref, 0]}, {"$lte": [ref, MAX_SAFE_INT]}]}
    return {"$cond": [{"$isNumber": ref}, {"$cond": [in_range, {"$eq": [ref, {"$trunc": ref}]}, False]}, False]}


def _valid_leg() -> Filter:
    return {"$and": [valid_amount("credit"), valid_amount("debit")]}


def group_stage(key: Any) -> Filter:
    valid = _valid_leg()
    return {
        "$group": {
            "_id": key,
            "credit": {"$sum": {"$cond": [valid, {"$toLong": "$credit"}, 0]}},
            "debit": {"$sum": {"$cond": [valid, {"$toLong": "$debit"}, 0]}},
            "legs": {"$sum": 1},
            "bad": {"$sum": {"$cond": [valid, 0, 1]}},
            "bad_id": {"$min": {"$cond": [valid, "$$REMOVE", "$_id"]}},
            "first_id": {"$min": "$_id"},
        }
    }


def base_match(book: str, *, owned: bool) -> Filter:
    # medici < 5 had `approved`; its balance() only counted approved legs.
    return {"book": book} if owned else {"book": book, "approved": {"$ne": False}}


def time_filter(axis: str, cut_us: int | None, *, owned: bool) -> Filter:
    """The as-of bound on `axis` ("committed" or "reporting"), or {} for no bound.

    Toolkit-owned databases carry exact microsecond times on every leg. On a medici database the
    committed axis is the server-generated leg ``_id`` (second resolution: a leg counts when the
    second its id was generated in started at or before the cut-off) and the reporting axis is
    ``datetime`` (millisecond resolution, exact: ``datetime <= cut``).
    """
    if cut_us is None:
        return {}
    from ledger.mongo.layout import ms_floor_datetime, object_id_bound_after_second

    if owned:
        field = "solvency.committed_at" if axis == "committed" else "solvency.reporting_at"
        return {field: {"$lte": cut_us}}
    if axis == "committed":
        return {"_id": {"$lt": object_id_bound_after_second(cut_us)}}
    return {"datetime": {"$lte": ms_floor_datetime(cut_us)}}


def and_filters(*filters: Filter) -> Filter:
    parts = [f for f in filters if f]
    if not parts:
        return {}
    merged: Filter = {}
    rest: list[Filter] = []
    for part in parts:
        if any(key in merged for key in part) or any(key.startswith("$") for key in part):
            rest.append(part)
        else:
            merged.update(part)
    if rest:
        return {"$and": [merged, *rest]} if merged else {"$and": rest}
    return merged


def per_account_pipeline(match: Filter) -> list[Filter]:
    return [
        {"$match": match},
        group_stage({"a": "$accounts", "c": "$currency"}),
        {"$sort": {"_id.a": 1, "_id.c": 1}},
    ]


def per_currency_pipeline(match: Filter) -> list[Filter]:
    return [{"$match": match}, group_stage("$currency"), {"$sort": {"_id": 1}}]


def journal_order_pipeline(match: Filter) -> list[Filter]:
    """medici journals in commit order: grouped legs, ordered by their first (smallest) ``_id``."""
    return [
        {"$match": match},
        {"$sort": {"_id": 1}},
        {
            "$group": {
                "_id": "$_journal",
                "first": {"$min": "$_id"},
                "legs": {"$push": "$$ROOT"},
            }
        },
        {"$sort": {"first": 1}},
    ]


def straddle_pipeline(bound: ObjectId, window_seconds: int = 600) -> list[Filter]:
    """Journals with legs on both sides of a committed-axis ObjectId bound (a cut-off that would
    split an entry). Only legs within `window_seconds` of the bound are examined."""
    seconds = int.from_bytes(bound.binary[:4], "big")
    low = ObjectId(max(0, seconds - window_seconds).to_bytes(4, "big") + bytes(8))
    high = ObjectId((seconds + window_seconds).to_bytes(4, "big") + bytes(8))
    return [
        {"$match": {"_id": {"$gte": low, "$lt": high}}},
        {"$group": {"_id": "$_journal", "lo": {"$min": "$_id"}, "hi": {"$max": "$_id"}}},
        {"$match": {"lo": {"$lt": bound}, "hi": {"$gte": bound}}},
        {"$limit": 5},
    ]
