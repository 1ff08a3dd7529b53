"""The server-side translation of balance definitions selects exactly what the Python definition does."""

from __future__ import annotations

import re

import mongomock
from bson import ObjectId
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.accounts import AccountInfo
from ledger.definitions import BalanceDefinition, Selector, glob_to_regex
from ledger.mongo import pipelines

SEGMENTS = st.sampled_from(["Reserve", "Lightning", "w1", "w2", "dealer", "BTC", "a.b", "x-y", "u+v", "n@m", "A_1"])
TYPES = st.sampled_from(["Assets", "Liabilities", "Equity", "Revenue", "Expenses"])
PATHS = st.builds(lambda t, rest: ":".join([t, *rest]), TYPES, st.lists(SEGMENTS, min_size=1, max_size=3))
CURRENCIES = st.sampled_from(["BTC", "USD"])


def _glob_from(path: str, draw_choice: list[int]) -> str:
    parts = path.split(":")
    out = []
    for i, part in enumerate(parts):
        choice = draw_choice[i % len(draw_choice)]
        out.append({0: part, 1: "*", 2: part[:1] + "*", 3: "?" + part[1:] if len(part) > 1 else "?"}.get(choice, part))
    glob = ":".join(out)
    if draw_choice[-1] == 4 and len(parts) > 1:
        glob = parts[0] + ":**"
    return glob


@st.composite
def selectors(draw):
    kind = draw(st.sampled_from(["path", "namespace", "type", "currency", "mixed", "entity"]))
    path = draw(PATHS)
    choice = draw(st.lists(st.integers(0, 4), min_size=1, max_size=4))
    currency = tuple(sorted(set(draw(st.lists(CURRENCIES, min_size=1, max_size=2)))))
    if kind == "path":
        return Selector(path=_glob_from(path, choice))
    if kind == "namespace":
        return Selector(namespace=_glob_from(path.rpartition(":")[0] or path, choice))
    if kind == "type":
        return Selector(type=path.split(":")[0])
    if kind == "currency":
        return Selector(path=_glob_from(path, choice), currency=currency)
    if kind == "entity":
        return Selector(type=path.split(":")[0], legal_entity=draw(st.sampled_from(["bank", "other"])))
    return Selector(path=_glob_from(path, choice), type=path.split(":")[0], currency=currency)


@settings(max_examples=80)
@given(
    accounts=st.lists(st.tuples(PATHS, CURRENCIES), min_size=1, max_size=25, unique=True),
    include=st.lists(selectors(), min_size=1, max_size=3),
    exclude=st.lists(selectors(), max_size=2),
)
def test_definition_filter_matches_the_python_definition(accounts, include, exclude):
    definition = BalanceDefinition("d", "committed", tuple(include), tuple(exclude))
    legs = mongomock.MongoClient()["t"]["medici_transactions"]
    legs.insert_many(
        [{"_id": ObjectId(), "book": "B", "accounts": a, "currency": c, "credit": 1.0, "debit": 0.0} for a, c in accounts]
    )
    match = pipelines.and_filters({"book": "B"}, pipelines.definition_filter(definition))
    server = {(row["_id"]["a"], row["_id"]["c"]) for row in legs.aggregate(pipelines.per_account_pipeline(match))}
    python = {(a, c) for a, c in accounts if definition.matches(AccountInfo(a), c)}
    assert server == python


@given(st.text(alphabet="abcXYZ019_.@+-:*?", min_size=1, max_size=12), st.text(alphabet="abcXYZ019_.@+-:", max_size=14))
def test_glob_translation_agrees_with_the_ledgers_glob(pattern, path):
    assert bool(re.fullmatch(pipelines.glob_to_pcre(pattern)[1:-1], path)) == bool(glob_to_regex(pattern).fullmatch(path))
    assert bool(re.search(pipelines.glob_to_pcre(pattern), path)) == bool(glob_to_regex(pattern).fullmatch(path))


def test_literal_paths_use_equality_so_an_index_can_serve_them():
    assert pipelines.selector_filter(Selector(path="Assets:Reserve:Lightning")) == {"accounts": "Assets:Reserve:Lightning"}
    assert pipelines.selector_filter(Selector(path="Liabilities:*")) == {"accounts": {"$regex": "^Liabilities:[^:]*$"}}


def test_user_balances_pipeline_is_one_match_group_sort():
    match = {"book": "MainBook"}
    stages = pipelines.per_account_pipeline(match)
    assert [next(iter(s)) for s in stages] == ["$match", "$group", "$sort"]
    assert stages[1]["$group"]["_id"] == {"a": "$accounts", "c": "$currency"}


def test_and_filters_never_overwrites_a_key():
    merged = pipelines.and_filters({"book": "B"}, {"accounts": "x"}, {"accounts": {"$regex": "^L"}})
    assert merged == {"$and": [{"book": "B", "accounts": "x"}, {"accounts": {"$regex": "^L"}}]}
