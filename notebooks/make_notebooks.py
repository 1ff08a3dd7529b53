"""Write notebooks/audit.ipynb and notebooks/books.ipynb from the cell sources below.

The notebooks are generated so that they can be reviewed here as plain Python and are committed
without outputs (a test checks that the committed files are exactly what this script writes).
They only orchestrate and display: every figure and every verdict comes from `solvency.auditor`.

    .venv/bin/python notebooks/make_notebooks.py        # rewrite both notebooks
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

AUDIT_PARAMETERS = '''\
# Audit of a published epoch -- parameters (paths relative to this notebook; `make demo` writes
# demo-out/ at the repository root).
PUBDIR = "../demo-out/publication"  # the bank's publication: PUBDIR/<epoch>/public/, PUBDIR/<epoch>/private/
EPOCH = None  # the epoch to audit; None: the latest
BANK_KEY = "../demo-out/bank.key.pub"  # the bank's public key, pinned from a source other than the publication
LEDGER_DB = "../demo-out/ledger.db"  # the ledger (SQLite path, sqlite:///..., mongodb://...); None: skip reconciliation
DEFINITIONS = None  # the balance definitions file; None: the packaged Galoy layout
LEAVES = None  # the auditor's leaf export (leaves.bin or leaves.parquet); None: PUBDIR/<epoch>/private/leaves.bin
PROOFS = None  # the proof-bundle export (JSON Lines); None: PUBDIR/<epoch>/private/proofs.jsonl, else the tree
TRUSTED_HEADS = []  # log-head.json files saved at earlier audits (catch a rewritten history)
PROOF_SAMPLE = 25  # how many user proofs to verify
SEED = 2026  # seed of the proof sample (same seed, same sample)
ALLOW_SKIPPED = False  # True: a check skipped for want of an input does not fail the audit
'''

AUDIT_CELLS = [
    ("parameters", AUDIT_PARAMETERS),
    ("markdown", """\
# Audit of a published epoch

Recomputes and reconciles one epoch of a bank's proof-of-solvency publication
(docs/SPEC.md sections 4-11): the commitment signature, the epoch and its transparency log,
the bank's whole history, the full Merkle sum tree from the leaf export, a seeded sample of user
proofs, the liabilities against the ledger (definition hash, hash-chain digest, totals and every
leaf value), the asset attestation and the solvency statement. It ends with a pass/fail table and
an assertion that fails unless every check passed.

Set the parameters in the first cell (above). Nothing here uses the network."""),
    ("code", """\
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, display

from solvency.auditor import figures
from solvency.auditor.checks import assert_passed, audit_epoch
from solvency.auditor.publication import describe, locate_epoch, read_public

pd.set_option("display.max_colwidth", None)
pd.set_option("display.width", 200)"""),
    ("markdown", "## The epoch\n\nWhat the bank committed to (read from the public files; checked below)."),
    ("code", """\
paths = locate_epoch(PUBDIR, EPOCH)
print(f"epoch {paths.name} in {paths.directory}")
describe(read_public(paths))"""),
    ("markdown", """\
## The checks

Each row is one check, done by the verifier's or the ledger's own code. `FAIL` carries the
verifier's reason code (docs/SPEC.md); `UNDECIDED` means the input could not be read or is of an
unknown version; `SKIPPED` means an input was not given."""),
    ("code", """\
table, caveats = audit_epoch(
    PUBDIR, BANK_KEY, EPOCH, ledger=LEDGER_DB, definitions=DEFINITIONS, leaves=LEAVES, proofs=PROOFS,
    trusted_heads=tuple(TRUSTED_HEADS), sample=PROOF_SAMPLE, seed=SEED,
)
COLOURS = {"PASS": "#1a7f37", "FAIL": "#cf222e", "UNDECIDED": "#9a6700", "SKIPPED": "#6e7781"}
styled = table.style.set_uuid("audit").map(lambda s: f"color: {COLOURS.get(s, 'black')}; font-weight: bold", subset=["status"])
HTML(styled.to_html())  # rendered once, so the saved output is the same on every run"""),
    ("markdown", """\
## Solvency margin per asset and per epoch

From every epoch's signed solvency statement (its signature and its place in the history are
checked above): each asset on its own, never netted, and the labelled view with the USD
liabilities converted at the declared price, rounded up against the bank. Both reserve ratios
are defined once in `solvency.books.measures` (docs/METRICS.md): `reserve_ratio_btc` counts BTC
liabilities only, `reserve_ratio_at_declared_price` adds the USD liabilities at the declared price."""),
    ("code", """\
margins = figures.margins_by_epoch(PUBDIR)
figures.plot_margins(margins)
plt.show()
figures.solvency_by_epoch(PUBDIR)[["epoch", "reserve_ratio_btc", "reserve_ratio_at_declared_price"]]"""),
    ("markdown", "## Attested composition at each epoch\n\nThe counted categories of each epoch's signed asset attestation (SPEC 8.3)."),
    ("code", """\
composition = figures.asset_composition(PUBDIR)
figures.plot_composition(composition)
plt.show()
composition.pivot(index="category", columns="epoch", values="sat")"""),
    ("markdown", "## What stays the operator's word\n\nProven only as far as these caveats allow."),
    ("code", "for caveat in caveats:\n    print(\"-\", caveat)"),
    ("markdown", "## Verdict\n\nThe pass/fail table; the assertion fails unless every check passed."),
    ("code", """\
display(table[["check", "status", "reason"]])
print(table["status"].value_counts().to_string())
assert_passed(table, allow_skipped=ALLOW_SKIPPED)
print(f"AUDIT PASSED: epoch {paths.name}, {len(table)} checks")"""),
]

BOOKS_PARAMETERS = '''\
# The bank's books -- parameters (paths relative to this notebook; `make demo` writes demo-out/ at
# the repository root).
PUBDIR = "../demo-out/publication"  # the bank's publication directory
BANK_KEY = "../demo-out/bank.key.pub"  # the bank's public key (the history is verified before anything is shown)
LEDGER_DB = "../demo-out/ledger.db"  # the ledger (SQLite path, sqlite:///..., mongodb://...)
DEFINITIONS = None  # the balance definitions file; None: the packaged Galoy layout
AS_OF = None  # cut-off of the balance sheet (committed axis); None: the latest epoch's cut-off
PERIOD_START = None  # start of the P&L period (reporting axis, exclusive, RFC 3339); None: the beginning
PERIOD_END = None  # end of the period (inclusive); None: the ledger's last reporting time
POINTS = 12  # cut-offs for the reserves-over-time plot
CURRENCY = "BTC"  # currency of the fees plot
'''

BOOKS_CELLS = [
    ("parameters", BOOKS_PARAMETERS),
    ("markdown", """\
# The bank's books

Balance sheet and profit and loss of the bank owner over the period, the bank's bitcoin by source
(lightning, channel escrow, on-chain hot wallet, cold storage) over time and at each epoch, the
reconciliation drift between the ledger and the signed node snapshots, the equity earned or
consumed, the solvency margin across epochs, the fees by category and the distribution of user
balances (amounts only, no wallet ids). Tables are in integer minor units (sats for BTC, cents
for USD); plots are in BTC and USD with the unit on the axis. All figures and plots come from
`solvency.auditor.figures`, which reuses `solvency.books`."""),
    ("code", """\
import matplotlib.pyplot as plt
import pandas as pd

from ledger.definitions import load_definitions
from ledger.open import open_store
from solvency.auditor import figures
from solvency.books.pnl import profit_and_loss
from solvency.books.sheet import balance_sheet
from verifier.history import verify_history
from verifier.signature import load_public_key

pd.set_option("display.max_colwidth", None)
pd.set_option("display.width", 200)"""),
    ("markdown", "## The publication's history is verified first"),
    ("code", """\
history = verify_history(PUBDIR, load_public_key(BANK_KEY))
definitions = load_definitions(DEFINITIONS)
store = open_store(LEDGER_DB, create=False)
epochs = figures.solvency_by_epoch(PUBDIR)
as_of = AS_OF or epochs["as_of"].iloc[-1]
print(f"{len(history['epochs'])} epochs verified: {', '.join(history['epochs'])}; balance sheet as of {as_of}")"""),
    ("markdown", "## Balance sheet\n\nAssets = liabilities + equity, per currency, at the cut-off (checked)."),
    ("code", """\
sheet = balance_sheet(store, definitions, as_of)
figures.balance_sheet_frame(sheet)"""),
    ("code", """\
totals = figures.balance_sheet_totals(sheet)
assert totals["balanced"].all(), "the books do not balance"
totals"""),
    ("markdown", """\
## Profit and loss of the bank owner

Over the period on the reporting axis. Net result plus capital moves must equal the change of
the owner's balances by the store's own totals (`reconciled`); a negative net result is equity
consumed."""),
    ("code", """\
pnl_start, start, end = figures.period(store, PERIOD_START, PERIOD_END)
pnl = profit_and_loss(store, definitions, pnl_start, end)
figures.pnl_frame(pnl)"""),
    ("code", """\
summary = figures.pnl_summary(pnl)
assert summary["reconciled"].all(), "the P&L does not agree with the store's totals"
summary"""),
    ("code", """\
fees = figures.fees_by_category(pnl, CURRENCY)
figures.plot_fees(fees, CURRENCY)
plt.show()"""),
    ("markdown", "## Bitcoin by source over time (ledger, reporting axis)"),
    ("code", """\
reserves = figures.reserves_over_time(store, definitions, start, end, POINTS)
figures.plot_reserves(reserves)
plt.show()
reserves.pivot(index="time", columns="line", values="sat")"""),
    ("markdown", "## Asset composition at each epoch (signed attestations)"),
    ("code", """\
composition = figures.asset_composition(PUBDIR)
figures.plot_composition(composition)
plt.show()
composition.pivot(index="category", columns="epoch", values="sat")"""),
    ("markdown", """\
## Reconciliation drift: ledger vs node at each epoch

Each reserve line of the ledger at the epoch's cut-off against the categories the signed node
snapshot attests, every difference explained (escrow drift, unrecorded fees, unbooked receipts).
The drift is `node - ledger` (`drift_sat`, docs/METRICS.md): positive when the node holds more
than the books, as in `solvency report reconcile` and the metric `solvency_reconciliation_drift_sats`."""),
    ("code", """\
drift = figures.reconciliation_by_epoch(store, definitions, PUBDIR)
figures.plot_drift(drift)
plt.show()
drift"""),
    ("markdown", "## Equity earned or consumed between epochs"),
    ("code", "figures.equity_by_epoch(store, definitions, PUBDIR)"),
    ("markdown", """\
## Solvency margin and reserve ratios across epochs

From each epoch's signed solvency statement. Two reserve ratios, each defined once in
`solvency.books.measures` (docs/METRICS.md) and named the same in the metrics:
`reserve_ratio_btc` = counted BTC assets / BTC liabilities (USD left out), and
`reserve_ratio_at_declared_price` = counted BTC assets / (BTC liabilities + USD liabilities at the
declared price, rounded up)."""),
    ("code", """\
figures.plot_solvency(epochs, figures.margins_by_epoch(PUBDIR))
plt.show()
epochs"""),
    ("markdown", "## Distribution of user balances\n\nAmounts only (no wallet ids), at the balance-sheet cut-off, on a logarithmic scale."),
    ("code", """\
distribution = figures.balance_distribution(store, definitions["customer-liabilities"], as_of)
figures.plot_distribution(distribution)
plt.show()
figures.distribution_summary(distribution)"""),
    ("code", "store.close()"),
]


def build(cells) -> nbformat.NotebookNode:  # noqa: F821
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for number, (kind, source) in enumerate(cells):
        cell_id = f"cell-{number:02d}"
        if kind == "markdown":
            nb.cells.append(nbformat.v4.new_markdown_cell(source, id=cell_id))
        else:
            cell = nbformat.v4.new_code_cell(source, id="parameters" if kind == "parameters" else cell_id)
            if kind == "parameters":
                cell.metadata["tags"] = ["parameters"]
            nb.cells.append(cell)
    return nb


NOTEBOOKS = {"audit.ipynb": AUDIT_CELLS, "books.ipynb": BOOKS_CELLS}


def render(name: str) -> str:
    import nbformat

    return nbformat.writes(build(NOTEBOOKS[name])) + "\n"


def main(argv: list[str] | None = None) -> int:
    target = Path(argv[0]) if argv else HERE
    for name in NOTEBOOKS:
        (target / name).write_text(render(name), encoding="utf-8")
        print(f"wrote {target / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
