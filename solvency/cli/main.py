"""Entry point of the `solvency` command.

Exit codes shared by every subcommand: 0 success, 1 rejected input or failed check, 2 usage error.
"""

from __future__ import annotations

import click

from verifier.lazyclick import LazyGroup

COMMANDS: dict[str, tuple[str, str]] = {
    "ledger": ("solvency.cli.ledger:ledger", "The double-entry ledger: init, post, reverse, balances, check."),
    "keys": ("solvency.cli.keys:keys", "Generate and inspect the bank's Ed25519 signing keys."),
    "tree": ("solvency.cli.tree:tree", "Build the Merkle sum tree of liabilities and serve proofs."),
    "assets": ("solvency.cli.assets:assets", "Attest assets from LND and bitcoind snapshots."),
    "publish": ("solvency.cli.publish:publish", "Publish an epoch (tree, assets, epoch, log) and serve proof bundles."),
    "serve": ("solvency.cli.serve:serve", "Serve users' proof bundles to the bank's app over HTTP."),
    "report": ("solvency.cli.report:report", "The bank's books: balance sheet, profit and loss, reconciliation."),
    "receipt": ("solvency.cli.receipt:receipt", "Issue a signed balance receipt for one user."),
    "metrics": ("solvency.cli.metrics:metrics", "Serve or write Prometheus metrics of assets and liabilities."),
    "demo": ("solvency.cli.demo:demo", "Run the end-to-end demo on a fresh SQLite ledger."),
}


@click.group(cls=LazyGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="proof-of-solvency")
def cli() -> None:
    """Proof-of-solvency toolkit: the bank's side."""


def main() -> None:  # pragma: no cover - thin wrapper for `python -m solvency`
    cli()
