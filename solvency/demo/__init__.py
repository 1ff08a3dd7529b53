"""The demo: a deterministic Galoy-style bank posted to a fresh ledger (`solvency demo`)."""
