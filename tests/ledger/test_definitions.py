"""Definitions: strict loading, content hashes, glob semantics, and the SQL translation agreeing
with the Python matcher on random accounts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.accounts import AccountInfo
from ledger.definitions import (
    BalanceDefinition,
    CompiledDefinition,
    DefinitionError,
    Selector,
    bind,
    convention_roles,
    load_definitions,
    parse_definitions,
)
from ledger.entries import transfer
from ledger.sqlite.store import SQLiteStore

HEAD = 'format = "pos-ledger-definitions/1"\n'


def test_packaged_galoy_definitions():
    unbound = load_definitions()
    with pytest.raises(DefinitionError, match="bank role"):
        unbound["customer-liabilities"].content_hash  # noqa: B018 (the role resolution must be bound first)
    own_paths = ("Liabilities:bankowner", "Liabilities:funder", "Liabilities:dealer:BTC", "Liabilities:dealer:USD")
    defs = bind(unbound, convention_roles(own_paths + ("Liabilities:3fa85f64-5717-4562-b3fc-2c963f66afa6",)))
    for name in ("customer-liabilities", "bankowner-equity", "lightning-reserve", "onchain-hot", "cold-storage", "channel-escrow"):
        assert name in defs
    customers = defs["customer-liabilities"]
    assert customers.time_axis == "committed"
    assert customers.matches(AccountInfo("Liabilities:3fa85f64-5717-4562-b3fc-2c963f66afa6"), "BTC")
    for own in ("Liabilities:bankowner", "Liabilities:funder", "Liabilities:dealer:BTC", "Liabilities:dealer:USD"):
        assert not customers.matches(AccountInfo(own), "BTC"), own
    assert not customers.matches(AccountInfo("Assets:Reserve:Lightning"), "BTC")
    assert defs["lightning-reserve"].matches(AccountInfo("Assets:Reserve:Lightning"), "BTC")
    assert not defs["lightning-reserve"].matches(AccountInfo("Assets:Reserve:Lightning"), "USD")
    assert len(customers.content_hash) == 64
    with pytest.raises(TypeError):
        defs["x"] = customers  # the mapping is read-only


def test_content_hash_covers_semantics_not_description():
    base = BalanceDefinition("d", "committed", (Selector(path="Liabilities:*"),), description="one")
    assert base.content_hash == BalanceDefinition("d", "committed", (Selector(path="Liabilities:*"),), description="two").content_hash
    assert base.content_hash != BalanceDefinition("d", "reporting", (Selector(path="Liabilities:*"),)).content_hash
    assert base.content_hash != BalanceDefinition("d", "committed", (Selector(path="Liabilities:**"),)).content_hash
    assert base.content_hash != BalanceDefinition("e", "committed", (Selector(path="Liabilities:*"),)).content_hash


@pytest.mark.parametrize(
    "body, needle",
    [
        ('[definitions.x]\ntime_axis = "committed"\ninclude = [{ path = "A:*" }]\ncolour = 1\n', "definitions.x: unknown key(s) colour"),
        ('[definitions.x]\ntime_axis = "sideways"\ninclude = [{ path = "Assets:*" }]\n', "definitions.x.time_axis"),
        ('[definitions.x]\ninclude = [{ path = "Assets:*" }]\n', "definitions.x.time_axis"),
        ('[definitions.x]\ntime_axis = "committed"\ninclude = []\n', "definitions.x.include: must be a non-empty"),
        ('[definitions.x]\ntime_axis = "committed"\n', "definitions.x.include"),
        ('[definitions.x]\ntime_axis = "committed"\ninclude = [{}]\n', "definitions.x.include[0]: empty selector"),
        ('[definitions.x]\ntime_axis = "committed"\ninclude = [{ path = "A:*", flavour = 1 }]\n', "include[0]: unknown key(s) flavour"),
        ('[definitions.x]\ntime_axis = "committed"\ninclude = [{ currency = ["EUR"] }]\n', "unknown currency 'EUR'"),
        ('[definitions.x]\ntime_axis = "committed"\ninclude = [{ currency = [] }]\n', "include[0].currency"),
        ('[definitions.x]\ntime_axis = "committed"\ninclude = [{ type = "Asset" }]\n', "include[0].type"),
        ('[definitions.x]\ntime_axis = "committed"\ninclude = [{ path = "A:[x]" }]\n', "include[0].path"),
        ('[definitions.x]\ntime_axis = "committed"\ninclude = [{ path = "A:*" }]\nexclude = "B"\n', "definitions.x.exclude"),
        ('[definitions.X]\ntime_axis = "committed"\ninclude = [{ path = "A:*" }]\n', "definitions.X: definition names"),
        ("[definitions]\n", "at least one"),
        ('extra = 1\n[definitions.x]\ntime_axis = "committed"\ninclude = [{ path = "A:*" }]\n', "unknown top-level key(s) extra"),
        ("this is = not toml =\n", "not valid TOML"),
    ],
)
def test_strict_loading_names_file_and_key(body, needle, tmp_path):
    path = tmp_path / "defs.toml"
    path.write_text(HEAD + body)
    with pytest.raises(DefinitionError) as caught:
        load_definitions(str(path))
    assert str(path) in str(caught.value)
    assert needle in str(caught.value)


def test_format_marker_required(tmp_path):
    with pytest.raises(DefinitionError, match="format"):
        parse_definitions('[definitions.x]\ntime_axis = "committed"\ninclude = [{ path = "A:*" }]\n', "f.toml")
    with pytest.raises(DefinitionError, match="format"):
        parse_definitions('format = "pos-ledger-definitions/2"\n[definitions.x]\ntime_axis = "committed"\ninclude = [{ path = "A:*" }]\n')
    with pytest.raises(DefinitionError, match="cannot read"):
        load_definitions(str(tmp_path / "missing.toml"))


def test_glob_semantics():
    one = Selector(path="Liabilities:*")
    assert one.matches_account(AccountInfo("Liabilities:w1"))
    assert not one.matches_account(AccountInfo("Liabilities:dealer:BTC"))
    assert Selector(path="Liabilities:**").matches_account(AccountInfo("Liabilities:dealer:BTC"))
    assert Selector(path="Assets:?eserve:*").matches_account(AccountInfo("Assets:Reserve:Cold"))
    assert not Selector(path="Assets:?:*").matches_account(AccountInfo("Assets:Reserve:Cold"))
    assert Selector(namespace="Assets:Reserve").matches_account(AccountInfo("Assets:Reserve:Cold"))
    assert not Selector(namespace="Assets").matches_account(AccountInfo("Assets:Reserve:Cold"))
    assert Selector(type="Equity").matches_account(AccountInfo("Equity:Capital"))
    assert Selector(legal_entity="bank-uk").matches_account(AccountInfo("Equity:Capital", "bank-uk"))
    assert not Selector(legal_entity="bank-uk").matches_account(AccountInfo("Equity:Capital"))


SEGMENTS = st.sampled_from(["a", "b", "ab", "dealer", "x1", "Lightning", "bankowner"])
PATHS = st.builds(
    lambda t, segs: ":".join([t, *segs]),
    st.sampled_from(["Assets", "Liabilities", "Equity", "Revenue", "Expenses"]),
    st.lists(SEGMENTS, min_size=1, max_size=3),
)
GLOB_PARTS = st.sampled_from(["a", "b", "ab", "*", "**", "?", "a*", "*b", "?b", "dealer", "x1"])
GLOBS = st.builds(
    lambda t, parts: ":".join([t, *parts]),
    st.sampled_from(["Assets", "Liabilities", "*", "**", "Liab*"]),
    st.lists(GLOB_PARTS, min_size=0, max_size=3),
)
SELECTORS = st.builds(
    Selector,
    path=st.none() | GLOBS,
    namespace=st.none() | GLOBS,
    type=st.none() | st.sampled_from(["Assets", "Liabilities", "Equity"]),
    legal_entity=st.none() | st.sampled_from(["bank", "other"]),
    currency=st.none() | st.sampled_from([("BTC",), ("USD",), ("BTC", "USD")]),
).filter(lambda s: s.canonical() != {})
DEFINITIONS = st.builds(
    BalanceDefinition,
    name=st.just("d"),
    time_axis=st.sampled_from(["committed", "reporting"]),
    include=st.lists(SELECTORS, min_size=1, max_size=3).map(tuple),
    exclude=st.lists(SELECTORS, max_size=2).map(tuple),
)


@settings(max_examples=40)
@given(paths=st.lists(PATHS, min_size=1, max_size=12, unique=True), definition=DEFINITIONS)
def test_sql_translation_agrees_with_python_matcher(tmp_path_factory, paths, definition):
    path = tmp_path_factory.mktemp("defs") / "l.db"
    with SQLiteStore(str(path)) as store:
        entries = []
        for i, account in enumerate(paths):
            for currency in ("BTC", "USD"):
                entries.append(transfer(account, "Equity:Zzz:Counter", currency, i + 1))
        store.post_batch(entries[: len(entries) // 2])
        store.merge_index()  # half in the per-account index, half in the tail
        store.post_batch(entries[len(entries) // 2:])
        compiled = CompiledDefinition(definition)
        expected: dict[str, int] = {}
        rows = []
        for i, account in enumerate(paths):
            info = AccountInfo(account)
            sign = -1 if account.startswith(("Assets:", "Expenses:")) else 1
            codes = definition.currencies_for(info)
            assert codes == compiled.currencies(info)
            for currency in codes:
                expected[currency] = expected.get(currency, 0) - sign * (i + 1)
            assert dict(store.balance(definition, account)) == {c: -sign * (i + 1) for c in sorted(codes)}
            user = account[len("Liabilities:"):] if account.startswith("Liabilities:") else account
            rows.extend((user, c, -sign * (i + 1)) for c in codes)
        counter = AccountInfo("Equity:Zzz:Counter")
        for currency in definition.currencies_for(counter):
            expected[currency] = expected.get(currency, 0) + sum(range(1, len(paths) + 1))
            rows.append(("Equity:Zzz:Counter", currency, sum(range(1, len(paths) + 1))))
        assert list(store.user_balances(definition)) == sorted(rows)
        assert dict(store.totals(definition)) == {c: v for c, v in sorted(expected.items())}
