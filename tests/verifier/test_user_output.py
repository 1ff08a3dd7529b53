"""What the user reads (SPEC 9 "Amounts shown to users", SPEC 12/13 bundle acceptance): every
amount carries its currency and is exact; the proof bundle a user holds is accepted wherever a
proof or a log head is, and its log head can be saved for a later history check."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from verifier import canonical
from verifier.amounts import EXPONENTS, format_amount, format_amounts, format_minor_units
from verifier.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
KEY = str(FIXTURES / "bank.key.pub")
BUNDLE = FIXTURES / "bundle.json"
PUBLICATION = FIXTURES / "publication"


def _bundle_balances() -> dict[str, int]:
    proof = canonical.loads(BUNDLE.read_bytes())["proof"]
    return {a: int(b) for a, b in zip(proof["commitment"]["assets"], proof["balances"])}


def _shown(balances: dict[str, int]) -> str:
    # Written out independently of verifier.amounts (the fixture's balances may change).
    return f"BTC {balances['BTC'] // 10**8:,}.{balances['BTC'] % 10**8:08d}, USD {balances['USD'] // 100:,}.{balances['USD'] % 100:02d}"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize(("currency", "minor", "shown"), [
    ("BTC", 43_858, "BTC 0.00043858"),
    ("USD", 43_858, "USD 438.58"),
    ("BTC", 0, "BTC 0.00000000"),
    ("USD", 5, "USD 0.05"),
    ("BTC", 2_100_000_000_000_000, "BTC 21,000,000.00000000"),
    ("USD", -123_456_789, "USD -1,234,567.89"),
    ("BTC", 2**64 - 1, "BTC 184,467,440,737.09551615"),
    ("EUR", 43_858, "EUR 43,858 (minor units)"),
])
def test_format_amount(currency: str, minor: int, shown: str) -> None:
    assert format_amount(currency, minor) == shown


def test_minor_unit_form_and_lists() -> None:
    assert format_minor_units("BTC", 43_858) == "43,858 sat"
    assert format_minor_units("USD", 43_858) == "43,858 cents"
    assert format_minor_units("EUR", 7) == "7 EUR minor units"
    assert format_amounts([("BTC", 1), ("USD", 100)]) == "BTC 0.00000001, USD 1.00"


@pytest.mark.parametrize("value", [1.0, True, Decimal(1), "1"])
def test_only_integer_minor_units_are_shown(value: object) -> None:
    with pytest.raises(TypeError):
        format_amount("BTC", value)  # type: ignore[arg-type]


@given(st.sampled_from(sorted(EXPONENTS)), st.integers(min_value=-(2**128), max_value=2**128))
def test_display_is_exact(currency: str, minor: int) -> None:
    # Reading the shown number back gives exactly the integer: nothing rounded, nothing lost.
    code, number = format_amount(currency, minor).split(" ")
    whole, fraction = number.replace(",", "").split(".")
    assert code == currency and len(fraction) == EXPONENTS[currency]
    assert int(whole + fraction) == minor


def test_proof_output_carries_units() -> None:
    code, out = run("proof", str(BUNDLE), "--key", KEY)
    assert code == 0, out
    assert f"your balances: {_shown(_bundle_balances())}" in out


def test_proof_json_keeps_integers_and_adds_display() -> None:
    code, out = run("proof", str(BUNDLE), "--key", KEY, "--json")
    facts = json.loads(out)["facts"]
    balances = _bundle_balances()
    assert code == 0 and facts["balances"] == {a: str(b) for a, b in balances.items()}
    assert ", ".join(facts["balances_display"][a] for a in ("BTC", "USD")) == _shown(balances)


def test_receipt_output_carries_units_and_accepts_a_bundle_as_proof() -> None:
    code, out = run("receipt", str(FIXTURES / "receipt.json"), "--key", KEY, "--proof", str(BUNDLE))
    assert code == 0, out
    assert f"held {_shown(_bundle_balances())} at epoch" in out
    assert "your proof verifies and shows exactly the receipted balances" in out


def test_receipt_with_a_bundle_whose_proof_fails_is_invalid(tmp_path: Path) -> None:
    doc = canonical.loads(BUNDLE.read_bytes())
    doc["proof"]["balances"][0] = str(int(doc["proof"]["balances"][0]) + 1)
    bad = tmp_path / "bundle.json"
    bad.write_bytes(canonical.dump_file_bytes(doc))
    code, out = run("receipt", str(FIXTURES / "receipt.json"), "--key", KEY, "--proof", str(bad))
    assert code == 1 and "[BALANCE_MISMATCH]" in out


def test_history_accepts_a_bundle_as_trusted_head() -> None:
    code, out = run("history", str(PUBLICATION), "--key", KEY, "--trusted-head", str(BUNDLE))
    assert code == 0, out
    assert "1 previously seen log head(s) are still part of this history" in out


def test_history_refuses_a_kept_bundle_that_no_longer_verifies(tmp_path: Path) -> None:
    # Its log head is intact, but the bundle is the user's evidence: it is verified in full.
    doc = canonical.loads(BUNDLE.read_bytes())
    doc["proof"]["balances"][0] = str(int(doc["proof"]["balances"][0]) + 1)
    bad = tmp_path / "bundle.json"
    bad.write_bytes(canonical.dump_file_bytes(doc))
    code, out = run("history", str(PUBLICATION), "--key", KEY, "--trusted-head", str(bad))
    assert code == 1 and "[BALANCE_MISMATCH]" in out


def test_history_refuses_a_bundle_from_a_rewritten_history(tmp_path: Path) -> None:
    # The kept bundle's head is from the full log; a history cut back to its first epoch lacks it.
    pub = tmp_path / "pub"
    shutil.copytree(PUBLICATION, pub)
    shutil.rmtree(pub / "2026-11-21")
    code, out = run("history", str(pub), "--key", KEY, "--trusted-head", str(BUNDLE))
    assert code == 1, out


def test_save_head_then_compare(tmp_path: Path) -> None:
    out_file = tmp_path / "head.json"
    code, out = run("save-head", str(BUNDLE), "--key", KEY, "--out", str(out_file))
    assert code == 0, out
    assert out_file.read_bytes() == (PUBLICATION / "2026-11-21" / "public" / "log-head.json").read_bytes()
    code, out = run("history", str(PUBLICATION), "--key", KEY, "--trusted-head", str(out_file))
    assert code == 0, out
    # An existing saved head is never overwritten.
    code, out = run("save-head", str(BUNDLE), "--key", KEY, "--out", str(out_file))
    assert code == 3 and "not overwriting" in out


def test_save_head_refuses_a_bundle_under_another_key(tmp_path: Path) -> None:
    code, out = run("save-head", str(BUNDLE), "--key", "11" * 32, "--out", str(tmp_path / "head.json"))
    assert code == 1 and "[WRONG_KEY]" in out
    assert not (tmp_path / "head.json").exists()


def test_solvency_receipt_tells_the_issuer_the_amounts_with_units(tmp_path: Path) -> None:
    # The prover's user-facing message uses the verifier's one formatting function.
    from solvency.cli.receipt import receipt as receipt_command
    from solvency.keys import generate_key
    from solvency.tree.balances import from_rows
    from solvency.tree.build import build_tree

    key = generate_key(tmp_path / "bank.key")
    rows = [(f"wallet-{i}", "BTC", 43_858 * i) for i in range(4)] + [(f"wallet-{i}", "USD", 43_858 + i) for i in range(4)]
    build_tree(from_rows(rows, ("BTC", "USD"), source="test"), epoch="2026-11", as_of="2026-11-01T00:00:00Z",
               private_key=key, out_dir=tmp_path / "tree")
    result = CliRunner().invoke(receipt_command, ["--tree", str(tmp_path / "tree"), "--user", "wallet-1",
                                                  "--key", str(tmp_path / "bank.key"), "--out", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    assert "BTC 0.00043858, USD 438.59" in result.output
    assert canonical.loads((tmp_path / "r.json").read_bytes())["balances"] == ["43858", "43859"]


def test_assets_statement_lines_carry_units() -> None:
    from verifier.commands.assets import statement_lines

    statement = {
        "per_asset": [{"asset": "BTC", "assets": "198339148", "liabilities": "150000000", "margin": "48339148", "unit": "sat"},
                      {"asset": "USD", "assets": "0", "liabilities": "3000000", "margin": "-3000000", "unit": "cent"}],
        "combined_at_declared_price": {"margin_sat": "15005814", "margin_usd_cents": "1350523", "usd_liabilities_in_sat": "33333334"},
        "price": {"source": "fixed", "time": "2026-11-20T23:59:00Z", "usd_cents_per_btc": 9_000_000},
    }
    assert statement_lines(statement) == (
        "BTC: reserves BTC 1.98339148, owed to customers BTC 1.50000000, margin BTC 0.48339148",
        "USD: reserves USD 0.00, owed to customers USD 30,000.00, margin USD -30,000.00",
        "all assets at the declared price of USD 90,000.00 per BTC: margin BTC 0.15005814 (USD 13,505.23)",
    )
    # Another shape is left to the JSON facts, never a crash of the command.
    assert statement_lines({"per_asset": [{"asset": "BTC"}]}) == ()
    assert statement_lines(None) == ()


def test_tree_output_carries_units(tmp_path: Path) -> None:
    vectors = json.loads((Path(__file__).parent.parent / "vectors" / "pos_mst_trees.json").read_text())
    case = vectors["tests"][0]
    leaves, commitment = tmp_path / "leaves.bin", tmp_path / "commitment.json"
    leaves.write_bytes(bytes.fromhex(case["leaves"]))
    commitment.write_text(case["commitment"] + "\n")
    code, out = run("tree", str(leaves), "--commitment", str(commitment), "--key", vectors["public_key"])
    sums = dict(zip(json.loads(case["commitment"])["assets"], (int(s) for s in json.loads(case["commitment"])["root"]["sums"])))
    assert code == 0, out
    assert f"liabilities (root sums): {_shown(sums)}" in out
