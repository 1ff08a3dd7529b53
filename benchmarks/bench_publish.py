"""Benchmark of a whole publication: ledger bulk balances -> tree -> proof store -> bundle.

    python -m benchmarks publish                     # 1M users x (BTC, USD) (default)
    python -m benchmarks.bench_publish --users 100000 --export
    BENCH_PUBLISH_USERS=100000 make bench

Set-up (not timed): a SQLite ledger where every user has a BTC and a USD wallet with a non-zero
balance (one opening entry per 5,000 wallets), a bank key, a demo node snapshot.

Timed, in the order `solvency publish` runs them (`solvency.publish.pipeline`):

1. prepare: the ledger's per-user balances of `customer-liabilities` at the cut-off (one SQL pass)
   and the chain digest at the cut-off, validation, the tree build into the node store, the
   challenge;
2. sign: the demo control signer, run twice as a subprocess (proofs of control, node digest);
3. seal: attestation, epoch commitment, log append and head, the auditor leaf export, the
   self-check (every public file through the verifier, one bundle, the secret scan), fsync and
   rename; with ``--export`` also the bulk proof-bundle export (JSON Lines, several GB at 1M);
4. bundle: one user's proof bundle served from the published epoch (O(log n)) and verified.

Baselines in the same run: a pure-Python loop of one ``hashlib.sha256`` call per tree node (the
floor for any Python implementation of the tree) and writing the node store's bytes once (I/O).
Targets (issue 5): publication <= 30 s and RSS <= 4 GB for 1M users on a 2-core machine. Figures
are printed, never asserted. RSS is the peak of this process and, separately, of its children.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import random
import resource
import shlex
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from benchmarks import at_least


def _rss_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def _ledger(path: Path, users: int) -> None:
    from ledger.entries import JournalEntry, Posting
    from ledger.sqlite.store import SQLiteStore
    from solvency.demo.bank import COLD, DEALER_HEDGE

    rng = random.Random(1)
    with SQLiteStore(str(path), create=True) as store:
        for start in range(0, users, 5_000):
            count = min(5_000, users - start)
            for currency, asset, low, high in (("BTC", COLD, 1_000, 5_000_000), ("USD", DEALER_HEDGE, 1, 500_000)):
                amounts = [rng.randrange(low, high) for _ in range(count)]
                postings = [Posting(f"Liabilities:{uuid.UUID(int=rng.getrandbits(128), version=4)}", currency, "credit", a) for a in amounts]
                store.post_batch([JournalEntry((Posting(asset, currency, "debit", sum(amounts)), *postings), "opening balances", (("type", "opening"),))])


def _snapshot(directory: Path, seed: int) -> None:
    from solvency.demo.nodes import NodePlan, write_snapshot
    from solvency.demo.wallets import DemoWallets

    rng = random.Random(seed)
    plan = NodePlan.from_ledger(label="bench", height=871_000, time=int(time.time()), lightning=10**10,
                                commit_fees=NodePlan.commit_fees(rng),
                                onchain=10**9, cold=10**12, rng=rng, usd_cents_per_btc=9_500_000, price_time="2026-11-20T23:59:00Z")
    write_snapshot(directory, plan, DemoWallets(seed))


@contextlib.contextmanager
def _scratch(keep: str | None, prefix: str) -> Iterator[Path]:
    """The scratch directory: `keep` when given (created if need be, and kept), else a new
    temporary one, removed on leaving."""
    scratch = Path(keep) if keep else Path(tempfile.mkdtemp(prefix=prefix))
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        yield scratch
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)


def _as_of_and_signer() -> tuple[str, str]:
    """A cut-off of the next whole second, once it has passed, and the demo signer command."""
    time.sleep(1.05 - time.time() % 1)
    as_of = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(time.time())))
    return as_of, f"{shlex.quote(sys.executable)} -m solvency.demo.signer --seed 2026"


def _baselines(nodes: int, record: int, scratch: Path) -> tuple[float, float]:
    sha = hashlib.sha256
    message = b"\x00" * (2 * record + 24)
    t = time.perf_counter()
    for _ in range(nodes):
        sha(message).digest()
    hashing = time.perf_counter() - t
    data = os.urandom(1 << 20) * max(1, nodes * record >> 20)
    t = time.perf_counter()
    with open(scratch / "io.bin", "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    io = time.perf_counter() - t
    os.unlink(scratch / "io.bin")
    return hashing, io


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks publish", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=at_least(1), default=int(os.environ.get("BENCH_PUBLISH_USERS", 1_000_000)),
                        help="users, each with a BTC and a USD wallet (default 1,000,000; $BENCH_PUBLISH_USERS)")
    parser.add_argument("--export", action="store_true", help="also export every user's proof bundle (JSON Lines)")
    parser.add_argument("--keep", help="keep the scratch directory here")
    return parser


def main(argv: list[str]) -> int:
    return run(parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:

    from solvency.keys import generate_key
    from solvency.publish.bundle import bundle_for_user
    from solvency.publish.pipeline import prepare, seal, sign_with

    with _scratch(args.keep, "bench-publish-") as scratch:
        print(f"publication of {args.users} users x (BTC, USD); scratch {scratch}", flush=True)
        t = time.perf_counter()
        _ledger(scratch / "ledger.db", args.users)
        key = generate_key(scratch / "bank.key")
        _snapshot(scratch / "snap", 2026)
        print(f"  set-up (not timed): ledger of {2 * args.users} wallets in {time.perf_counter() - t:.1f} s", flush=True)
        as_of, signer = _as_of_and_signer()
        pub = scratch / "pub"
        figures = {}

        t0 = time.perf_counter()
        steps: dict[str, float] = {}
        prepared = prepare(pub, db=str(scratch / "ledger.db"), definition="customer-liabilities", as_of=as_of, epoch="bench",
                           snapshots=scratch / "snap", private_key=key, timings=steps)
        figures["prepare (ledger balances + tree build)"] = time.perf_counter() - t0
        for name, seconds in steps.items():
            figures[f"  prepare: {name}"] = seconds
        t = time.perf_counter()
        sign_with(prepared, signer, key)
        figures["sign (control signer, 2 subprocesses)"] = time.perf_counter() - t
        t = time.perf_counter()
        sealed = seal(pub, "bench", key, export_proofs=False)
        figures["seal (attest, epoch, log, leaves.bin, self-check, rename)"] = time.perf_counter() - t
        t = time.perf_counter()
        with open(pub / "bench" / "private" / "tree" / "private" / "users.ids", encoding="utf-8") as handle:
            user = handle.readline().rstrip("\n")
        bundle = bundle_for_user(pub / "bench", user, key.public_key())
        figures["bundle (one user's proof bundle, served and verified)"] = time.perf_counter() - t
        total = time.perf_counter() - t0
        own, children = _rss_mb()
        for name, seconds in figures.items():
            print(f"  {name:58} {seconds:8.2f} s", flush=True)
        print(f"  {'publication total':58} {total:8.2f} s   (target <= 30 s)")
        print(f"  peak RSS: this process {own:.0f} MB, largest child {children:.0f} MB   (target <= 4096 MB)")
        print(f"  leaves {sealed.commitment.leaf_count}, bundle {len(bundle.to_bytes()) - 1} bytes")
        if args.export:
            t = time.perf_counter()
            with open(scratch / "bundles.jsonl", "wb") as handle:
                from solvency.publish.bundle import BundleWriter
                from solvency.tree.store import TreeStore

                with TreeStore(pub / "bench" / "private" / "tree") as store:
                    writer = BundleWriter(handle, sealed.epoch, sealed.log_head)
                    store.export_proofs(writer)
                    writer.close()
            seconds = time.perf_counter() - t
            size = (scratch / "bundles.jsonl").stat().st_size
            print(f"  {'bulk export of every bundle (optional)':58} {seconds:8.2f} s   {size / 1e9:.2f} GB, "
                  f"{args.users / seconds:,.0f} bundles/s")
        nodes = 2 * sealed.commitment.leaf_count
        hashing, io = _baselines(nodes, 32 + 32, scratch)
        print(f"  baseline: {nodes} hashlib.sha256 calls in a Python loop   {hashing:8.2f} s  (publication / baseline = {total / hashing:.1f}x)")
        print(f"  baseline: writing the node store's size once, fsynced      {io:8.2f} s")
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
