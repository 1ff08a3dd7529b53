"""Inputs built to crash or stall the readers (issue 16): each is refused with one line naming the
file, field and reason and the documented exit code, within a hang bound, never a traceback.

Before the bounds: bitcoind amounts ``1e999999`` / ``1e9999999999999999999`` raised
decimal.Overflow / InvalidOperation out of ``assets challenge`` and ``publish prepare``, and
``1e999991`` took ~26-35 s (Decimal * 1e8, then int() of a million digits); lnd int64 strings over
4,300 digits raised ValueError, 5,000-deep nesting RecursionError and a lone surrogate
UnicodeEncodeError (``ledger post``); a glob ``Liabilities:*****************Z`` backtracked for
minutes in ``ledger balances`` and ``tree build --db``.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "assets"))
sys.path.insert(0, str(HERE.parent / "publish"))

import assets_builder as b  # noqa: E402
from assets_cli import EPOCH  # noqa: E402

from ledger.definitions import DefinitionError, parse_definitions  # noqa: E402
from solvency.cli.main import cli  # noqa: E402
from verifier.assets import btc_json  # noqa: E402
from verifier.assets.utxos import load_utxo_audit  # noqa: E402
from verifier.errors import CannotVerify  # noqa: E402

HANG_SECONDS = 3.0  # a hang detector on a loaded machine, not a performance bound
HUGE_AMOUNTS = ["1e999999", "1e9999999999999999999", "1e999991", "-1e999999", "1E-999999"]


def run(*args: object) -> tuple[int, str, float]:
    start = time.monotonic()
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.output, time.monotonic() - start


def refused(code: int, output: str, seconds: float, *names: str) -> None:
    assert code == 1, output
    assert "Traceback" not in output
    assert seconds < HANG_SECONDS, f"{seconds:.1f} s"
    line = [x for x in output.splitlines() if x.startswith("Error:")][-1]
    for name in names:
        assert name in line, line


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    from solvency.keys import generate_key

    d = tmp_path_factory.mktemp("bounds")
    private = generate_key(d / "bank.key")
    doc = b.commitment(private, EPOCH)
    b.write_commitment(d / "commitment.json", doc)
    b.Snapshot(EPOCH, doc).write(d / "snap")
    return d


def challenge(base: Path, tmp_path: Path, name: str, text: str) -> tuple[int, str, float]:
    snap = tmp_path / "snap"
    shutil.copytree(base / "snap", snap)
    (snap / name).write_text(text, encoding="utf-8", errors="surrogatepass")
    return run("assets", "challenge", "--snapshots", snap, "--epoch", EPOCH,
               "--commitment", base / "commitment.json", "--key", base / "bank.key")


@pytest.mark.parametrize("amount", HUGE_AMOUNTS)
def test_huge_bitcoind_amount_in_assets_challenge(snapshot, tmp_path, amount):
    text = (snapshot / "snap" / "bitcoind_scantxoutset.json").read_text()
    bad = re.sub(r'"amount": [0-9.]+', f'"amount": {amount}', text, count=1)
    refused(*challenge(snapshot, tmp_path, "bitcoind_scantxoutset.json", bad), "bitcoind_scantxoutset.json", "exponent")


@pytest.mark.parametrize(("name", "make", "words"), [
    ("lnd_walletbalance.json", lambda t: t.replace('"total_balance": "', '"total_balance": "' + "9" * 5000, 1),
     ["total_balance", "5006-digit", "64 bits"]),
    ("lnd_listchannels.json", lambda t: t.replace('"chan_id": "', '"chan_id": "' + "9" * 5000, 1), ["chan_id", "5018 characters"]),
    ("lnd_walletbalance.json", lambda t: "[" * 5000 + "]" * 5000, ["nesting deeper than 64"]),
    ("bitcoind_scantxoutset.json", lambda t: '{"a":' * 5000 + "1" + "}" * 5000, ["nesting deeper than 64"]),
    ("lnd_getinfo.json", lambda t: t.replace('"testbank"', '"\\ud800"'), ["alias", "lone surrogate"]),
    ("lnd_pendingchannels.json", lambda t: t.replace('"memo": "', '"memo": "\\udfff', 1), ["memo", "lone surrogate"]),
    ("bitcoind_scantxoutset.json", lambda t: t.replace('"txouts": ', '"txouts": ' + "1" * 5000, 1), ["more than 40 digits"]),
])
def test_hostile_lnd_and_bitcoind_files_in_assets_challenge(snapshot, tmp_path, name, make, words):
    text = (snapshot / "snap" / name).read_text()
    refused(*challenge(snapshot, tmp_path, name, make(text)), name, *words)


def test_huge_amount_in_publish_prepare(tmp_path):
    from publish_helpers import make_ledger, make_snapshot, now_as_of

    from solvency.keys import generate_key

    generate_key(tmp_path / "bank.key")
    snap = make_snapshot(tmp_path / "snap")
    scan = snap / "bitcoind_scantxoutset.json"
    scan.write_text(re.sub(r'"amount": [0-9.]+', '"amount": 1e999999', scan.read_text(), count=1))
    ledger = make_ledger(tmp_path / "ledger.db", users=5)
    refused(*run("publish", "prepare", "--db", ledger, "--as-of", now_as_of(), "--epoch", "e1", "--snapshots", snap,
                 "--key", tmp_path / "bank.key", "--out", tmp_path / "pub"), "bitcoind_scantxoutset.json", "exponent")


@pytest.mark.parametrize("amount", HUGE_AMOUNTS)
def test_huge_amount_in_the_auditors_utxo_file(amount):
    data = ('{"success": true, "height": 1, "bestblock": "%s", "total_amount": 0, "unspents": [{"txid": "%s", '
            '"vout": 0, "scriptPubKey": "00", "amount": %s}]}' % ("ab" * 32, "cd" * 32, amount)).encode()
    start = time.monotonic()
    with pytest.raises(CannotVerify, match="exponent") as info:
        load_utxo_audit(data)
    assert time.monotonic() - start < HANG_SECONDS
    assert info.value.reason.name == "BAD_UTXO_FILE"


@pytest.mark.parametrize("data", [b"[" * 5000 + b"]" * 5000, b'{"a": "\\ud800"}', b'{"a": ' + b"7" * 5000 + b"}"])
def test_the_auditors_utxo_file_nesting_surrogate_digits(data):
    with pytest.raises(CannotVerify) as info:
        load_utxo_audit(data)
    assert info.value.reason.name == "BAD_UTXO_FILE"


@pytest.mark.parametrize(("text", "sats"), [
    ("1.000000000000000000000000000000001", None),  # 34 digits: rounded to 1 BTC under a 28-digit context before
    ("0.00000001000000000000000000000000000", 1),
    ("20999999.99999999", 20999999_99999999), ("21000000.00000001", None), ("0e-60", 0), ("1E+8", None),
])
def test_btc_amounts_are_exact_whatever_their_digits(text, sats):
    value = btc_json.loads('{"a": %s}' % text)["a"]
    assert isinstance(value, Decimal)
    if sats is None:
        with pytest.raises(btc_json.BtcAmountError):
            btc_json.btc_to_sats(value)
    else:
        assert btc_json.btc_to_sats(value) == sats


ENTRY = {"postings": [{"account": "Assets:Reserve:Lightning", "currency": "BTC", "side": "debit", "amount": 1000},
                      {"account": "Liabilities:w1", "currency": "BTC", "side": "credit", "amount": 1000}]}


@pytest.mark.parametrize(("line", "words"), [
    (json.dumps(dict(ENTRY, memo="deposit \ud800")), ["memo", "lone surrogate"]),
    (json.dumps(dict(ENTRY, metadata={"hash": "\udc00"})), ["metadata.hash", "lone surrogate"]),
    (json.dumps(ENTRY).replace("1000", "9" * 5000, 1), ["5000 digits"]),
    ("[" * 5000 + "]" * 5000, ["nested too deeply"]),
    ('{"postings": ' + "[" * 100_000 + "]" * 100_000 + "}", ["nested too deeply"]),
])
def test_hostile_lines_in_ledger_post(tmp_path, line, words):
    db = tmp_path / "l.db"
    assert run("ledger", "init", "--db", db)[0] == 0
    (tmp_path / "in.jsonl").write_text(line + "\n", encoding="utf-8", errors="surrogatepass")
    code, output, seconds = run("ledger", "post", tmp_path / "in.jsonl", "--db", db)
    assert code == 1 and "Traceback" not in output and seconds < HANG_SECONDS
    problem = next(x for x in output.splitlines() if x.startswith(f"{tmp_path / 'in.jsonl'}:1: "))
    for word in words:
        assert word in problem, problem


DEFINITIONS = 'format = "pos-ledger-definitions/1"\n[definitions.x]\ntime_axis = "committed"\ninclude = [{ path = "%s" }]\n'


@pytest.fixture(scope="module")
def ledger_db(tmp_path_factory):
    d = tmp_path_factory.mktemp("glob")
    lines = [json.dumps({"postings": [
        {"account": "Assets:Reserve:Lightning", "currency": "BTC", "side": "debit", "amount": 1000},
        {"account": f"Liabilities:{'a' * 60}{i}", "currency": "BTC", "side": "credit", "amount": 1000}]}) for i in range(20)]
    (d / "e.jsonl").write_text("\n".join(lines) + "\n")
    assert run("ledger", "init", "--db", d / "l.db")[0] == 0
    assert run("ledger", "post", d / "e.jsonl", "--db", d / "l.db")[0] == 0
    return d / "l.db"


@pytest.mark.parametrize("glob", ["Liabilities:*****************Z", "**:*****************Z", "Liabilities:*a*a*a*Z",
                                  "**a**a**a**Z", "Liabilities:?*?**?*?**a*Z"])
def test_backtracking_globs_in_ledger_balances_and_tree_build(ledger_db, tmp_path, glob):
    (tmp_path / "d.toml").write_text(DEFINITIONS % glob)
    code, output, seconds = run("ledger", "balances", "--definition", "x", "--definitions", tmp_path / "d.toml",
                                "--out", tmp_path / "o.csv", "--db", ledger_db)
    assert code == 0 and seconds < HANG_SECONDS, (output, seconds)
    from publish_helpers import now_as_of

    from solvency.keys import generate_key

    generate_key(tmp_path / "bank.key")
    code, output, seconds = run("tree", "build", "--db", ledger_db, "--definition", "x", "--definitions", tmp_path / "d.toml",
                                "--as-of", now_as_of(), "--epoch", "e1", "--key", tmp_path / "bank.key", "--out", tmp_path / "t")
    # The glob selects no account: the tree build reads every account through it and finds nothing.
    assert code == 1 and "nothing" in output and seconds < HANG_SECONDS, (output, seconds)


@pytest.mark.parametrize(("glob", "words"), [
    ("Liabilities:*a*a*a*a*a*a*a*a*a*Z", ["include[0].path", "10 unbounded wildcards", "at most 4"]),
    ("Liabilities:" + "a" * 300, ["include[0].path", "longer than 256"]),
])
def test_globs_over_the_bounds_are_refused_naming_the_key(glob, words):
    with pytest.raises(DefinitionError) as info:
        parse_definitions(DEFINITIONS % glob, "d.toml")
    for word in ["d.toml", *words]:
        assert word in str(info.value)


@pytest.mark.parametrize("text", ["a = " + "[" * 5000 + "]" * 5000, "a = " + "9" * 5000, DEFINITIONS % "\\ud800"])
def test_hostile_toml_is_a_definition_error(text):
    with pytest.raises(DefinitionError, match="d.toml"):
        parse_definitions(text, "d.toml")


def test_a_5000_digit_csv_amount_is_named(tmp_path):
    from solvency.tree.balances import BalancesRejected, load_csv

    (tmp_path / "b.csv").write_text("user_id,currency,amount\nu1,BTC," + "9" * 5000 + "\n")
    with pytest.raises(BalancesRejected) as info:
        load_csv(str(tmp_path / "b.csv"), ("BTC",))
    assert "row 2" in str(info.value) and "5000 characters" in str(info.value)


def _literal_glob(pattern: str) -> re.Pattern[str]:
    """The glob's meaning written out character by character (the translation before the fix)."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        out.append({"*": "[^:]*", "?": "[^:]"}.get(pattern[i], re.escape(pattern[i])))
        i += 1
    return re.compile("".join(out))


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="ab:.*?*", max_size=12), st.text(alphabet="ab:.", max_size=12))
def test_collapsed_globs_mean_what_the_glob_says(pattern, path):
    from ledger.definitions import GlobMatcher, compile_glob, glob_to_regex
    from ledger.mongo.pipelines import glob_to_pcre

    expected = bool(_literal_glob(pattern).fullmatch(path))
    assert bool(glob_to_regex(pattern).fullmatch(path)) == expected
    assert GlobMatcher(pattern).fullmatch(path) == expected
    assert bool(compile_glob(pattern).fullmatch(path)) == expected
    assert bool(re.fullmatch(glob_to_pcre(pattern)[1:-1], path)) == expected


@pytest.mark.parametrize("line", ["x = " + "[" * 5000 + "]" * 5000, "x = " + "9" * 5000, "preset = []", "preset = {}"])
def test_hostile_books_layout_is_one_line(tmp_path, line):
    # The last two were found by the fuzz test: a list or table as the preset name was a TypeError.
    from solvency.books.layout import LayoutError, load_layout

    (tmp_path / "layout.toml").write_text(f'format = "pos-books-layout/1"\n{line}\n')
    with pytest.raises(LayoutError, match="layout.toml"):
        load_layout(tmp_path / "layout.toml")
