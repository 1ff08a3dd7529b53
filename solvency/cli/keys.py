"""`solvency keys`: generate and inspect the bank's Ed25519 signing key (docs/SPEC.md section 2.3)."""

from __future__ import annotations

import click

from solvency.cli.common import Rejected, emit_json, json_option, rejecting
from solvency.keys import KeyFileError, generate_key, load_private_key
from verifier.errors import CannotVerify
from verifier.signature import key_id, load_public_key, public_key_document


@click.group()
def keys() -> None:
    """Generate and inspect the bank's Ed25519 signing keys."""


@keys.command()
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Private key file to create (mode 0600); KEYFILE.pub is written next to it.")
@json_option
def generate(out: str, as_json: bool) -> None:
    """Create a new signing key. Refuses to overwrite an existing key."""
    with rejecting(KeyFileError, OSError):
        private = generate_key(out)
    if as_json:
        doc = public_key_document(private.public_key())
        emit_json({"private_key_file": out, "public_key_file": f"{out}.pub", "key_id": doc["key_id"], "public_key": doc["public_key"]})
        return
    click.echo(f"private key: {out} (mode 0600; keep it secret)")
    click.echo(f"public key:  {out}.pub (publish it; users pin it)")
    click.echo(f"key id:      {key_id(private.public_key())}")


@keys.command()
@click.argument("keyfile", type=click.Path(dir_okay=False))
@json_option
def show(keyfile: str, as_json: bool) -> None:
    """Show the key id and public key of a private or public key file (never the private key)."""
    try:
        public = load_private_key(keyfile).public_key()
    except KeyFileError as first:
        try:
            public = load_public_key(keyfile)
        except CannotVerify:
            raise Rejected(str(first)) from None
    doc = public_key_document(public)
    if as_json:
        # The key file's own document (its "format" is the key file's) is nested, not merged.
        emit_json({"key_id": doc["key_id"], "public_key": doc["public_key"], "public_key_document": doc})
    else:
        click.echo(f"key id:     {doc['key_id']}")
        click.echo(f"public key: {doc['public_key']}")
