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

import os
import tempfile
from pathlib import Path

import click


def _options(func):
    func = click.option("--key", "key_file", required=True, type=click.Path(dir_okay=False), help="The bank's Ed25519 private key file.")(func)
    func = click.option("--commitment", "commitment_file", required=True, type=click.Path(dir_okay=False), help="This epoch's signed liabilities commitment.json.")(func)
    func = click.option("--epoch", required=True, help="The epoch id (must equal the commitment's).")(func)
    func = click.option("--snapshots", "snapshots", required=True, type=click.Path(file_okay=False), help="The snapshot directory.")(func)
    return func


def _prepare(snapshots: str, epoch: str, commitment_file: str, key_file: str):
    from solvency.keys import KeyFileError, load_private_key
    from solvency.reserves.attest import commitment_summary
    from solvency.reserves.fields import SnapshotError
    from solvency.reserves.snapshot import load_snapshot
    from verifier import canonical

    try:
        private = load_private_key(key_file)
    except KeyFileError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        data = Path(commitment_file).read_bytes()
        commitment = canonical.loads(data, require_canonical=False)
    except OSError as exc:
        raise click.ClickException(f"cannot read {commitment_file}: {exc.strerror or exc}") from None
    except Exception as exc:  # noqa: BLE001 - any parse failure is a rejected input
        raise click.ClickException(f"{commitment_file}: not a commitment ({exc})") from None
    try:
        summary = commitment_summary(commitment, epoch, private.public_key())
        snap = load_snapshot(snapshots)
    except SnapshotError as exc:
        raise click.ClickException(str(exc)) from None
    return private, summary, snap


@click.group()
def assets() -> None:
    """Attest the bank's assets from LND and bitcoind snapshots."""


@assets.command()
@_options
def challenge(snapshots: str, epoch: str, commitment_file: str, key_file: str) -> None:
    """Print the challenge that proofs of control must sign (no trailing newline in the signed text)."""
    from solvency.reserves.attest import challenge_for

    _, summary, snap = _prepare(snapshots, epoch, commitment_file, key_file)
    click.echo(challenge_for(snap, epoch, summary))


@assets.command()
@_options
def digest(snapshots: str, epoch: str, commitment_file: str, key_file: str) -> None:
    """Print the message the lnd node must sign with `lncli signmessage --msg`."""
    from solvency.reserves.attest import build_body, load_price, load_proofs
    from solvency.reserves.fields import SnapshotError
    from verifier.assets.challenge import node_message

    _, summary, snap = _prepare(snapshots, epoch, commitment_file, key_file)
    try:
        body = build_body(snap, epoch, summary, load_proofs(snap.directory), load_price(snap.directory))
    except SnapshotError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(node_message(body))


@assets.command()
@_options
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Where to write assets.json.")
def attest(snapshots: str, epoch: str, commitment_file: str, key_file: str, out: str) -> None:
    """Write the signed asset attestation (pos-assets/1) to --out."""
    from solvency.keys import sign_artifact
    from solvency.reserves.attest import build_body, load_node_signature, load_price, load_proofs
    from solvency.reserves.fields import SnapshotError
    from verifier import canonical

    private, summary, snap = _prepare(snapshots, epoch, commitment_file, key_file)
    try:
        body = build_body(snap, epoch, summary, load_proofs(snap.directory), load_price(snap.directory))
        body["node_signature"] = load_node_signature(snap.directory, body, snap.node.identity_pubkey)
    except SnapshotError as exc:
        raise click.ClickException(str(exc)) from None
    signed = sign_artifact(body, private)
    try:
        _write_atomically(Path(out), canonical.dump_file_bytes(signed))
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    totals = signed["totals"]
    click.echo(f"wrote {out}: anchor {snap.anchor.height} {snap.anchor.hash}")
    for row in signed["statement"]["per_asset"]:
        click.echo(f"  {row['asset']}: assets {row['assets']} {row['unit']}, liabilities {row['liabilities']}, margin {row['margin']}")
    combined = signed["statement"]["combined_at_declared_price"]
    if combined is not None:
        click.echo(f"  at the declared price: margin {combined['margin_sat']} sat = {combined['margin_usd_cents']} USD cents")
    click.echo(f"  {len(signed['proofs'])} proofs of control, {len(signed['channels'])} channels, cold storage {totals['cold_storage']} sat")


def _write_atomically(path: Path, data: bytes) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
