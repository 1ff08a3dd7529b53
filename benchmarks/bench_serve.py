"""Benchmark of the proof service (`solvency serve`, issue 15.2) against the CLI path.

    python -m benchmarks serve                       # 1M users (default)
    python -m benchmarks serve --users 100000
    BENCH_SERVE_USERS=100000 make bench

Set-up (not timed): a SQLite ledger of N users with a BTC and a USD wallet each (each wallet id is
a user id of the tree, so the tree holds 2N ids), one published epoch (`solvency publish` as a
library, the bench_publish ledger), a bearer token file. `--keep DIR` keeps and reuses it.

Timed, in the same run:

1. service: `solvency serve` started as its own process on a loopback port. For each
   `--concurrency` C (default 4 and 16), C clients (aiohttp, one keep-alive connection each, in
   this process) ask for `--requests` proof bundles of ids drawn at random, after a warm-up:
   per-request latency from send to the last byte read, and requests/s over the timed window.
   Every answer must be 200 and a sample is checked with the verifier (`verify_bundle`). Rows:
   one worker process, ``--workers`` (default: one per CPU), and ``--workers --verify-each``
   (every proof through the verifier's check list) at the last C.
2. CLI: `solvency publish proof` run `--cli-runs` times, one process per request, sequentially:
   what a bank without the service would run per user.

Goal (issue 15): p99 <= 10 ms and >= 1,000 proofs/s on a 2-core machine. Figures are printed,
never asserted; the load average is printed with them, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from benchmarks import at_least
from benchmarks.bench_publish import _as_of_and_signer, _ledger, _scratch, _snapshot

EPOCH = "bench"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q / 100 * len(ordered))) - 1))]


def _publish(scratch: Path, users: int) -> tuple[Path, Path]:
    from solvency.keys import generate_key
    from solvency.publish.pipeline import prepare, seal, sign_with

    _ledger(scratch / "ledger.db", users)
    key = generate_key(scratch / "bank.key")
    _snapshot(scratch / "snap", 2026)
    as_of, signer = _as_of_and_signer()
    pub = scratch / "pub"
    prepared = prepare(pub, db=str(scratch / "ledger.db"), definition="customer-liabilities", as_of=as_of, epoch=EPOCH,
                       snapshots=scratch / "snap", private_key=key)
    sign_with(prepared, signer, key)
    seal(pub, EPOCH, key, export_proofs=False)
    return pub, scratch / "bank.key"


async def _clients(url: str, token: str, users: list[str], requests: int, concurrency: int,
                   keep: int) -> tuple[list[float], float, list[tuple[str, bytes]], dict[int, int]]:
    import aiohttp

    rng = random.Random(15)
    picks = [users[rng.randrange(len(users))] for _ in range(requests)]
    latencies: list[float] = []
    kept: list[tuple[str, bytes]] = []
    statuses: dict[int, int] = {}
    headers = {"Authorization": f"Bearer {token}"}
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        async def worker(mine: list[str]) -> None:
            for user in mine:
                t = time.perf_counter()
                async with session.get(f"{url}/v1/epochs/{EPOCH}/proofs/{quote(user, safe='')}") as response:
                    body = await response.read()
                latencies.append(time.perf_counter() - t)
                statuses[response.status] = statuses.get(response.status, 0) + 1
                if len(kept) < keep:
                    kept.append((user, body))

        warm = [picks[i::concurrency][:20] for i in range(concurrency)]
        await asyncio.gather(*(worker(w) for w in warm))
        latencies.clear()
        kept.clear()
        statuses.clear()
        started = time.perf_counter()
        await asyncio.gather(*(worker(picks[i::concurrency]) for i in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, elapsed, kept, statuses


def _service(pub: Path, token_file: Path, users: list[str], token: str, args: argparse.Namespace, concurrency: int,
             extra: tuple[str, ...] = ()) -> dict[str, float]:
    proc = subprocess.Popen([sys.executable, "-m", "solvency", "serve", "--pubdir", str(pub), "--token-file", str(token_file),
                             "--port", "0", "--json", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout is not None else ""
        if not line:
            raise RuntimeError(f"the service did not start: {proc.communicate(timeout=30)[1].strip()}")
        url = json.loads(line)["url"]
        latencies, elapsed, kept, statuses = asyncio.run(_clients(url, token, users, args.requests, concurrency, 50))
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    from solvency.keys import load_private_key
    from verifier.bundle import verify_bundle

    public_key = load_private_key(str(pub.parent / "bank.key")).public_key()
    for user, body in kept:
        verify_bundle(body, public_key, expected_epoch=EPOCH, expected_user=user)
    if set(statuses) != {200}:
        raise RuntimeError(f"non-200 answers: {statuses}")
    return {"p50": _percentile(latencies, 50), "p99": _percentile(latencies, 99), "mean": statistics.fmean(latencies),
            "rps": len(latencies) / elapsed, "count": len(latencies), "verified": len(kept)}


def _cli(pub: Path, key: Path, users: list[str], runs: int) -> dict[str, float]:
    rng = random.Random(16)
    latencies = []
    started = time.perf_counter()
    for _ in range(runs):
        user = users[rng.randrange(len(users))]
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "solvency", "publish", "proof", "--out", str(pub), "--epoch", EPOCH,
                        "--user", user, "--key", str(key)], check=True, capture_output=True)
        latencies.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - started
    return {"p50": _percentile(latencies, 50), "p99": _percentile(latencies, 99), "mean": statistics.fmean(latencies),
            "rps": runs / elapsed, "count": runs}


def _concurrency(text: str) -> list[int]:
    return [at_least(1)(c) for c in text.split(",")]


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks serve", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=at_least(1), default=int(os.environ.get("BENCH_SERVE_USERS", 1_000_000)),
                        help="users, each with a BTC and a USD wallet (default 1,000,000; $BENCH_SERVE_USERS)")
    parser.add_argument("--requests", type=at_least(1), default=20_000, help="timed proof requests to the service per row")
    parser.add_argument("--concurrency", type=_concurrency, default=[4, 16],
                        help="concurrent clients (connections), comma-separated for several rows (default 4,16)")
    parser.add_argument("--workers", type=at_least(1), default=os.cpu_count() or 1, help="service worker processes (default: CPUs)")
    parser.add_argument("--cli-runs", type=at_least(1), default=20, help="`solvency publish proof` processes, one per request")
    parser.add_argument("--keep", help="keep (and reuse) the scratch directory here")
    return parser


def main(argv: list[str]) -> int:
    return run(parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:

    with _scratch(args.keep, "bench-serve-") as scratch:
        print(f"proof service vs CLI, {args.users} users x (BTC, USD); scratch {scratch}; {os.cpu_count()} CPUs", flush=True)
        t = time.perf_counter()
        pub = scratch / "pub"
        if not (pub / EPOCH / "public" / "epoch.json").is_file():
            pub, _ = _publish(scratch, args.users)
        key = scratch / "bank.key"
        token = os.urandom(32).hex()
        token_file = scratch / "token"
        token_file.write_text(token + "\n")
        with open(pub / EPOCH / "private" / "tree" / "private" / "users.ids", encoding="utf-8") as handle:
            users = [line.rstrip("\n") for line in handle]
        print(f"  set-up (not timed): ledger and one published epoch of {len(users)} users in {time.perf_counter() - t:.1f} s", flush=True)

        load_before = os.getloadavg()
        workers = ("--workers", str(args.workers))
        runs = []
        for concurrency in args.concurrency:
            runs.append((f"1 worker, {concurrency} clients", _service(pub, token_file, users, token, args, concurrency)))
            runs.append((f"--workers {args.workers}, {concurrency} clients",
                         _service(pub, token_file, users, token, args, concurrency, workers)))
        last = args.concurrency[-1]
        runs.append((f"--workers {args.workers} --verify-each, {last} clients",
                     _service(pub, token_file, users, token, args, last, (*workers, "--verify-each"))))
        cli = _cli(pub, key, users, args.cli_runs)
        load_after = os.getloadavg()

        print(f"  service: {args.requests} proof requests per row over loopback, users drawn at random; every answer 200, "
              f"{runs[0][1]['verified']:.0f} per row checked with verify_bundle   (goal: p99 <= 10 ms and >= 1,000 proofs/s)")
        for label, row in runs:
            print(f"    {label:38} p50 {row['p50'] * 1e3:7.2f} ms   p99 {row['p99'] * 1e3:7.2f} ms   "
                  f"mean {row['mean'] * 1e3:7.2f} ms   {row['rps']:7.0f} proofs/s")
        print(f"  CLI (`solvency publish proof`, one process per request, sequential): {cli['count']:.0f} runs")
        print(f"    p50 {cli['p50'] * 1e3:7.0f} ms   p99 {cli['p99'] * 1e3:7.0f} ms   mean {cli['mean'] * 1e3:7.0f} ms"
              f"   {cli['rps']:8.2f} proofs/s")
        best = max((row for _, row in runs[:-1]), key=lambda row: row["rps"])
        print(f"  ratio best service row / CLI: {best['rps'] / cli['rps']:,.0f}x proofs/s, "
              f"p50 latency {cli['p50'] / best['p50']:,.0f}x lower")
        print("  load average (1, 5, 15 min) before: %.2f %.2f %.2f, after: %.2f %.2f %.2f" % (*load_before, *load_after))
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
