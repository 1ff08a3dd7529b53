"""`solvency receipt`: a signed statement of one user's balances at an epoch."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from solvency.cli.common import Rejected, emit_json, json_option, load_signing_key, rejecting
from solvency.publish.epochs import write_artifact
from solvency.receipt import receipt_for_user
from solvency.tree.store import TreeStoreError, UnknownUser
from verifier.amounts import format_amounts


@click.command()
@click.option("--tree", "tree", required=True, type=click.Path(file_okay=False, exists=True),
              help="A tree directory (solvency tree build --out) or an epoch directory of a publication.")
@click.option("--user", "user_id", required=True, help="The user id (wallet id) to issue the receipt for.")
@click.option("--key", "key_path", required=True, type=click.Path(dir_okay=False, exists=True), help="The bank's private key file.")
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Write the receipt here (default: stdout).")
@json_option
def receipt(tree: str, user_id: str, key_path: str, out: str | None, as_json: bool) -> None:
    """Issue a signed balance receipt for one user (verify it with `solvency-verify receipt`)."""
    private_key = load_signing_key(key_path)
    try:
        with rejecting(TreeStoreError, FileNotFoundError):
            doc = receipt_for_user(Path(tree), user_id, private_key)
    except UnknownUser:
        raise Rejected(f"user {user_id!r} has no leaf in {tree}") from None
    if out:
        write_artifact(Path(out), doc)
    if as_json:
        emit_json({"user": doc.user_id, "epoch": doc.epoch, "balances": dict(zip(doc.assets, doc.balances)), "out": out or None,
                   "receipt": doc.to_json()})
        return
    if not out:
        sys.stdout.buffer.write(doc.to_bytes())
    # The receipt itself keeps integer minor units; the person issuing it reads them with units.
    click.echo(f"receipt for user {doc.user_id!r} at epoch {doc.epoch}: {format_amounts(zip(doc.assets, doc.balances))}"
               + (f", written to {out}" if out else ""), err=True)
