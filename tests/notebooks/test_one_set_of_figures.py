"""One reserve ratio, one drift (issue 16, docs/METRICS.md "One set of figures").

Each figure is computed through every surface that shows it -- the metrics exporter, ``solvency
report reconcile`` (text and JSON), the auditor's figures behind both notebooks, and the signed
statement -- on the same demo publication, and must be equal everywhere and equal to the
definition worked out here by hand from the raw inputs (including the sign of the drift:
``node - ledger``). Then the definitions in `solvency.books.measures` are replaced by sentinels: a
surface that computed a figure by itself would not show the sentinel. The notebooks' own code may
not do arithmetic at all (they only display the auditor's frames).
"""

from __future__ import annotations

import importlib.util
import io
import json
import tokenize
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledger.definitions import load_definitions
from ledger.open import open_store
from solvency.auditor import figures
from solvency.auditor.publication import locate_epoch, read_public
from solvency.books import measures
from solvency.books.layout import GALOY
from solvency.cli.main import cli
from solvency.metrics.figures import FigureConfig, compute
from solvency.metrics.node import read_node
from solvency.metrics.sources import LedgerSource
from verifier.assets.artifact import Statement

EPOCH = "2026-12"  # the last epoch of the test publication: the ledger's head is its cut-off
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _items(document):
    """The reconciliation items of ``report reconcile --json`` (wherever an envelope puts them)."""
    if isinstance(document, dict):
        if "items" in document and isinstance(document["items"], list):
            return document["items"]
        for value in document.values():
            found = _items(value)
            if found is not None:
                return found
    return None


def surfaces(publication) -> dict[str, dict[str, object]]:
    """{surface: {figure: value}} for the last epoch, each read the way that surface reads it."""
    paths = locate_epoch(publication.pubdir, EPOCH)
    public = read_public(paths)
    snapshot = publication.base / f"snap-{EPOCH}"
    out: dict[str, dict[str, object]] = {}

    ledger = LedgerSource(str(publication.ledger), load_definitions()).read()
    assert ledger.entry_count == public.commitment.document["ledger_digest"]["entry_count"]
    samples = compute(FigureConfig(), ledger, read_node(snapshot), None)
    metrics: dict[str, object] = {}
    for s in samples:
        if s.name == "solvency_reconciliation_drift_sats":
            metrics["drift:" + dict(s.labels)["definition"]] = s.value
        elif s.name in ("solvency_reserve_ratio_btc", "solvency_reserve_ratio_at_declared_price"):
            metrics[s.name.removeprefix("solvency_")] = s.value
    out["metrics"] = metrics

    row = figures.solvency_by_epoch(publication.pubdir).set_index("epoch").loc[EPOCH]
    with open_store(str(publication.ledger), create=False) as store:
        drift = figures.reconciliation_by_epoch(store, load_definitions(), publication.pubdir)
    drift = drift[drift["epoch"] == EPOCH]
    out["auditor figures (notebooks)"] = {
        "reserve_ratio_btc": row["reserve_ratio_btc"], "reserve_ratio_at_declared_price": row["reserve_ratio_at_declared_price"],
        **{f"drift:{line}": int(v) for line, v in zip(drift["line"], drift["drift_sat"])},
    }

    btc, at_price = measures.statement_ratios(Statement.parse(public.epoch.solvency, "epoch.solvency"))
    out["signed statement"] = {"reserve_ratio_btc": btc, "reserve_ratio_at_declared_price": at_price}

    args = ["report", "reconcile", "--db", str(publication.ledger), "--as-of", str(public.commitment.as_of),
            "--snapshots", str(snapshot)]
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    items = _items(json.loads(result.stdout))
    out["solvency report reconcile --json"] = {f"drift:{i['line']}": int(i["difference_sat"]) for i in items}
    text = CliRunner().invoke(cli, args)
    assert text.exit_code == 0, text.output
    report: dict[str, object] = {}
    for line in text.stdout.splitlines():
        words = line.split()
        if len(words) >= 4 and words[0] in dict(GALOY.node_categories):
            report["drift:" + words[0]] = int(words[3])
    out["solvency report reconcile"] = report
    return out


def by_hand(publication) -> dict[str, object]:
    """The definitions of docs/METRICS.md applied to the raw inputs: the signed statement's rows
    and price, the attested category totals and the ledger's definition totals at the cut-off."""
    public = read_public(locate_epoch(publication.pubdir, EPOCH))
    solvency = public.epoch.solvency
    rows = {r["asset"]: r for r in solvency["per_asset"]}
    assets, btc, usd = int(rows["BTC"]["assets"]), int(rows["BTC"]["liabilities"]), int(rows["USD"]["liabilities"])
    price = solvency["price"]["usd_cents_per_btc"]
    usd_in_sat = -(-usd * 100_000_000 // price)  # rounded up, against the bank
    expected: dict[str, object] = {"reserve_ratio_btc": Fraction(assets, btc),
                                   "reserve_ratio_at_declared_price": Fraction(assets, btc + usd_in_sat)}
    totals = public.assets.totals.to_json()
    definitions = load_definitions()
    with open_store(str(publication.ledger), create=False) as store:
        for line, categories in GALOY.node_categories:
            ledger = dict(store.totals(definitions[line], public.commitment.as_of)).get("BTC", 0)
            expected[f"drift:{line}"] = sum(totals[c] for c in categories) - ledger  # node - ledger
    return expected


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):  # a frame's float for plotting
        return a == pytest.approx(float(b), rel=1e-12)  # type: ignore[arg-type]
    return a == b


def test_every_surface_shows_the_same_ratios_and_drift(publication):
    expected = by_hand(publication)
    assert expected["reserve_ratio_btc"] != expected["reserve_ratio_at_declared_price"]  # two figures, two names
    assert any(v != 0 for k, v in expected.items() if k.startswith("drift:")), "the demo's escrow drifts"
    for surface, values in surfaces(publication).items():
        shown = {k: v for k, v in expected.items() if k in values}
        wanted = [k for k in expected if k.startswith("drift:")] if "report" in surface else list(expected)
        if surface == "signed statement":
            wanted = ["reserve_ratio_btc", "reserve_ratio_at_declared_price"]
        assert set(wanted) <= set(values), (surface, sorted(values))
        for key in wanted:
            assert _same(values[key], shown[key]), f"{surface}: {key} = {values[key]}, by the definition {shown[key]}"


def test_the_drift_is_node_minus_ledger_on_every_surface():
    # A line where the node holds 50 sat more than the ledger books: +50 everywhere.
    from solvency.books.reconcile import reconcile
    from solvency.books.sheet import BalanceSheet, Line
    from solvency.metrics.catalog import ASSET_SOURCES
    from solvency.metrics.figures import derived_samples
    from solvency.metrics.readings import AssetReading, LedgerReading, NodeFacts, NodeReading

    assert measures.drift_sat(ledger_sat=100, node_sat=150) == 50
    ledger = LedgerReading(1, "00" * 32, 0, (("cold-storage", (("BTC", 100),)), ("customer-liabilities", (("BTC", 10),))))
    node = NodeReading(tuple(AssetReading(s, 150 if s == "cold_storage" else 0) for s in ASSET_SOURCES), NodeFacts())
    drift = {dict(s.labels)["definition"]: s.value for s in derived_samples(FigureConfig(), ledger, node)
             if s.name == "solvency_reconciliation_drift_sats"}
    assert drift["cold-storage"] == 50
    sheet = BalanceSheet(None, ("BTC",), (Line("assets", "cold-storage", (("BTC", 100),), 1),), ())
    totals = {name: 0 for name in public_categories()}
    totals["cold_storage"] = 150
    item = next(i for i in reconcile(sheet, totals).items if i.line == "cold-storage")
    assert item.difference == 50 and "more than the books" in item.explanation


def public_categories() -> tuple[str, ...]:
    from verifier.assets.rules import CATEGORY_NAMES

    return CATEGORY_NAMES


def test_no_surface_computes_a_ratio_or_a_drift_by_itself(publication, monkeypatch):
    monkeypatch.setattr(measures, "reserve_ratio_btc", lambda assets, liabilities: Fraction(7, 3))
    monkeypatch.setattr(measures, "reserve_ratio_at_declared_price", lambda assets, btc, usd, price: Fraction(5, 4))
    monkeypatch.setattr(measures, "drift_sat", lambda ledger_sat, node_sat: 424_242)
    for surface, values in surfaces(publication).items():
        for key, value in values.items():
            sentinel = 424_242 if key.startswith("drift:") else Fraction(7, 3) if key == "reserve_ratio_btc" else Fraction(5, 4)
            assert _same(value, sentinel), f"{surface} computes {key} by itself: {value}"


def test_the_notebooks_do_no_arithmetic_of_their_own():
    spec = importlib.util.spec_from_file_location("make_notebooks", NOTEBOOKS / "make_notebooks.py")
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    for name, cells in maker.NOTEBOOKS.items():
        for kind, source in cells:
            if kind != "code":
                continue
            previous = None
            for token in tokenize.generate_tokens(io.StringIO(source).readline):
                if token.type == tokenize.OP:
                    binary_minus = token.string == "-" and previous is not None and (
                        previous.type in (tokenize.NAME, tokenize.NUMBER) or previous.string in (")", "]"))
                    assert token.string not in ("/", "//", "*", "+") and not binary_minus, (name, token.line)
                if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
                    previous = token
