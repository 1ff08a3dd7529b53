"""`solvency tree`: build the liabilities tree, serve proofs, export for users and auditors.

Exit codes: 0 success, 1 rejected input or failed check, 2 usage error. Heavy libraries (numpy,
pyarrow) are imported inside the commands, never at import time.
"""

from __future__ import annotations

import os

import click

from solvency.cli.common import Rejected, parse_as_of, progress


@click.group()
def tree() -> None:
    """Build the Merkle sum tree of liabilities and serve proofs."""


@tree.command()
@click.option("--balances", "balances_file", type=click.Path(dir_okay=False), help="CSV or Parquet with columns user_id,currency,amount (minor units).")
@click.option("--db", "db", help="Ledger to read instead: a SQLite path, sqlite:///path or mongodb://...")
@click.option("--definition", "definition", help="Balance definition name (with --db).")
@click.option("--definitions", "definitions_file", type=click.Path(dir_okay=False), help="Definitions file (default: the packaged one).")
@click.option("--as-of", "as_of", required=True, help="Cut-off time, RFC 3339 UTC (e.g. 2026-11-01T00:00:00Z).")
@click.option("--epoch", "epoch", required=True, help="Epoch id, e.g. 2026-11 ([A-Za-z0-9._:-], 1-64 chars).")
@click.option("--key", "key_file", required=True, type=click.Path(dir_okay=False), help="The bank's private signing key file.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Output directory (must not exist).")
@click.option("--assets", "assets", default="BTC,USD", show_default=True, help="Ordered asset list committed in the root.")
@click.option("--split", "split", default=1, show_default=True, type=click.IntRange(1, 64), help="Spread each user's balance over this many leaves.")
@click.option("--min-leaves", "min_leaves", default=2, show_default=True, type=click.IntRange(2, 1 << 40), help="Pad to at least this many leaves (hides the user count).")
@click.option("--exclude-negative", is_flag=True, help="Leave users with a negative balance out of the tree and list them in private/negatives.csv.")
@click.option("--workers", type=click.IntRange(1, 64), help="Processes for hashing (default: up to 2).")
def build(balances_file, db, definition, definitions_file, as_of, epoch, key_file, out, assets, split, min_leaves, exclude_negative, workers) -> None:
    """Build the tree, sign the commitment, write DIR/commitment.json and DIR/private/."""
    from solvency.keys import KeyFileError, load_private_key
    from solvency.tree.balances import BalancesRejected, from_rows, load_file, parse_assets
    from solvency.tree.build import build_tree
    from verifier.encoding import EPOCH_RE

    if (balances_file is None) == (db is None):
        raise click.UsageError("give exactly one of --balances FILE or --db DB")
    if db is not None and definition is None:
        raise click.UsageError("--db needs --definition NAME")
    if not EPOCH_RE.fullmatch(epoch):
        raise click.BadParameter(f"must match {EPOCH_RE.pattern}", param_hint="--epoch")
    try:
        asset_list = parse_assets(assets)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--assets") from None
    cut = parse_as_of(as_of)
    if os.path.exists(out):
        raise Rejected(f"{out} already exists; refusing to overwrite a built tree")
    try:
        private_key = load_private_key(key_file)
    except KeyFileError as exc:
        raise Rejected(str(exc)) from None
    balance_definition = ledger_digest = None
    try:
        if balances_file is not None:
            balances = load_file(balances_file, asset_list, exclude_negative=exclude_negative)
        else:
            from ledger.definitions import load_definitions
            from ledger.store import open_store

            definitions = load_definitions(definitions_file)
            if definition not in definitions:
                raise Rejected(f"unknown balance definition {definition!r} (known: {', '.join(sorted(definitions))})")
            chosen = definitions[definition]
            with open_store(db, create=False) as store:
                digest = store.digest()
                rows = list(store.user_balances(chosen, cut))
            balances = from_rows(rows, asset_list, source=f"{db} ({definition} as of {cut})", exclude_negative=exclude_negative, first_line=1)
            balance_definition = {"content_hash": chosen.content_hash, "name": chosen.name}
            ledger_digest = {"entry_count": digest.entry_count, "head_hash": digest.head_hash}
    except BalancesRejected as exc:
        raise Rejected(str(exc)) from None
    except (OSError, ValueError) as exc:
        raise Rejected(f"cannot read the input: {exc}") from None
    if not balances.user_ids:
        raise Rejected("no users with a non-negative balance: nothing to commit")
    length = 1
    while length < max(len(balances.user_ids) * split, min_leaves, 2):
        length *= 2
    try:
        with progress(length, "hashing leaves") as update:
            commitment = build_tree(
                balances, epoch=epoch, as_of=cut, private_key=private_key, out_dir=out,
                balance_definition=balance_definition, ledger_digest=ledger_digest,
                split=split, min_leaves=min_leaves, workers=workers, progress=update,
            )
    except (ValueError, FileExistsError) as exc:
        raise Rejected(str(exc)) from None
    from solvency.tree.build import hashing_backend

    click.echo(f"epoch {epoch} as of {cut}: {len(balances.user_ids)} users in {commitment['leaf_count']} leaves (height {commitment['height']}), hashed with {hashing_backend()}")
    for code, total in zip(asset_list, commitment["root"]["sums"]):
        click.echo(f"  {code}: {total}")
    click.echo(f"root {commitment['root']['hash']}")
    if balances.excluded_negative:
        click.echo(f"excluded {len(balances.excluded_negative)} negative balance(s): {out}/private/negatives.csv", err=True)
    click.echo(f"public:  {out}/commitment.json")
    click.echo(f"private: {out}/private/ (epoch key, node store, user index; never publish)")


def _open(directory: str):
    from solvency.tree.store import TreeStore, TreeStoreError

    try:
        return TreeStore(directory)
    except TreeStoreError as exc:
        raise Rejected(str(exc)) from None


@tree.command()
@click.option("--dir", "directory", required=True, type=click.Path(file_okay=False), help="A directory written by `solvency tree build`.")
@click.option("--user", "user", required=True, help="The user id.")
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Write the proof here instead of stdout.")
def proof(directory: str, user: str, out: str | None) -> None:
    """Print one user's inclusion proof (proof.json)."""
    from solvency.tree.store import UnknownUser
    from verifier import canonical
    from verifier.errors import VerificationError

    with _open(directory) as store:
        try:
            doc = store.proof(user)
        except UnknownUser:
            raise Rejected(f"user {user!r} has no leaf in this tree") from None
        try:
            store.self_check(doc)
        except VerificationError as exc:
            raise Rejected(f"refusing to hand out a proof that does not verify: {exc}") from None
    data = canonical.dump_file_bytes(doc)
    if out is None:
        click.echo(data.decode(), nl=False)
    else:
        _atomic_write(out, lambda handle: handle.write(data))


def _atomic_write(path: str, write) -> None:
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    if os.path.exists(path):
        raise Rejected(f"{path} already exists")
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@tree.command("export-proofs")
@click.option("--dir", "directory", required=True, type=click.Path(file_okay=False))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="JSON Lines file, one canonical proof per line.")
def export_proofs(directory: str, out: str) -> None:
    """Write every user's proof as JSON Lines (for delivery to users)."""
    import random

    from verifier.errors import VerificationError

    with _open(directory) as store:
        ids = list(store.user_ids())
        sample = sorted(random.SystemRandom().sample(range(len(ids)), min(100, len(ids))))
        try:
            for i in sample:
                store.self_check(store.proof_for_index(i, ids[i]))
        except VerificationError as exc:
            raise Rejected(f"refusing to export: a sampled proof does not verify: {exc}") from None
        with progress(store.meta["users"], "exporting proofs") as update:
            counter = {}
            _atomic_write(out, lambda handle: counter.setdefault("n", store.export_proofs(handle, update)))
    click.echo(f"{counter['n']} proofs written to {out}")


@tree.command("export-leaves")
@click.option("--dir", "directory", required=True, type=click.Path(file_okay=False))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="leaves.bin or leaves.parquet (by extension).")
def export_leaves(directory: str, out: str) -> None:
    """Auditor export: the padded leaf layer (hashes and values; no user ids, no salts)."""
    from solvency.tree.export import write_leaves_bin, write_leaves_parquet

    with _open(directory) as store:
        writer = write_leaves_parquet if out.endswith(".parquet") else write_leaves_bin
        _atomic_write(out, lambda handle: writer(store, handle))
    click.echo(f"{store.meta['leaf_count']} leaves written to {out}")
