"""Entry point of the `solvency` command.

Exit codes shared by every subcommand: 0 success, 1 rejected input or failed check, 2 usage error
(also: the command needs the `prover` extra, which a verifier-only ``pip install .`` lacks).

The base install is the verifier's (click, cryptography, coincurve, embit); the prover's
third-party libraries come with the ``prover`` extra. A command that reaches one of them in a
verifier-only install (when its module loads or inside the library call) gets one line naming the
extra and the missing module, exit 2, instead of a traceback. A missing module of our own or of
the base install is a broken install and keeps its traceback.
"""

from __future__ import annotations

import click

from verifier.lazyclick import LazyGroup

#: The top-level modules of the ``prover`` extra's distributions (pyproject.toml).
PROVER_MODULES = frozenset({"pandas", "numpy", "pyarrow", "pymongo", "pymerkle", "prometheus_client", "aiohttp"})

COMMANDS: dict[str, tuple[str, str]] = {
    "ledger": ("solvency.cli.ledger:ledger", "The double-entry ledger: init, post, reverse, balances, check."),
    "keys": ("solvency.cli.keys:keys", "Generate and inspect the bank's Ed25519 signing keys."),
    "tree": ("solvency.cli.tree:tree", "Build the Merkle sum tree of liabilities and serve proofs."),
    "assets": ("solvency.cli.assets:assets", "Attest assets from lnd, bitcoind and bria snapshots."),
    "publish": ("solvency.cli.publish:publish", "Publish an epoch (tree, assets, epoch, log) and serve proof bundles."),
    "serve": ("solvency.cli.serve:serve", "Serve users' proof bundles to the bank's app over HTTP."),
    "report": ("solvency.cli.report:report", "The bank's books: balance sheet, profit and loss, reconciliation."),
    "receipt": ("solvency.cli.receipt:receipt", "Issue a signed balance receipt for one user."),
    "metrics": ("solvency.cli.metrics:metrics", "Serve or write Prometheus metrics of assets and liabilities."),
    "demo": ("solvency.cli.demo:demo", "Run the end-to-end demo on a fresh SQLite ledger."),
}


class ProverExtraMissing(click.ClickException):
    """A command needs the ``prover`` extra: exit 2 with one line (no ``Error:`` prefix)."""

    exit_code = 2

    def __init__(self, module: str) -> None:
        super().__init__(f"this command needs the prover extra: pip install 'proof-of-solvency[prover]' (missing module: {module})")

    def show(self, file: object = None) -> None:
        click.echo(f"solvency: {self.message}", err=True)


class SolvencyGroup(LazyGroup):
    """The lazy top-level group, turning a missing prover library into `ProverExtraMissing`."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ModuleNotFoundError as exc:
            module = (exc.name or "").partition(".")[0]
            if module not in PROVER_MODULES:
                raise
            raise ProverExtraMissing(module) from None


@click.group(cls=SolvencyGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="proof-of-solvency")
def cli() -> None:
    """Proof-of-solvency toolkit: the bank's side."""


def main() -> None:  # pragma: no cover - thin wrapper for `python -m solvency`
    cli()
