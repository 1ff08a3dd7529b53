"""The published balance definition `definition.json` (docs/SPEC.md 11.6): strict parse, exact
to_json/to_bytes, the content hash the ledger computes, and the changes `history` reports."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.definitions import load_definitions, parse_definitions
from verifier import canonical
from verifier.definition import ACCOUNT_TYPES, Definition, Selector, changes
from verifier.errors import CannotVerify, InvalidDefinition, Reason

globs = st.from_regex(r"[A-Za-z0-9_.@+\-:*?]{1,20}", fullmatch=True)
codes = st.lists(st.sampled_from(["BTC", "USD"]), min_size=1, max_size=2, unique=True).map(lambda c: tuple(sorted(c)))


@st.composite
def selectors(draw):
    values = {
        "path": draw(st.none() | globs), "namespace": draw(st.none() | globs), "type": draw(st.none() | st.sampled_from(ACCOUNT_TYPES)),
        "legal_entity": draw(st.none() | st.text("abcdefXYZ ", min_size=1, max_size=10)), "currency": draw(st.none() | codes),
    }
    if all(v is None for v in values.values()):
        values["path"] = "Liabilities:*"
    return Selector(**values)


role_maps = st.dictionaries(st.from_regex(r"Liabilities:[a-z0-9]{1,8}", fullmatch=True),
                            st.sampled_from(["bankowner", "dealer", "funder"]), max_size=4).map(lambda m: tuple(sorted(m.items())))


@given(st.builds(Definition, st.just("customer-liabilities"), st.just("committed"), st.just((Selector(path="Liabilities:*"),)),
                 st.just((Selector(role="any"),)), role_maps, st.sampled_from([(), (("fractional", "floor"),),
                                                                              (("fractional", "floor"), ("journal_check", "waived"))])))
def test_round_trip_with_bank_roles_and_policies(definition):
    assert Definition.from_bytes(definition.to_bytes()) == definition


definitions = st.builds(Definition, st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True),
                        st.sampled_from(["committed", "reporting"]), st.lists(selectors(), min_size=1, max_size=4).map(tuple),
                        st.lists(selectors(), max_size=4).map(tuple))


@given(definitions)
def test_round_trip(definition):
    assert Definition.parse(definition.to_json()) == definition
    assert Definition.from_bytes(definition.to_bytes()) == definition
    assert definition.to_bytes() == definition.canonical() + b"\n"


def _toml(definition: Definition) -> str:
    def table(s: Selector) -> str:
        return "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in s.to_json().items()) + " }"

    return (f'format = "pos-ledger-definitions/1"\n[definitions.{definition.name}]\ntime_axis = "{definition.time_axis}"\n'
            f"include = [{', '.join(map(table, definition.include))}]\nexclude = [{', '.join(map(table, definition.exclude))}]\n")


@given(definitions)
def test_the_content_hash_is_the_ledgers(definition):
    """The verifier's hash of the published bytes is the ledger's `content_hash` of the same definition."""
    ledger = parse_definitions(_toml(definition))[definition.name]
    assert ledger.canonical() == definition.canonical()
    assert ledger.content_hash == definition.content_hash.hex()


def test_every_packaged_definition_is_published_as_its_hashed_bytes():
    # Definitions that select by bank role hash only once bound to the ledger's role resolution
    # (tested with the publication in tests/attacks/test_publication.py and by the ledger's tests).
    plain = [d for d in load_definitions().values() if not any(getattr(s, "role", None) for s in d.include + d.exclude)]
    assert plain
    for ledger in plain:
        published = Definition.from_bytes(ledger.canonical())
        assert published.canonical() == ledger.canonical()
        assert published.content_hash.hex() == ledger.content_hash


VALID = {"exclude": [{"path": "Liabilities:bankowner"}, {"path": "Liabilities:dealer:**"}], "include": [{"path": "Liabilities:*"}],
         "name": "customer-liabilities", "time_axis": "committed", "v": 1}


@pytest.mark.parametrize("change", [
    {"extra": 1}, {"name": "Customer"}, {"name": ""}, {"time_axis": "posted"}, {"include": []}, {"include": [{}]},
    {"include": "Liabilities:*"}, {"exclude": [{"path": "Liabilities:a b"}]}, {"exclude": [{"colour": "red"}]},
    {"exclude": [{"currency": ["USD", "BTC"]}]}, {"exclude": [{"currency": []}]}, {"exclude": [{"currency": "BTC"}]},
    {"exclude": [{"type": "Asset"}]}, {"exclude": [{"legal_entity": ""}]}, {"exclude": [{"currency": ["BTC", "BTC"]}]},
])
def test_parse_is_strict(change):
    with pytest.raises(InvalidDefinition) as info:
        Definition.parse({**VALID, **change})
    assert info.value.reason == Reason.DEFINITION_SCHEMA


@pytest.mark.parametrize("version", [2, 0, "1", True, None])
def test_an_unknown_version_cannot_be_decided(version):
    with pytest.raises(CannotVerify) as info:
        Definition.parse({**VALID, "v": version})
    assert info.value.reason == Reason.UNSUPPORTED_VERSION


def test_a_missing_member_and_non_canonical_bytes_are_refused():
    with pytest.raises(InvalidDefinition):
        Definition.parse({k: v for k, v in VALID.items() if k != "exclude"})
    with pytest.raises(canonical.NonCanonical):
        Definition.from_bytes(json.dumps(VALID, indent=1).encode())


def test_changes_in_words():
    before = Definition.parse(VALID)
    after = Definition.parse({**VALID, "time_axis": "reporting", "exclude": [*VALID["exclude"][1:], {"path": "Liabilities:x"}]})
    assert changes(before, after) == (
        "time axis changed from committed to reporting",
        "exclude selector added: {path Liabilities:x}",
        "exclude selector removed: {path Liabilities:bankowner}",
    )
    assert changes(before, before) == ()
    reordered = Definition.parse({**VALID, "exclude": VALID["exclude"][::-1]})
    assert changes(before, reordered) == ("the selectors were reordered (same selection, different content hash)",)
    assert changes(None, before) == ("a balance definition is named now: customer-liabilities",)
    assert changes(before, None) == ("no balance definition is named any more (was customer-liabilities)",)
