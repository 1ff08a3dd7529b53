"""The double-entry ledger: the bank's source of truth. Never imports `solvency` or `verifier`."""
