"""The end-to-end demo (`solvency demo`): a Galoy-style bank over two periods, two published
epochs, and everything a user and an auditor would check, with the real verifier command line.

Steps (all under the output directory, deterministic from the seed except keys' nonces, salts
and the tree's shuffle, which are fresh on every run as in production):

1. a fresh SQLite ledger; period 1 = `solvency.demo.bank.BankDay` (deposits, payments, fees,
   channels, cold-storage moves, conversions, rewards, reversals, late bookings); pending channel
   opens confirmed and the channels' commitment-fee escrow booked (Galoy's ``escrow`` entry);
2. a node snapshot matching the books (real lncli/bitcoind JSON, `solvency.demo.nodes`), and
   epoch 1 published with the demo signer as `--control-signer` (`solvency.demo.signer`);
3. period 2 of activity; the fee market moved the commitment fees (escrow drift) and one
   on-chain fee was never booked, so the node and the books differ by exactly those items;
4. epoch 2 published; a random user's proof bundle, the asset attestation and the whole
   history verified by running ``solvency-verify`` in a subprocess;
5. the balance sheet, the bank owner's P&L for period 2, the reconciliation and the solvency
   statement printed, and where the files are.

Two time axes: the demo's business happens on fixed days (the entries' ``reporting_at``, from
`solvency.demo.bank.DAY`, so the P&L is reproducible), but the ledger records it when the demo runs
(``committed_at``), and every cut-off (tree, attestation, epoch) is on that committed axis: a
whole second just after the last entry. Each epoch is named from its real cut-off, as
``solvency publish`` names an epoch without ``--epoch`` (``20261201T172041Z``).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from ledger.chain import PostedEntry
from ledger.definitions import BalanceDefinition, load_definitions
from ledger.entries import JournalEntry, Posting, transfer
from ledger.sqlite.store import SQLiteStore
from ledger.store import Store
from solvency.books.holdings import snapshot_totals
from solvency.books.pnl import profit_and_loss
from solvency.books.reconcile import reconcile
from solvency.books.sheet import balance_sheet
from solvency.books.text import print_balance_sheet, print_pnl, print_reconciliation
from solvency.demo.bank import BANKOWNER, DAY_START, DAY_US, ESCROW, FUNDER, LIGHTNING, BankDay
from solvency.demo.nodes import NodePlan, write_snapshot
from solvency.demo.wallets import DemoWallets
from solvency.keys import generate_key, load_private_key
from solvency.publish.bundle import bundle_for_user
from solvency.publish.epochs import write_artifact
from solvency.publish.page import PAGE_NAME, page_link
from solvency.publish.pipeline import prepare, seal, sign_with
from solvency.reserves.snapshot import load_snapshot
from solvency.tree.store import TreeStore
from verifier import canonical

MARKER = ".solvency-demo"
Echo = Callable[..., object]
#: ``progress(total, label)``: a context manager yielding an update callback (or None).
Progress = Callable[[int, str], AbstractContextManager[Callable[[int], None] | None]]
PRICE_CENTS = 9_500_000
UNBOOKED_FEE = 1_850  # an on-chain fee the operator forgot to book in period 2


class DemoDay(BankDay):
    """`BankDay` over consecutive days: `next_day` moves the generator's clock one day on."""

    def __init__(self, users: int, seed: int) -> None:
        super().__init__(users, seed)
        self.day_start = DAY_START

    def _tick(self) -> int:
        self.clock += self.rng.randrange(1, max(2, DAY_US // (self.users * 25)))
        return min(self.clock, self.day_start + DAY_US - 1)

    def opening(self) -> list[JournalEntry]:
        # The funder pays every reward; fund it for the whole demo so it never overdraws.
        top_up = transfer(BANKOWNER, FUNDER, "BTC", min(self.users * 2_000, 50_000_000), "funder top-up for rewards",
                          metadata=(("type", "reward"),), reporting_at=DAY_START - 70_000_000_000)
        return super().opening() + [top_up]

    def next_day(self) -> None:
        self.day_start += DAY_US
        self.clock = self.day_start

    def confirm_pending(self) -> list[JournalEntry]:
        out: list[JournalEntry] = []
        while (entry := self.channel_confirmed()) is not None:
            out.append(entry)
        return out


class _Counting:
    """Store proxy that reports each posted batch to a progress callback."""

    def __init__(self, store: Store, update: Callable[[int], None] | None) -> None:
        self._store, self._update = store, update

    def post_batch(self, entries: Sequence[JournalEntry]) -> Sequence[PostedEntry]:
        result = self._store.post_batch(entries)
        if self._update is not None:
            self._update(len(entries))
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


@dataclass
class DemoResult:
    out: Path
    users: int
    epochs: list[str] = field(default_factory=list)
    as_of: list[str] = field(default_factory=list)
    checks: dict[str, int] = field(default_factory=dict)  # verifier command -> exit code
    sample_user: str = ""
    seconds: float = 0.0
    summary: dict[str, Any] = field(default_factory=dict)


def utc_second_after_now() -> str:
    """A whole-second cut-off after every entry posted so far, and not in the future (also the
    Galoy demo's, `solvency.demo.galoy`)."""
    time.sleep(1.02 - (time.time() % 1))
    return datetime.fromtimestamp(int(time.time()) - 0, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_label(as_of: str) -> str:
    """An epoch's name from its cut-off, as `solvency publish` names one: 2026-12-01T17:20:41Z -> 20261201T172041Z."""
    return as_of.replace("-", "").replace(":", "")


def _now_utc() -> str:
    return datetime.fromtimestamp(int(time.time()), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _reserve(store: Store, definitions: Mapping[str, BalanceDefinition], name: str) -> int:
    return dict(store.totals(definitions[name])).get("BTC", 0)


def _verifier() -> list[str]:
    script = Path(sys.executable).parent / "solvency-verify"
    return [str(script)] if script.exists() else [sys.executable, "-m", "verifier"]


# What a demo run (this one or `--ledger-only`) writes; a directory holding only these is replaced.
DEMO_FILES = frozenset({MARKER, "ledger.db", "ledger.db-wal", "ledger.db-shm", "customer-liabilities.csv", "bank.key",
                        "bank.key.pub", "publication", "snapshots", "for-users"})


def _prepare_out(out: Path) -> None:
    if out.exists():
        if not (out / MARKER).exists() and any(p.name not in DEMO_FILES for p in out.iterdir()):
            raise FileExistsError(f"{out} exists and is not a previous demo output; choose another --out")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("written by `solvency demo`; the whole directory is replaced on the next run\n")


def run_demo(out: str | os.PathLike[str], users: int = 10_000, seed: int = 2026, *, echo: Echo = print,
             progress: Progress | None = None) -> DemoResult:
    """Run every step; `progress(total, label)` is a context manager yielding an update callback."""
    started = time.perf_counter()
    out = Path(out)
    _prepare_out(out)
    result = DemoResult(out, users)
    definitions = load_definitions()
    rng = random.Random(seed)
    wallets = DemoWallets(seed)
    key = generate_key(out / "bank.key")
    pubdir, snapshots, db = out / "publication", out / "snapshots", out / "ledger.db"
    signer = f"{sys.executable} -m solvency.demo.signer --seed {seed}"
    bar = progress or _no_progress

    def publish_epoch(snap: Path) -> None:
        as_of = utc_second_after_now()
        epoch = epoch_label(as_of)
        echo(f"\n== Publishing epoch {epoch} (cut-off {as_of}) ==")
        echo(f"   solvency publish --db {db} --as-of {as_of} --snapshots {snap} --key {out}/bank.key "
             f"--out {pubdir} --epoch {epoch} --control-signer '{signer}'")
        prepared = prepare(pubdir, db=str(db), definition="customer-liabilities", as_of=as_of, epoch=epoch,
                           snapshots=snap, private_key=key, progress=bar)
        sign_with(prepared, signer, key)
        sealed = seal(pubdir, epoch, key, progress=bar)
        echo(f"   {sealed.users} wallets committed (each wallet id is a user id of the tree); log size {sealed.log_head.log_size}, root {sealed.log_head.log_root.hex()[:16]}...")
        result.epochs.append(epoch)
        result.as_of.append(as_of)

    with SQLiteStore(str(db), create=True) as store:
        day = DemoDay(users, seed)
        echo(f"== Period 1: a Galoy-style bank with {users} users (BTC and USD wallets) ==")
        with bar(users * 20, "posting period 1") as update:
            report = day.run(cast(Store, _Counting(store, update)))
        if confirmations := day.confirm_pending():
            store.post_batch(confirmations)
        fees = NodePlan.commit_fees(rng)
        escrow_target = sum(f + 660 for f in fees)
        delta = escrow_target - _reserve(store, definitions, "channel-escrow")
        legs = (Posting(ESCROW, "BTC", "debit", delta), Posting(LIGHTNING, "BTC", "credit", delta)) if delta > 0 else (
            Posting(LIGHTNING, "BTC", "debit", -delta), Posting(ESCROW, "BTC", "credit", -delta))
        if delta:
            store.post(JournalEntry(legs, "escrow update: commitment fees of our channels", (("type", "escrow"),)))
        echo(f"   {report.entries_posted} entries ({report.reversals} failed payments reversed, {report.backdated} booked late, "
             f"{report.replays} client retries answered idempotently)")
        plan1 = NodePlan.from_ledger(
            label="epoch-1", height=871_000, time=int(time.time()), lightning=_reserve(store, definitions, "lightning-reserve"), commit_fees=fees,
            onchain=_reserve(store, definitions, "onchain-hot"), cold=_reserve(store, definitions, "cold-storage"),
            rng=rng, usd_cents_per_btc=PRICE_CENTS, price_time=_now_utc())
    write_snapshot(snapshots / "epoch-1", plan1, wallets)
    publish_epoch(snapshots / "epoch-1")

    with SQLiteStore(str(db)) as store:
        echo("\n== Period 2: another day of activity ==")
        day.next_day()
        entries = day.events()
        with bar(len(entries), "posting period 2") as update:
            for start in range(0, len(entries), 5_000):
                _Counting(store, update).post_batch(entries[start:start + 5_000])
        if confirmations := day.confirm_pending():
            store.post_batch(confirmations)
        echo(f"   {len(entries)} entries")
        # The fee market moved: lnd's commitment fees changed, the ledger's escrow did not (drift).
        new_fees = tuple(f + rng.randrange(-500, 1_500) for f in fees)
        drift = sum(new_fees) - sum(fees)
        plan2 = NodePlan.from_ledger(
            label="epoch-2", height=871_144, time=int(time.time()), lightning=_reserve(store, definitions, "lightning-reserve") - drift,
            commit_fees=new_fees, onchain=_reserve(store, definitions, "onchain-hot") - UNBOOKED_FEE,
            cold=_reserve(store, definitions, "cold-storage"), rng=rng, usd_cents_per_btc=PRICE_CENTS,
            price_time=_now_utc())
    write_snapshot(snapshots / "epoch-2", plan2, wallets)
    publish_epoch(snapshots / "epoch-2")

    verify_publication(result, out, pubdir, rng, echo)
    _books(result, db, snapshots / "epoch-2", echo)
    print_statement(result, pubdir, echo)
    result.seconds = time.perf_counter() - started
    _where(result, echo)
    return result


@contextmanager
def _no_progress(total: int, label: str) -> Iterator[Callable[[int], None] | None]:
    yield None


def _run(argv: list[str], echo: Echo) -> int:
    done = subprocess.run(argv, capture_output=True, text=True)
    lines = done.stdout.rstrip().splitlines()
    shown = [line for line in lines if not line.startswith("  ok")]
    echo(f"   $ {' '.join(Path(argv[0]).name if i == 0 else a for i, a in enumerate(argv))}")
    passed = [text for text in lines if text.startswith("  ok")]
    # What the reserves are bound to (network, anchor block and its age) is always worth showing.
    bound = [text for text in passed[:-3] if text.startswith(("  ok  network:", "  ok  anchor block"))]
    for line in bound + passed[-3:] + shown[-2:]:
        echo(f"   {line}")
    if done.returncode not in (0, 1, 3) or done.stderr.strip():
        echo(f"   (stderr) {done.stderr.strip()[-500:]}")
    return done.returncode


def verify_publication(result: DemoResult, out: Path, pubdir: Path, rng: random.Random, echo: Echo) -> None:
    """Run ``solvency-verify`` (a subprocess) on a random user's bundle of the last epoch, its
    assets and the whole history of `pubdir`; exit codes into ``result.checks`` (both demos)."""
    epoch = result.epochs[-1]
    with TreeStore(pubdir / epoch / "private" / "tree") as store:
        ids = list(store.user_ids())
    user = ids[rng.randrange(len(ids))]
    result.sample_user = user
    users_dir = out / "for-users"
    users_dir.mkdir()
    bundle_file = users_dir / f"{user}.bundle.json"

    write_artifact(bundle_file, bundle_for_user(pubdir / epoch, user, load_private_key(out / "bank.key").public_key()))
    trusted = users_dir / "log-head-seen-at-epoch-1.json"
    shutil.copyfile(pubdir / result.epochs[0] / "public" / "log-head.json", trusted)
    verify = _verifier()
    pub = str(out / "bank.key.pub")
    public = pubdir / epoch / "public"
    echo(f"\n== A user checks their balance (random user {user}) ==")
    result.checks["proof"] = _run(verify + ["proof", str(bundle_file), "--key", pub, "--epoch", epoch, "--user", user], echo)
    echo("\n== Anyone checks the assets ==")
    # The demo's coins are on regtest; the verifier pins mainnet unless told otherwise.
    result.checks["assets"] = _run(verify + ["assets", str(public / "assets.json"), "--key", pub, "--commitment",
                                             str(public / "commitment.json"), "--epoch", epoch, "--network", "regtest"], echo)
    echo("\n== Anyone checks the whole history and the transparency log ==")
    result.checks["history"] = _run(verify + ["history", str(pubdir), "--key", pub, "--trusted-head", str(trusted)], echo)


def _books(result: DemoResult, db: Path, snapshot: Path, echo: Echo) -> None:
    definitions = load_definitions()
    as_of = result.as_of[-1]
    with SQLiteStore(str(db)) as store:
        sheet = balance_sheet(store, definitions, as_of)
        start, end = DAY_START + DAY_US, DAY_START + 2 * DAY_US
        pnl = profit_and_loss(store, definitions, start, end)
    echo("")
    print_balance_sheet(sheet, echo=echo)
    echo("")
    print_pnl(pnl, "2026-11-21T00:00:00Z", "2026-11-22T00:00:00Z", echo=echo)
    echo("")
    recon = reconcile(sheet, snapshot_totals(load_snapshot(snapshot)))
    print_reconciliation(recon, as_of, str(snapshot), echo=echo)
    result.summary.update(balanced=sheet.balanced, pnl_reconciled=all(pnl.reconciled(c) for c in pnl.currencies),
                          net_result=dict((c, pnl.net(c)) for c in pnl.currencies), reconciliation=recon.to_json())


def print_statement(result: DemoResult, pubdir: Path, echo: Echo) -> None:
    """Echo the last epoch's signed solvency statement and keep it in ``result.summary`` (both demos)."""
    epoch = canonical.loads((pubdir / result.epochs[-1] / "public" / "epoch.json").read_bytes())
    statement = epoch["solvency"]
    echo(f"\nSolvency statement of epoch {epoch['epoch']} (signed in epoch.json, bound into the transparency log)")
    for row in statement["per_asset"]:
        echo(f"    {row['asset']:4} assets {row['assets']:>16}  liabilities {row['liabilities']:>16}  margin {row['margin']:>16} {row['unit']}")
    combined = statement["combined_at_declared_price"]
    if combined is not None:
        price = statement["price"]["usd_cents_per_btc"]
        echo(f"    at the declared price of {price // 100} USD/BTC: USD liabilities = {combined['usd_liabilities_in_sat']} sat; "
             f"margin {combined['margin_sat']} sat ({int(combined['margin_usd_cents']) // 100} USD)")
    result.summary["statement"] = statement


def _where(result: DemoResult, echo: Echo) -> None:
    out = result.out
    echo(f"\nDone in {result.seconds:.1f} s. Files:")
    for path, what in (
        ("ledger.db", "the bank's ledger (SQLite)"),
        ("bank.key.pub", "the bank's public key: users pin it (bank.key is the secret signing key)"),
        ("snapshots/epoch-*/", "lncli/bitcoind snapshots the attestations were made from"),
        (f"publication/{result.epochs[-1]}/public/", "what the bank publishes: commitment, balance definition, assets, epoch, log head"),
        (f"publication/{result.epochs[-1]}/private/", "never published: tree, salts' key, proof bundles, leaves.bin, log"),
        (f"for-users/{result.sample_user}.bundle.json", "one user's proof bundle"),
    ):
        echo(f"    {out / path}  {what}")
    failed = {k: v for k, v in result.checks.items() if v != 0}
    echo("All checks passed." if not failed else f"FAILED checks: {failed}")
    _browser_link(result, echo)


def _browser_link(result: DemoResult, echo: Echo) -> None:
    """Last line: the verifier page (PUBDIR/verify.html) filled with the sample user's bundle and key."""
    page = result.out / "publication" / PAGE_NAME
    if not page.is_file():
        echo("(no verifier page in this install: web/verifier/dist/verify.html is missing)")
        return
    bundle = (result.out / "for-users" / f"{result.sample_user}.bundle.json").read_bytes()
    key = canonical.loads((result.out / "bank.key.pub").read_bytes())["public_key"]
    link = page_link(page, bundle, key, result.epochs[-1], result.sample_user)
    result.summary["browser_link"] = link
    echo(f"\nCheck the same bundle in your browser (nothing leaves it; open this link):\n{link}")


def summary(result: DemoResult) -> dict[str, Any]:
    """The demo's result as the members of its `--json` document (docs/CLI.md)."""
    return {"out": str(result.out), "users": result.users, "epochs": result.epochs, "as_of": result.as_of,
            "checks": result.checks, "sample_user": result.sample_user, "seconds": round(result.seconds, 1),
            **result.summary}
