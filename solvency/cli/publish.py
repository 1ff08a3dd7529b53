"""`solvency publish`: publish one epoch (docs/SPEC.md section 11.5).

One step, with a signer program for the proofs of control::

    solvency publish --db DB --as-of T --snapshots DIR --key KEY --out PUBDIR --control-signer CMD

or in phases, when the wallets sign by hand (offline cold keys)::

    solvency publish prepare --db DB --as-of T --snapshots DIR --key KEY --out PUBDIR --epoch E
    #   sign the printed challenge -> PUBDIR/.pending-E/snapshot/proofs.json
    solvency publish digest --out PUBDIR --epoch E --key KEY
    #   lncli signmessage --msg "<printed text>" > PUBDIR/.pending-E/snapshot/lnd_signmessage.json
    solvency publish seal --out PUBDIR --epoch E --key KEY

and then, for users: ``solvency publish proof --out PUBDIR --epoch E --user ID``.
Each command parses its options, makes one call into `solvency.publish` and prints the result.
Exit codes (`solvency.cli.common`): 0 published, 1 rejected input or failed check (nothing is
published), 2 usage.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from click.core import ParameterSource

from solvency.cli.common import (
    Rejected,
    emit_json,
    json_option,
    load_signing_key,
    parse_as_of,
    progress_unless,
    rejecting,
)
from solvency.publish.bundle import bundle_for_user
from solvency.publish.control import SignerFailed
from solvency.publish.epochs import PublishError, write_artifact
from solvency.publish.pipeline import Prepared, Sealed, load_prepared, node_message, prepare, publish_epoch, seal_once
from solvency.tree.build import DEFAULT_MIN_LEAVES, DEFAULT_SPLIT
from solvency.tree.store import TreeStoreError, UnknownUser
from verifier.encoding import EPOCH_RE
from verifier.errors import CannotVerify, VerificationError
from verifier.signature import load_public_key


def _epoch_id(epoch: str | None, as_of: str) -> str:
    if epoch is None:
        return as_of.replace("-", "").replace(":", "")  # 2026-11-30T00:00:00Z -> 20261130T000000Z
    if not EPOCH_RE.fullmatch(epoch) or epoch.startswith("."):
        raise click.BadParameter(f"must match {EPOCH_RE.pattern} and not start with '.'", param_hint="--epoch")
    return epoch


@contextmanager
def _errors() -> Iterator[None]:
    """Every expected failure becomes exit 1 with one message; nothing was published."""
    with rejecting(PublishError, SignerFailed, TreeStoreError, suffix="\nnothing was published"):
        try:
            yield
        except (VerificationError, CannotVerify) as exc:
            raise Rejected(f"self-check failed, refusing to publish: {exc}") from None


def _sealed_json(sealed: Sealed | None, epoch: str) -> dict:
    if sealed is None:
        return {"epoch": epoch, "status": "already-published"}
    return {"epoch": sealed.epoch.epoch, "status": "published", "sequence": sealed.epoch.sequence, "as_of": sealed.epoch.as_of,
            "users": sealed.users, "log_size": sealed.log_head.log_size, "log_root": sealed.log_head.log_root.hex(),
            "solvency": sealed.attestation.statement.to_json(), "public": f"{sealed.directory}/public/",
            "private": f"{sealed.directory}/private/"}


def _report(sealed: Sealed | None, epoch: str, as_json: bool = False) -> None:
    if as_json:
        emit_json(_sealed_json(sealed, epoch))
        return
    if sealed is None:
        click.echo(f"epoch {epoch} was already published by an interrupted run; removed its working directory")
        return
    statement = sealed.attestation.statement.to_json()
    rows = statement["per_asset"]
    click.echo(f"published epoch {sealed.epoch.epoch} (sequence {sealed.epoch.sequence}) as of {sealed.epoch.as_of}: "
               f"{sealed.users} users, log size {sealed.log_head.log_size}, log root {sealed.log_head.log_root.hex()}")
    for row in rows:
        click.echo(f"  {row['asset']:4} assets {row['assets']:>18} liabilities {row['liabilities']:>18} margin {row['margin']:>18} ({row['unit']})")
    combined = statement["combined_at_declared_price"]
    if combined is not None:
        click.echo(f"  at the declared price: margin {combined['margin_sat']} sat = {combined['margin_usd_cents']} USD cents")
    click.echo(f"public:  {sealed.directory}/public/ (commitment.json, assets.json, epoch.json, log-head.json)")
    click.echo(f"private: {sealed.directory}/private/ (tree, leaves.bin, proofs.jsonl, log.db, snapshot; never publish)")


_LEDGER_OPTIONS = (
    click.option("--db", "db", help="The ledger: a SQLite path, sqlite:///path or mongodb://..."),
    click.option("--definition", "definition", default="customer-liabilities", show_default=True, help="Balance definition of the liabilities."),
    click.option("--definitions", "definitions_file", type=click.Path(dir_okay=False), help="Definitions file (default: the packaged Galoy layout)."),
    click.option("--as-of", "as_of", help="Cut-off on the ledger's committed axis, RFC 3339 UTC, whole seconds."),
    click.option("--snapshots", "snapshots", type=click.Path(file_okay=False), help="lnd/bitcoind (and bria) snapshot directory at the anchor block."),
    click.option("--epoch", "epoch", help="Epoch id (default: the cut-off as YYYYMMDDTHHMMSSZ)."),
)


# The ledger's read policies, as `solvency tree build` takes them (docs/MONGO.md 11.2); recorded in
# the definition's hash. The same policies given as MongoDB URI options are still accepted; one
# given both ways with different values is refused.
_READ_OPTIONS = (
    click.option("--fractional", type=click.Choice(["refuse", "floor"]), default=None,
                 help="Amounts that are not whole minor units (medici) are refused (default) or floored, Galoy's rule; recorded in the definition hash."),
    click.option("--roles", "roles_file", type=click.Path(dir_okay=False), help="Bank-roles override file (default: read from the ledger)."),
    click.option("--allow-unbalanced-journals", is_flag=True, help="Commit although a journal does not balance per currency (recorded in the definition hash)."),
)


def _read_options(fractional: str | None, roles_file: str | None, allow_unbalanced_journals: bool) -> dict[str, str | None]:
    return {"fractional": fractional, "roles": roles_file, "journal_check": "waived" if allow_unbalanced_journals else None}


_PRIVACY_OPTIONS = (
    click.option("--split", "split", default=DEFAULT_SPLIT, show_default=True, type=click.IntRange(1, 64),
                 help="Spread each balance over this many leaves (1: every proof shows another user's exact balance; SPEC 1)."),
    click.option("--min-leaves", "min_leaves", default=DEFAULT_MIN_LEAVES, show_default=True, type=click.IntRange(2, 1 << 40),
                 help="Pad the tree to at least this many leaves (hides the number of users below it)."),
    click.option("--exclude-negative", is_flag=True,
                 help="Commit each negative balance as 0 (never netted) and list it in the tree's private/negatives.csv; "
                      "the user's other balances stay in the tree. Without it a negative balance is refused."),
)


def _with(options):
    def decorate(func):
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def _need(**values) -> None:
    missing = [f"--{name.replace('_', '-')}" for name, value in values.items() if value is None]
    if missing:
        raise click.UsageError(f"missing option(s): {', '.join(missing)}")


@click.group(invoke_without_command=True)
@_with(_LEDGER_OPTIONS)
@_with(_READ_OPTIONS)
@_with(_PRIVACY_OPTIONS)
@click.option("--key", "key_file", type=click.Path(dir_okay=False), help="The bank's private signing key.")
@click.option("--out", "out", type=click.Path(file_okay=False), help="The publication directory PUBDIR.")
@click.option("--control-signer", "signer", help="Program that signs the challenge and the node digest (SPEC 11.5).")
@click.option("--signer-timeout", default=600, show_default=True, type=click.IntRange(1, 86400), help="Seconds per signing step.")
@click.option("--no-export-proofs", is_flag=True, help="Skip private/proofs.jsonl (bundles can still be served one by one).")
@json_option
@click.pass_context
def publish(ctx, db, definition, definitions_file, as_of, snapshots, epoch, fractional, roles_file, allow_unbalanced_journals,
            split, min_leaves, exclude_negative, key_file, out, signer, signer_timeout, no_export_proofs, as_json) -> None:
    """Publish one epoch: liabilities tree, asset attestation, epoch commitment and log head.

    Without a subcommand all three phases run, with --control-signer signing in between.
    """
    if ctx.invoked_subcommand is not None:
        _refuse_options_before(ctx, ctx.invoked_subcommand)
        return
    _need(db=db, as_of=as_of, snapshots=snapshots, key=key_file, out=out)
    if signer is None:
        raise click.UsageError("the wallets must sign a challenge that exists only after the tree is built: give "
                               "--control-signer CMD, or run `solvency publish prepare`, sign, then `solvency publish seal`")
    cut = parse_as_of(as_of)
    epoch = _epoch_id(epoch, cut)
    private_key = load_signing_key(key_file)
    with _errors():
        sealed = publish_epoch(
            out, db=db, definition=definition, definitions_file=definitions_file, as_of=cut, epoch=epoch,
            snapshots=snapshots, private_key=private_key, signer=signer, signer_timeout=signer_timeout,
            split=split, min_leaves=min_leaves, exclude_negative=exclude_negative,
            read_options=_read_options(fractional, roles_file, allow_unbalanced_journals),
            export_proofs=not no_export_proofs, progress=progress_unless(as_json), on_prepared=_announce,
        )
    _report(sealed, epoch, as_json)


class OptionsBeforeSubcommand(click.UsageError):
    """Options of the one-step ``solvency publish`` given before a phase's name: exit 2, one line.

    They belong to the group, not to the phase, and would be silently ignored
    (``solvency publish --json prepare ...`` printed text)."""

    def show(self, file: object = None) -> None:
        click.echo(f"Error: {self.message}", err=True)


def _refuse_options_before(ctx: click.Context, subcommand: str) -> None:
    given = [param for param in ctx.command.params
             if param.name and ctx.get_parameter_source(param.name) not in (None, ParameterSource.DEFAULT)]
    if given:
        names = ", ".join(param.opts[0] for param in given if isinstance(param, click.Option))
        raise OptionsBeforeSubcommand(f"{names} given before the subcommand {subcommand!r} would be ignored: give the subcommand's "
                                      f"options after its name (`solvency publish {subcommand} --help`)")


def _announce(prepared: Prepared) -> None:
    for note in prepared.notes:  # the bank roles used, waived journals and floored balances
        click.echo(note, err=True)
    click.echo(f"built the liabilities tree of {prepared.users} users; challenge:\n{prepared.challenge}", err=True)


@publish.command("prepare")
@_with(_LEDGER_OPTIONS)
@_with(_READ_OPTIONS)
@_with(_PRIVACY_OPTIONS)
@click.option("--key", "key_file", required=True, type=click.Path(dir_okay=False), help="The bank's private signing key.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="The publication directory PUBDIR.")
@json_option
def prepare_command(db, definition, definitions_file, as_of, snapshots, epoch, fractional, roles_file, allow_unbalanced_journals,
                    split, min_leaves, exclude_negative, key_file, out, as_json) -> None:
    """Phase 1: build the tree into PUBDIR/.pending-EPOCH/ and print the challenge to sign."""
    _need(db=db, as_of=as_of, snapshots=snapshots)
    cut = parse_as_of(as_of)
    epoch = _epoch_id(epoch, cut)
    private_key = load_signing_key(key_file)
    with _errors():
        prepared = prepare(
            out, db=db, definition=definition, definitions_file=definitions_file, as_of=cut, epoch=epoch,
            snapshots=snapshots, private_key=private_key, split=split, min_leaves=min_leaves,
            exclude_negative=exclude_negative, read_options=_read_options(fractional, roles_file, allow_unbalanced_journals),
            progress=progress_unless(as_json),
        )
    for note in prepared.notes:  # the bank roles used, waived journals and floored balances
        click.echo(note, err=True)
    if as_json:
        emit_json({"epoch": prepared.epoch, "as_of": prepared.as_of, "users": prepared.users, "pending": str(prepared.directory),
                   "root_hash": prepared.commitment.root_hash.hex(), "challenge": prepared.challenge,
                   "proofs_file": f"{prepared.directory}/snapshot/proofs.json"})
        return
    click.echo(prepared.challenge)
    click.echo(f"\nsign the text above (no trailing newline) with every address holding funds and write the signatures "
               f"to {prepared.directory}/snapshot/proofs.json (SPEC 8.5); then run `solvency publish digest`", err=True)


@publish.command("digest")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="The publication directory PUBDIR.")
@click.option("--epoch", "epoch", required=True, help="The prepared epoch.")
@click.option("--key", "key_file", required=True, type=click.Path(dir_okay=False), help="The bank's private signing key.")
@json_option
def digest_command(out, epoch, key_file, as_json) -> None:
    """Phase 2: print the message the lnd node must sign (needs proofs.json)."""
    private_key = load_signing_key(key_file)
    with _errors():
        prepared = load_prepared(out, epoch)
        message = node_message(prepared, private_key)
    if as_json:
        emit_json({"epoch": epoch, "message": message, "signature_file": f"{prepared.directory}/snapshot/lnd_signmessage.json"})
        return
    click.echo(message)
    click.echo(f"\nrun: lncli signmessage --msg '{message}' > {prepared.directory}/snapshot/lnd_signmessage.json", err=True)


@publish.command("seal")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="The publication directory PUBDIR.")
@click.option("--epoch", "epoch", required=True, help="The prepared epoch.")
@click.option("--key", "key_file", required=True, type=click.Path(dir_okay=False), help="The bank's private signing key.")
@click.option("--no-export-proofs", is_flag=True, help="Skip private/proofs.jsonl.")
@json_option
def seal_command(out, epoch, key_file, no_export_proofs, as_json) -> None:
    """Phase 3: attest, seal, self-check and publish PUBDIR/EPOCH/ atomically."""
    private_key = load_signing_key(key_file)
    with _errors():
        sealed = seal_once(out, epoch, private_key, export_proofs=not no_export_proofs, progress=progress_unless(as_json))
    _report(sealed, epoch, as_json)


@publish.command("proof")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="The publication directory PUBDIR.")
@click.option("--epoch", "epoch", required=True, help="The published epoch.")
@click.option("--user", "user", required=True, help="The user id (wallet id).")
@click.option("--key", "key", required=True, help="The bank's public key (.pub) or private key file, to self-check the bundle.")
@click.option("--to", "to", type=click.Path(dir_okay=False), help="Write the bundle here (default: stdout).")
@json_option
def proof_command(out, epoch, user, key, to, as_json) -> None:
    """Serve one user's proof bundle (SPEC 13): proof, epoch.json and the log head."""
    try:
        public_key = load_public_key(key)
    except CannotVerify:
        public_key = load_signing_key(key).public_key()
    epoch_dir = Path(out) / epoch
    if not (epoch_dir / "public" / "epoch.json").is_file():
        raise Rejected(f"{epoch_dir}: no published epoch {epoch!r}")
    with _errors():
        try:
            bundle = bundle_for_user(epoch_dir, user, public_key)
        except UnknownUser:
            raise Rejected(f"user {user!r} has no leaf in epoch {epoch}") from None
        except FileNotFoundError as exc:
            raise Rejected(str(exc)) from None
    if to:
        write_artifact(Path(to), bundle)
    if as_json:
        emit_json({"epoch": epoch, "user": user, "out": to or None, "bundle": bundle.to_json()})
    elif to:
        click.echo(f"proof bundle of user {user!r} at epoch {epoch} written to {to}")
    else:
        sys.stdout.buffer.write(bundle.to_bytes())
