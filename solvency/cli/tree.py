"""`solvency tree`: build the liabilities tree, serve proofs, export for users and auditors.

Each command parses its options, makes one library call (`solvency.tree.epoch.build_epoch`,
`TreeStore`, `solvency.tree.export`) and prints the result. Exit codes (`solvency.cli.common`): 0
success, 1 rejected input or failed check, 2 usage error. Heavy libraries (numpy, pyarrow) are
imported by the library functions that use them, never at import time.
"""

from __future__ import annotations

import os

import click

from solvency.atomic import atomic_write
from solvency.cli.common import (
    Rejected,
    emit_json,
    json_option,
    load_signing_key,
    parse_as_of,
    progress_unless,
    rejecting,
)
from solvency.tree.balances import HEADER, parse_currencies
from solvency.tree.build import DEFAULT_MIN_LEAVES, DEFAULT_SPLIT, hashing_backend
from solvency.tree.epoch import BuildRejected, Built, LedgerSource, build_epoch
from solvency.tree.export import write_leaves_bin, write_leaves_parquet
from solvency.tree.store import TreeStore, TreeStoreError, UnknownUser
from verifier.encoding import EPOCH_RE
from verifier.errors import VerificationError


@click.group()
def tree() -> None:
    """Build the Merkle sum tree of liabilities and serve proofs."""


@tree.command()
@click.option("--balances", "balances_file", type=click.Path(dir_okay=False), help=f"CSV or Parquet with columns {HEADER} (minor units), as `solvency ledger balances` writes it.")
@click.option("--db", "db", help="Ledger to read instead: a SQLite path, sqlite:///path or mongodb://...")
@click.option("--definition", "definition", help="Balance definition name (with --db).")
@click.option("--definitions", "definitions_file", type=click.Path(dir_okay=False), help="Definitions file (default: the packaged one).")
@click.option("--as-of", "as_of", required=True, help="Cut-off time, RFC 3339 UTC (e.g. 2026-11-01T00:00:00Z).")
@click.option("--epoch", "epoch", required=True, help="Epoch id, e.g. 2026-11 ([A-Za-z0-9._:-], 1-64 chars).")
@click.option("--key", "key_file", required=True, type=click.Path(dir_okay=False), help="The bank's private signing key file.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Output directory (must not exist).")
@click.option("--assets", "assets", default="BTC,USD", show_default=True, help="Ordered asset list committed in the root.")
@click.option("--split", "split", default=DEFAULT_SPLIT, show_default=True, type=click.IntRange(1, 64),
              help="Spread each user's balance over this many leaves (1: a proof shows a neighbour's exact balance; SPEC 1).")
@click.option("--min-leaves", "min_leaves", default=DEFAULT_MIN_LEAVES, show_default=True, type=click.IntRange(2, 1 << 40),
              help="Pad to at least this many leaves (hides the user count below it).")
@click.option("--exclude-negative", is_flag=True, help="Commit each negative balance as 0 (never netted) and list it in private/negatives.csv; the user's other balances stay in the tree.")
@click.option("--workers", type=click.IntRange(1, 64), help="Processes for hashing (default: up to 2).")
@click.option("--fractional", type=click.Choice(["refuse", "floor"]), default=None,
              help="With --db: amounts that are not whole minor units (medici) are refused (default) or floored, Galoy's rule; recorded in the definition hash.")
@click.option("--roles", "roles_file", type=click.Path(dir_okay=False), help="With --db: bank-roles override file (default: read from the ledger).")
@click.option("--allow-unbalanced-journals", is_flag=True, help="With --db: commit although a journal does not balance per currency (recorded in the definition hash).")
@json_option
def build(balances_file, db, definition, definitions_file, as_of, epoch, key_file, out, assets, split, min_leaves, exclude_negative, workers,
          fractional, roles_file, allow_unbalanced_journals, as_json) -> None:
    """Build the tree, sign the commitment, write DIR/commitment.json and DIR/private/."""
    if (balances_file is None) == (db is None):
        raise click.UsageError("give exactly one of --balances FILE or --db DB")
    if db is not None and definition is None:
        raise click.UsageError("--db needs --definition NAME")
    if not EPOCH_RE.fullmatch(epoch):
        raise click.BadParameter(f"must match {EPOCH_RE.pattern}", param_hint="--epoch")
    try:
        currencies = parse_currencies(assets)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--assets") from None
    cut = parse_as_of(as_of)
    private_key = load_signing_key(key_file)
    options = {"fractional": fractional, "roles": roles_file, "journal_check": "waived" if allow_unbalanced_journals else None}
    source = balances_file if db is None else LedgerSource(db, definition, definitions_file,
                                                            tuple((k, v) for k, v in options.items() if v is not None))
    with rejecting(BuildRejected):
        built = build_epoch(
            source, out_dir=out, epoch=epoch, as_of=cut, private_key=private_key, currencies=currencies,
            split=split, min_leaves=min_leaves, exclude_negative=exclude_negative, workers=workers, progress=progress_unless(as_json),
        )
    if as_json:
        emit_json(_build_json(built, epoch, cut, out))
    else:
        _report_build(built, epoch, cut, out)


def _build_json(built: Built, epoch: str, cut: str, out: str) -> dict:
    commitment, balances = built.commitment, built.balances
    definition = commitment.balance_definition
    privacy = commitment.privacy
    return {
        "epoch": epoch, "as_of": cut, "users": len(balances.user_ids), "leaf_count": commitment.leaf_count, "height": commitment.height,
        "hashing": hashing_backend(), "root_hash": commitment.root_hash.hex(),
        "root_sums": {code: total for code, total in zip(balances.currencies, commitment.root_sums)},
        "definition": None if definition is None else {"name": definition.name, "content_hash": definition.content_hash.hex()},
        "privacy": None if privacy is None else {"split": privacy.split, "min_leaves": privacy.min_leaves},
        "negatives_committed_as_zero": len(balances.excluded_negative), "notes": list(built.notes),
        "commitment": f"{out}/commitment.json", "private": f"{out}/private/",
    }


def _report_build(built: Built, epoch: str, cut: str, out: str) -> None:
    commitment, balances = built.commitment, built.balances
    click.echo(f"epoch {epoch} as of {cut}: {len(balances.user_ids)} users in {commitment.leaf_count} leaves (height {commitment.height}), hashed with {hashing_backend()}")
    for code, total in zip(balances.currencies, commitment.root_sums):
        click.echo(f"  {code}: {total}")
    click.echo(f"root {commitment.root_hash.hex()}")
    if commitment.balance_definition is not None:
        click.echo(f"definition {commitment.balance_definition.name} {commitment.balance_definition.content_hash.hex()}")
    for note in built.notes:  # the bank roles used, waived journals and floored balances
        click.echo(note)
    if commitment.privacy is not None:
        click.echo(f"privacy: each balance split over {commitment.privacy.split} leaf/leaves, at least {commitment.privacy.min_leaves} leaves (stated in the commitment)")
    if balances.excluded_negative:
        click.echo(f"committed {len(balances.excluded_negative)} negative balance(s) as 0 (the users' other balances are in the tree): "
                   f"{out}/private/negatives.csv", err=True)
    click.echo(f"public:  {out}/commitment.json")
    click.echo(f"private: {out}/private/ (epoch key, node store, user index; never publish)")


def _open(directory: str) -> TreeStore:
    with rejecting(TreeStoreError):
        return TreeStore(directory)


@tree.command()
@click.option("--dir", "directory", required=True, type=click.Path(file_okay=False), help="A directory written by `solvency tree build`.")
@click.option("--user", "user", required=True, help="The user id.")
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Write the proof here instead of stdout.")
@json_option
def proof(directory: str, user: str, out: str | None, as_json: bool) -> None:
    """Print one user's inclusion proof (proof.json), or write it to --out and say so."""
    with _open(directory) as store:
        try:
            doc = store.proof(user)
        except UnknownUser:
            raise Rejected(f"user {user!r} has no leaf in this tree") from None
        try:
            store.self_check(doc)
        except VerificationError as exc:
            raise Rejected(f"refusing to hand out a proof that does not verify: {exc}") from None
    data = doc.to_bytes()
    if out is not None:
        _atomic_write(out, lambda handle: handle.write(data))
    if as_json:
        emit_json({"user": user, "out": out, "proof": doc.to_json()})
    elif out is None:
        click.echo(data.decode(), nl=False)
    else:
        click.echo(f"proof of user {user!r} ({len(data)} bytes, epoch {doc.epoch}) written to {out}")


def _atomic_write(path: str, write) -> None:
    # Exports carry per-user data: owner-only (0600), and an existing file is never replaced.
    if os.path.exists(path):
        raise Rejected(f"{path} already exists")
    try:
        atomic_write(path, write, mode=0o600, overwrite=False)
    except FileExistsError:
        raise Rejected(f"{path} already exists") from None


@tree.command("export-proofs")
@click.option("--dir", "directory", required=True, type=click.Path(file_okay=False))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="JSON Lines file, one canonical proof per line.")
@json_option
def export_proofs(directory: str, out: str, as_json: bool) -> None:
    """Write every user's proof as JSON Lines (for delivery to users)."""
    with _open(directory) as store:
        try:
            store.self_check_sample()
        except VerificationError as exc:
            raise Rejected(f"refusing to export: a sampled proof does not verify: {exc}") from None
        with progress_unless(as_json)(store.meta["users"], "exporting proofs") as update:
            counter: dict[str, int] = {}
            _atomic_write(out, lambda handle: counter.setdefault("n", store.export_proofs(handle, update)))
    if as_json:
        emit_json({"proofs": counter["n"], "out": out})
    else:
        click.echo(f"{counter['n']} proofs written to {out}")


@tree.command("export-leaves")
@click.option("--dir", "directory", required=True, type=click.Path(file_okay=False))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="leaves.bin or leaves.parquet (by extension).")
@json_option
def export_leaves(directory: str, out: str, as_json: bool) -> None:
    """Auditor export: the padded leaf layer (hashes and values; no user ids, no salts)."""
    with _open(directory) as store:
        writer = write_leaves_parquet if out.endswith(".parquet") else write_leaves_bin
        _atomic_write(out, lambda handle: writer(store, handle))
    if as_json:
        emit_json({"leaves": store.meta["leaf_count"], "out": out, "encoding": "parquet" if out.endswith(".parquet") else "bin"})
    else:
        click.echo(f"{store.meta['leaf_count']} leaves written to {out}")
