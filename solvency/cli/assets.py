"""`solvency assets`: attest the bank's assets from lnd, bitcoind and bria snapshots (SPEC section 8).

Workflow for one epoch (file names in `solvency.reserves.snapshot`):

1. ``solvency assets challenge --snapshots DIR --epoch E --commitment C --key K`` prints the text
   every address holding a listed UTXO must sign: cold storage, lnd's on-chain wallet and bria's
   wallet (SPEC 8.5; BIP-322 simple, BIP-137 or lnd's signmessagewithaddr); the signatures go
   into ``DIR/proofs.json``.
2. ``solvency assets digest ...`` prints the message for ``lncli signmessage``; its output goes
   into ``DIR/lnd_signmessage.json``.
3. ``solvency assets attest ... --out assets.json`` writes the signed attestation (format
   ``pos-assets/3``, SPEC 8.6).

Exit codes: 0 success, 1 rejected input (a message names the file and field), 2 usage error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from solvency.atomic import atomic_write
from solvency.cli.common import Rejected, emit_json, json_option, rejecting
from solvency.keys import KeyFileError
from solvency.reserves.attest import read_inputs
from solvency.reserves.fields import SnapshotError


def _options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--key", "key_file", required=True, type=click.Path(dir_okay=False), help="The bank's Ed25519 private key file.")(func)
    func = click.option("--commitment", "commitment_file", required=True, type=click.Path(dir_okay=False), help="This epoch's signed liabilities commitment.json.")(func)
    func = click.option("--epoch", required=True, help="The epoch id (must equal the commitment's).")(func)
    func = click.option("--snapshots", "snapshots", required=True, type=click.Path(file_okay=False), help="The snapshot directory.")(func)
    return json_option(func)


# What the library refuses with (exit 1, the message names the file and field).
_REFUSALS = (KeyFileError, SnapshotError)


@click.group()
def assets() -> None:
    """Attest the bank's assets from lnd, bitcoind and bria snapshots."""


@assets.command()
@_options
def challenge(snapshots: str, epoch: str, commitment_file: str, key_file: str, as_json: bool) -> None:
    """Print the challenge that proofs of control must sign (no trailing newline in the signed text):
    every cold-storage, lnd and bria address holding a listed UTXO signs it (SPEC 8.5)."""
    with rejecting(*_REFUSALS):
        text = read_inputs(snapshots, epoch, commitment_file, key_file).challenge()
    if as_json:
        emit_json({"epoch": epoch, "challenge": text})
    else:
        click.echo(text)


@assets.command()
@_options
def digest(snapshots: str, epoch: str, commitment_file: str, key_file: str, as_json: bool) -> None:
    """Print the message the lnd node must sign with `lncli signmessage --msg`."""
    with rejecting(*_REFUSALS):
        message = read_inputs(snapshots, epoch, commitment_file, key_file).draft().node_message()
    if as_json:
        emit_json({"epoch": epoch, "message": message})
    else:
        click.echo(message)


@assets.command()
@_options
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Where to write assets.json.")
def attest(snapshots: str, epoch: str, commitment_file: str, key_file: str, as_json: bool, out: str) -> None:
    """Write the signed asset attestation (assets.json, format pos-assets/3, SPEC 8.6) to --out."""
    with rejecting(*_REFUSALS):
        signed = read_inputs(snapshots, epoch, commitment_file, key_file).signed()
    try:
        atomic_write(out, signed.to_bytes())
    except OSError as exc:
        raise Rejected(f"cannot write {out}: {exc.strerror or exc}") from None
    if as_json:
        emit_json({"epoch": epoch, "out": out, "anchor": {"height": signed.anchor.height, "hash": signed.anchor.hash},
                   "statement": signed.statement.to_json(), "proofs_of_control": len(signed.proofs),
                   "channels": len(signed.channels), "cold_storage_sat": signed.totals.cold_storage})
        return
    click.echo(f"wrote {out}: anchor {signed.anchor.height} {signed.anchor.hash}")
    for row in signed.statement.rows:
        click.echo(f"  {row.currency}: assets {row.held} {row.unit}, liabilities {row.liabilities}, margin {row.margin}")
    combined = signed.statement.combined
    if combined is not None:
        click.echo(f"  at the declared price: margin {combined.margin_sat} sat = {combined.margin_usd_cents} USD cents")
    click.echo(f"  {len(signed.proofs)} proofs of control, {len(signed.channels)} channels, cold storage {signed.totals.cold_storage} sat")
