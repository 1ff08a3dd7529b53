"""The bank's books (docs/BOOKS in README "Bank operator"): balance sheet, profit and loss of the
bank owner, and reconciliation of the ledger's asset accounts with a node snapshot.

Every figure comes from the ledger through *named* balance definitions (`ledger.definitions`),
never from hard-coded account paths, so the same code serves the packaged Galoy layout and a
bank's own definitions file. Money is integer minor units per currency; currencies never net.

`sheet`, `pnl` and `reconcile` compute; `text` renders them as plain text (for ``solvency report``
and the demo); each result's ``to_json`` is its JSON form.
"""
