"""`solvency assets`: attest the bank's assets from LND and bitcoind snapshots (SPEC section 8).

Workflow for one epoch (file names in `solvency.reserves.snapshot`):

1. ``solvency assets challenge --snapshots DIR --epoch E --commitment C --key K`` prints the text
   every cold-storage and lnd wallet address must sign (BIP-322 simple, or BIP-137/lnd);
   the signatures go into ``DIR/proofs.json``.
2. ``solvency assets digest ...`` prints the message for ``lncli signmessage``; its output goes
   into ``DIR/lnd_signmessage.json``.
3. ``solvency assets attest ... --out assets.json`` writes the signed attestation.

Exit codes: 0 success, 1 rejected input (a message names the file and field), 2 usage error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from solvency.atomic import atomic_write
from solvency.cli.common import Rejected, load_signing_key
from solvency.keys import sign_artifact
from solvency.reserves.attest import (
    build_body,
    challenge_for,
    commitment_summary,
    load_node_signature,
    load_price,
    load_proofs,
)
from solvency.reserves.fields import SnapshotError
from solvency.reserves.snapshot import Snapshot, load_snapshot
from verifier import canonical
from verifier.assets.challenge import node_message


def _options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--key", "key_file", required=True, type=click.Path(dir_okay=False), help="The bank's Ed25519 private key file.")(func)
    func = click.option("--commitment", "commitment_file", required=True, type=click.Path(dir_okay=False), help="This epoch's signed liabilities commitment.json.")(func)
    func = click.option("--epoch", required=True, help="The epoch id (must equal the commitment's).")(func)
    func = click.option("--snapshots", "snapshots", required=True, type=click.Path(file_okay=False), help="The snapshot directory.")(func)
    return func


def _prepare(snapshots: str, epoch: str, commitment_file: str, key_file: str) -> tuple[Ed25519PrivateKey, Any, Snapshot]:
    private = load_signing_key(key_file)
    try:
        data = Path(commitment_file).read_bytes()
        commitment = canonical.loads(data, require_canonical=False)
    except OSError as exc:
        raise Rejected(f"cannot read {commitment_file}: {exc.strerror or exc}") from None
    except Exception as exc:  # noqa: BLE001 - any parse failure is a rejected input
        raise Rejected(f"{commitment_file}: not a commitment ({exc})") from None
    try:
        summary = commitment_summary(commitment, epoch, private.public_key())
        snap = load_snapshot(snapshots)
    except SnapshotError as exc:
        raise Rejected(str(exc)) from None
    return private, summary, snap


def _body(snap: Snapshot, epoch: str, summary: Any, *, node_signature: bool) -> dict[str, Any]:
    try:
        body = build_body(snap, epoch, summary, load_proofs(snap.directory), load_price(snap.directory))
        if node_signature:
            body["node_signature"] = load_node_signature(snap.directory, body, snap.node.identity_pubkey)
    except SnapshotError as exc:
        raise Rejected(str(exc)) from None
    return body


@click.group()
def assets() -> None:
    """Attest the bank's assets from LND and bitcoind snapshots."""


@assets.command()
@_options
def challenge(snapshots: str, epoch: str, commitment_file: str, key_file: str) -> None:
    """Print the challenge that proofs of control must sign (no trailing newline in the signed text)."""
    _, summary, snap = _prepare(snapshots, epoch, commitment_file, key_file)
    click.echo(challenge_for(snap, epoch, summary))


@assets.command()
@_options
def digest(snapshots: str, epoch: str, commitment_file: str, key_file: str) -> None:
    """Print the message the lnd node must sign with `lncli signmessage --msg`."""
    _, summary, snap = _prepare(snapshots, epoch, commitment_file, key_file)
    click.echo(node_message(_body(snap, epoch, summary, node_signature=False)))


@assets.command()
@_options
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Where to write assets.json.")
def attest(snapshots: str, epoch: str, commitment_file: str, key_file: str, out: str) -> None:
    """Write the signed asset attestation (pos-assets/1) to --out."""
    private, summary, snap = _prepare(snapshots, epoch, commitment_file, key_file)
    signed = sign_artifact(_body(snap, epoch, summary, node_signature=True), private)
    try:
        atomic_write(out, canonical.dump_file_bytes(signed))
    except OSError as exc:
        raise Rejected(f"cannot write {out}: {exc.strerror or exc}") from None
    totals = signed["totals"]
    click.echo(f"wrote {out}: anchor {snap.anchor.height} {snap.anchor.hash}")
    for row in signed["statement"]["per_asset"]:
        click.echo(f"  {row['asset']}: assets {row['assets']} {row['unit']}, liabilities {row['liabilities']}, margin {row['margin']}")
    combined = signed["statement"]["combined_at_declared_price"]
    if combined is not None:
        click.echo(f"  at the declared price: margin {combined['margin_sat']} sat = {combined['margin_usd_cents']} USD cents")
    click.echo(f"  {len(signed['proofs'])} proofs of control, {len(signed['channels'])} channels, cold storage {totals['cold_storage']} sat")
