"""The prover: what the bank runs.

Builds the Merkle sum tree of liabilities from the ledger (or a balances file), attests assets from
LND and bitcoind snapshots, publishes signed commitments per epoch with a transparency log, serves
per-user proofs and exports metrics. It imports `verifier`'s encoding so that the prover and the
verifier agree byte for byte; the verifier never imports this package.

Layers (top to bottom; an import-linter contract in pyproject.toml keeps every arrow pointing
down): `cli` > `demo` > `auditor` | `publish` | `metrics` > `books` | `receipt` | `ledger_files` >
`tree` | `reserves` | `translog` > `keys` > `atomic`. Command callbacks parse options, make one
library call and render; every file the bank writes goes through `atomic`.
"""
