"""`solvency demo --galoy`: publish end to end from a Galoy-shaped MongoDB database.

Steps (all under the output directory):

1. a Galoy-shaped book (`solvency.demo.galoy_book`: medici journals and legs, Galoy's
   ``accounts``/``wallets`` role collections, a void, a fractional legacy leg, every entry type)
   written into a fresh database: the one named by ``--mongo URI`` (refused unless empty), else an
   in-process mongomock client (a dev/demo dependency; no MongoDB server is needed). A copy is
   written to ``DIR/galoy-db.json`` (MongoDB Extended JSON) for inspection;
2. the ledger read through `ledger.mongo` exactly as a bank would point the toolkit at Galoy's
   database: the shipped definitions with no edits, the bank roles resolved from the
   collections, the per-journal check, and the fractional legs listed;
3. a node snapshot matching the books as Galoy keeps them since mid-2023 (`solvency.demo.nodes`,
   regtest): bria's wallet holds ``Assets:OnChain`` (``bria list-utxos``/``wallet-balance``, its
   keys the demo signer's), lnd's channels and on-chain wallet ``Assets:Reserve:Lightning``; and
   one epoch published by the same path as `solvency publish` (`prepare`, the demo signer, `seal`)
   with the explicit, recorded ``--fractional floor`` policy: a ``pos-assets/3`` attestation with
   bria's UTXOs;
4. every check run as a user and an auditor would: ``solvency-verify proof``, ``assets`` and
   ``history`` (as the SQLite demo runs them), and the auditor's check list with read access to
   the database (`solvency.auditor.checks.audit_epoch`, sampled proofs, ledger sums and leaves);
5. the balance sheet (owner equity and the dealer position from the role wallets, the fractional
   adjustment as its own line), the P&L of the last day by Galoy's entry types, the
   reconciliation with the node under the ``galoy-bria`` books layout (`LAYOUT`) and the solvency
   statement.

The in-process client is reached through ``ledger.mongo.connect``, which this module replaces for
the duration of the run only (`in_process`); nothing else in the process should open a MongoDB
URI meanwhile. Exit codes as the SQLite demo (`solvency.cli.demo`).
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ledger.mongo
from ledger.definitions import load_definitions
from ledger.open import open_store
from ledger.store import Store
from solvency.books.holdings import snapshot_totals
from solvency.books.layout import GALOY_BRIA
from solvency.books.pnl import profit_and_loss
from solvency.books.reconcile import reconcile
from solvency.books.sheet import balance_sheet
from solvency.books.text import money, print_balance_sheet, print_pnl, print_reconciliation
from solvency.demo.galoy_book import PRICE_CENTS_PER_BTC, GaloyDatabase, build_galoy_database
from solvency.demo.nodes import NodePlan, write_snapshot
from solvency.demo.story import (
    DEMO_FILES,
    MARKER,
    DemoResult,
    Echo,
    Progress,
    print_statement,
    utc_second_after_now,
    verify_publication,
)
from solvency.demo.wallets import DemoWallets
from solvency.keys import generate_key
from solvency.publish.pipeline import prepare, seal, sign_with
from solvency.reserves.snapshot import load_snapshot
from verifier.history import read_artifact

IN_PROCESS_URI = "mongodb://in-process-mongomock/galoy"
DUMP = "galoy-db.json"
POLICY = {"fractional": "floor"}  # Galoy's own rule, explicit and recorded in the definition hash
GALOY_FILES = DEMO_FILES | {DUMP}
LAYOUT = GALOY_BRIA  # Galoy since mid-2023: Assets:OnChain is bria's wallet (docs/MONGO.md 12)


class GaloyDemoError(Exception):
    """The demo cannot run (mongomock missing, a non-empty database, an existing --out); one line."""


def mongomock_client() -> Any:
    try:
        import mongomock
    except ImportError:
        raise GaloyDemoError("solvency demo --galoy without --mongo needs mongomock (an in-process MongoDB): "
                             "pip install 'proof-of-solvency[demo]' or give --mongo mongodb://HOST/NEWDB") from None
    return mongomock.MongoClient(tz_aware=True)


@contextmanager
def in_process(client: Any) -> Iterator[None]:
    """Every MongoDB URI opened meanwhile reaches `client` (mongomock cannot be reached by URI)."""
    before = ledger.mongo.connect
    ledger.mongo.connect = lambda uri: client
    try:
        yield
    finally:
        ledger.mongo.connect = before


def _refuse_non_empty(database: Any) -> None:
    existing = sorted(database.list_collection_names())
    if existing:
        shown = ", ".join(existing[:4]) + (", ..." if len(existing) > 4 else "")
        raise GaloyDemoError(f"MongoDB database {database.name!r} is not empty ({shown}): "
                             "the demo writes a fresh Galoy-shaped book; give a new database name")


def write_database(database: Any, book: GaloyDatabase) -> None:
    """Insert the book into `database`, which must hold no collection (a fresh database)."""
    _refuse_non_empty(database)
    for name, docs in book.collections().items():
        database[name].insert_many([dict(d) for d in docs])


def _dump(book: GaloyDatabase, path: Path) -> None:
    from bson import json_util

    text = json_util.dumps(book.collections(), indent=1, json_options=json_util.RELAXED_JSON_OPTIONS)
    path.write_text(text + "\n")


def _prepare_out(out: Path) -> None:
    import shutil

    if out.exists():
        if not (out / MARKER).exists() and any(p.name not in GALOY_FILES for p in out.iterdir()):
            raise GaloyDemoError(f"{out} exists and is not a previous demo output; choose another --out")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("written by `solvency demo --galoy`; the whole directory is replaced on the next run\n")


def _with_policy(uri: str) -> str:
    """The URI the auditor reads with: the demo's policy as URI options (the auditor's LEDGER_DB)."""
    return uri + ("&" if "?" in uri else "?") + "&".join(f"{k}={v}" for k, v in POLICY.items())


def run_galoy_demo(out: str | os.PathLike[str], users: int = 1000, seed: int = 2026, *, mongo: str | None = None,
                   echo: Echo = print, progress: Progress | None = None) -> DemoResult:
    """Run every step (see the module docstring); `mongo` is a URI naming a fresh database."""
    started = time.perf_counter()
    out = Path(out)
    if mongo is None:
        client, uri = mongomock_client(), IN_PROCESS_URI
    else:
        uri = mongo
    _, name, _ = ledger.mongo.split_uri(uri)
    if mongo is not None:
        from pymongo.errors import PyMongoError

        try:
            client = ledger.mongo.connect(ledger.mongo.split_uri(mongo)[0])
            _refuse_non_empty(client[name])  # before anything is written or printed
        except PyMongoError as exc:
            raise GaloyDemoError(f"cannot use MongoDB database {name!r}: {type(exc).__name__}: {str(exc)[:200]}") from None
    else:
        _refuse_non_empty(client[name])
    _prepare_out(out)
    result = DemoResult(out, users)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    book = build_galoy_database(users, seed, today - timedelta(days=3))
    where = "an in-process mongomock database" if mongo is None else f"MongoDB database {name!r}"
    echo(f"== A Galoy-shaped MongoDB book ({where}): {users} users ==")
    write_database(client[name], book)
    _dump(book, out / DUMP)
    echo(f"   {len(book.journals)} medici journals, {len(book.transactions)} legs in MainBook; "
         f"{len(book.accounts)} accounts and {len(book.wallets)} wallets (Galoy's role collections)")
    echo(f"   entry types: {', '.join(f'{k} {v}' for k, v in book.types.items())}")
    echo(f"   one failed payment voided by medici (journal {book.voided}); one 2021 receipt with fractional legs")
    context = in_process(client) if mongo is None else _nothing()
    with context:
        _read_ledger(uri, echo)
        _publish(result, out, uri, book, seed, echo, progress)
        rng = random.Random(seed)
        verify_publication(result, out, out / "publication", rng, echo)
        _audit(result, out, uri, echo)
        _books(result, uri, book, out / "snapshots" / "galoy", echo)
    print_statement(result, out / "publication", echo)
    result.seconds = time.perf_counter() - started
    _where(result, echo)
    return result


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _open(uri: str) -> Store:
    store = open_store(uri, create=False)
    store.set_read_options(**POLICY)
    return store


def _read_ledger(uri: str, echo: Echo) -> None:
    echo("\n== The toolkit reads it as it would read Galoy's database (shipped definitions, no edits) ==")
    with _open(uri) as store:
        roles = store.bank_roles()
        for line in roles.describe():
            echo(f"   {line}")
        unbalanced = store.unbalanced_journals()
        journals = sum(1 for _ in store.entries())
        echo(f"   per-journal check: {journals} journals, "
             + ("every one balances per currency" if not unbalanced else f"{len(unbalanced)} do NOT balance"))
        legs = store.fractional_legs()
        for leg, journal, account, currency, net in legs:
            echo(f"   fractional leg {leg} (journal {journal}) {account} {currency}: credit - debit = {net}")
        echo("   policy: --fractional floor (Galoy's rule; refused by default), recorded in the definition hash")


def _publish(result: DemoResult, out: Path, uri: str, book: GaloyDatabase, seed: int, echo: Echo, progress: Progress | None) -> None:
    definitions = load_definitions()
    with _open(uri) as store:
        bound = store.bind_definitions(definitions)

        def reserve(name: str) -> int:
            return dict(store.totals(bound[name])).get("BTC", 0)

        rng = random.Random(seed)  # the escrow entry of the book was booked for book.commit_fees
        # Galoy with bria: Assets:OnChain is bria's wallet; Assets:Reserve:Lightning holds lnd's
        # channels and lnd's on-chain wallet (LAYOUT, solvency.books.layout.GALOY_BRIA).
        lightning = reserve("lightning-reserve")
        plan = NodePlan.from_ledger(label="galoy", height=871_000, time=int(time.time()), lightning=lightning - book.lnd_onchain,
                                    commit_fees=book.commit_fees, onchain=book.lnd_onchain, cold=reserve("cold-storage"), rng=rng,
                                    usd_cents_per_btc=PRICE_CENTS_PER_BTC, price_time=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                    bria=reserve("onchain-hot"))
    snapshot = write_snapshot(out / "snapshots" / "galoy", plan, DemoWallets(seed))
    echo("\n== The node snapshot (regtest): lnd, bitcoind and bria, as their CLIs print them ==")
    echo(f"   bria wallet (Assets:OnChain): {len(plan.bria_utxos)} confirmed UTXOs, {sum(plan.bria_utxos)} sat "
         f"(one a change output, its address in bria_change_addresses.json); one unconfirmed deposit of {plan.bria_unconfirmed} sat")
    echo(f"   lnd (Assets:Reserve:Lightning): {plan.channel_local} sat in {len(plan.channels)} channels "
         f"+ {sum(plan.lnd_utxos)} sat in its on-chain wallet; cold storage {sum(plan.cold_utxos)} sat")
    key = generate_key(out / "bank.key")
    as_of = utc_second_after_now()
    epoch = f"galoy-{as_of[:10]}"
    signer = f"{sys.executable} -m solvency.demo.signer --seed {seed}"
    pubdir = out / "publication"
    echo(f"\n== Publishing epoch {epoch} (cut-off {as_of}) ==")
    echo(f"   solvency publish --db {uri} --fractional floor --as-of {as_of} --snapshots {snapshot} --key {out}/bank.key "
         f"--out {pubdir} --epoch {epoch} --control-signer '{signer}'")
    prepared = prepare(pubdir, db=uri, definition="customer-liabilities", as_of=as_of, epoch=epoch, snapshots=snapshot,
                       private_key=key, read_options=POLICY, progress=progress)
    for note in prepared.notes:
        echo(f"   {note}")
    sign_with(prepared, signer, key)
    sealed = seal(pubdir, epoch, key, progress=progress)
    attested = read_artifact(pubdir / epoch / "public" / "assets.json")
    bria = attested.get("bria") or {}
    echo(f"   assets.json: {attested.get('format')}, {len(bria.get('utxos', []))} bria UTXOs; "
         f"bria_confirmed {attested['totals'].get('bria_confirmed')} sat, bria_unconfirmed {attested['totals'].get('bria_unconfirmed')} sat (not counted)")
    definition = sealed.commitment.balance_definition
    echo(f"   {sealed.users} customer wallets committed (the bank's role wallets are not customers); "
         f"definition {definition.name if definition else '?'} {definition.content_hash.hex()[:16] if definition else ''}...; "
         f"log size {sealed.log_head.log_size}")
    result.epochs.append(epoch)
    result.as_of.append(as_of)


def _audit(result: DemoResult, out: Path, uri: str, echo: Echo) -> None:
    """The auditor's check list with read access to the database (the same policy, as URI options)."""
    from solvency.auditor.checks import PASS, SKIPPED, audit_epoch

    echo("\n== An auditor with read access to the database checks the epoch against it ==")
    table, _ = audit_epoch(out / "publication", out / "bank.key.pub", result.epochs[-1], ledger=_with_policy(uri), sample=8, seed=1)
    bad = 0
    for row in table.itertuples():
        ok = row.status in (PASS, SKIPPED)
        bad += not ok
        echo(f"   {'ok ' if ok else 'FAIL'} {row.check}" + ("" if ok else f": {row.status} {row.reason} {row.detail}"))
    result.checks["audit"] = 1 if bad else 0


def _books(result: DemoResult, uri: str, book: GaloyDatabase, snapshot: Path, echo: Echo) -> None:
    definitions = load_definitions()
    as_of = result.as_of[-1]
    start = int(book.pnl_day.timestamp()) * 1_000_000
    with _open(uri) as store:
        sheet = balance_sheet(store, definitions, as_of, LAYOUT)
        pnl = profit_and_loss(store, definitions, start, start + 86_400_000_000)
    echo("")
    print_balance_sheet(sheet, echo=echo)
    for currency in sheet.currencies:
        adjustment = sheet.fractional_adjustment(currency)
        if adjustment:
            echo(f"   the floor policy lowered the books' liabilities and equity by {money(adjustment, currency)} in all "
                 f"({len(sheet.floored)} floored balance(s)); it is its own line above, never a residue")
    echo("")
    day = book.pnl_day.strftime("%Y-%m-%dT%H:%M:%SZ")
    print_pnl(pnl, day, (book.pnl_day + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"), echo=echo)
    echo("")
    recon = reconcile(sheet, snapshot_totals(load_snapshot(snapshot)), LAYOUT)
    echo(f"Books layout {LAYOUT.name} (solvency report reconcile --layout {LAYOUT.name}): "
         + "; ".join(f"{line} = {' + '.join(categories)}" for line, categories in LAYOUT.node_categories))
    print_reconciliation(recon, as_of, str(snapshot), echo=echo)
    def amounts(name: str) -> dict[str, int]:
        line = sheet.line(name)
        return {} if line is None else dict(line.amounts)

    result.summary.update(
        balanced=sheet.balanced, fractional_adjustment=dict(sheet.adjustment), owner_equity=amounts("bankowner-equity"),
        dealer_position=amounts("dealer-position"), customer_liabilities=amounts("customer-liabilities"),
        pnl_reconciled=all(pnl.reconciled(c) for c in pnl.currencies),
        net_result=dict((c, pnl.net(c)) for c in pnl.currencies), reconciliation=recon.to_json(), layout=LAYOUT.name)
    if not sheet.balanced:
        result.checks["balance sheet"] = 1


def _where(result: DemoResult, echo: Echo) -> None:
    out = result.out
    echo(f"\nDone in {result.seconds:.1f} s. Files:")
    for path, what in (
        (DUMP, "the Galoy-shaped database the demo wrote (MongoDB Extended JSON, one array per collection)"),
        ("bank.key.pub", "the bank's public key: users pin it (bank.key is the secret signing key)"),
        ("snapshots/galoy/", "lncli/bitcoind/bria snapshot the attestation was made from"),
        (f"publication/{result.epochs[-1]}/public/", "what the bank publishes (definition.json names the bank's role wallets)"),
        (f"for-users/{result.sample_user}.bundle.json", "one user's proof bundle"),
    ):
        echo(f"    {out / path}  {what}")
    failed = {k: v for k, v in result.checks.items() if v != 0}
    echo("All checks passed." if not failed else f"FAILED checks: {failed}")
