"""Library functions behind the auditor notebooks (notebooks/audit.ipynb, notebooks/books.ipynb).

The notebooks only orchestrate and display; every computation is here and tested:

* `solvency.auditor.publication`: locate an epoch of a publication directory (docs/SPEC.md 11.1)
  and read its public files and the auditor's private exports;
* `solvency.auditor.checks`: the audit of one epoch as a pass/fail table (signatures, history,
  full-tree recomputation, sampled user proofs, reconciliation with the ledger, asset
  attestation, solvency statement), every check done by the verifier or the ledger's own code;
  the checks themselves are in `publication_checks`, `ledger_checks` and `assets_checks`, their
  shared inputs in `context`;
* `solvency.auditor.figures`: the data behind the books' tables and plots (balance sheet, P&L,
  fees, reserves over time, reconciliation drift, equity, margins, balance distribution).

pandas is imported only inside functions, so importing this package stays cheap.
"""
