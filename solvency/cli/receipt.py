"""`solvency receipt`: a signed statement of one user's balances at an epoch."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command()
@click.option("--tree", "tree", required=True, type=click.Path(file_okay=False, exists=True),
              help="A tree directory (solvency tree build --out) or an epoch directory of a publication.")
@click.option("--user", "user_id", required=True, help="The user id (wallet id) to issue the receipt for.")
@click.option("--key", "key_path", required=True, type=click.Path(dir_okay=False, exists=True), help="The bank's private key file.")
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Write the receipt here (default: stdout).")
def receipt(tree: str, user_id: str, key_path: str, out: str | None) -> None:
    """Issue a signed balance receipt for one user (verify it with `solvency-verify receipt`)."""
    from solvency.keys import KeyFileError, load_private_key
    from solvency.publish.epochs import write_artifact
    from solvency.receipt import issue_receipt, tree_dir_of
    from solvency.tree.store import TreeStore, TreeStoreError, UnknownUser
    from verifier import canonical

    try:
        private_key = load_private_key(key_path)
        with TreeStore(tree_dir_of(Path(tree))) as store:
            proof = store.proof(user_id)
        doc = issue_receipt(proof, private_key)
    except UnknownUser:
        click.echo(f"error: user {user_id!r} has no leaf in {tree}", err=True)
        sys.exit(1)
    except (KeyFileError, TreeStoreError, FileNotFoundError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if out:
        write_artifact(Path(out), doc)
    else:
        sys.stdout.buffer.write(canonical.dump_file_bytes(doc))
