"""Benchmark of the liabilities tree: build, proof lookup, export of all proofs, verify.

    python -m benchmarks tree                      # 1M users x 2 assets (default)
    python -m benchmarks.bench_tree --users 10000000 --no-peer --no-export
    BENCH_TREE_USERS=100000 make bench

Baselines measured in the same run on the same accounts:

(a) @galoymoney/proof-of-sats 0.1.15 (npm), installed by this script into a scratch directory with
    `npm install --prefix <scratch> @galoymoney/proof-of-sats@0.1.15` and driven by a small node
    script; it is a peer for comparison only, never a dependency. It supports one asset, so it is
    given the BTC balances only (our tree carries BTC and USD). Skipped with --no-peer or when
    node/npm are missing (the ratio is then reported as unavailable).
(b) raw hashlib SHA-256: (1) bulk throughput over as many bytes as the build hashes, (2) one
    hashlib call per message for as many messages as the build hashes: the floor for any
    pure-Python implementation of this tree.

The build is timed with the default hashing backend (the native extension when it compiled) and
once more with the pure-Python fallback (skip with --no-python-backend).

Targets (issue 3): build >= 15x faster than proof-of-sats; one proof lookup <= 3 ms; one verify
<= 1 ms in-process; 10M users build <= 60 s with RSS <= 8 GB. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from benchmarks import at_least

PEER = "@galoymoney/proof-of-sats@0.1.15"

NODE_SCRIPT = r"""
const fs = require("fs");
const pos = require(process.argv[2]);
const accounts = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const probe = process.argv[4];
let t = process.hrtime.bigint();
const tree = pos.createLiabilitiesTree(accounts);
const build = Number(process.hrtime.bigint() - t) / 1e9;
t = process.hrtime.bigint();
const proof = pos.createProof({ accountId: probe, tree });
const proofTime = Number(process.hrtime.bigint() - t) / 1e9;
const root = tree.merkleTree[0][0];
t = process.hrtime.bigint();
const res = pos.isLiabilityIncludedInTree({ liabilityProof: proof, roothash: root.hash });
const verify = Number(process.hrtime.bigint() - t) / 1e9;
console.log(JSON.stringify({ build, proof: proofTime, verify, valid: res.isProofValid,
  leaves: tree.merkleTree[tree.merkleTree.length - 1].length, rss: process.memoryUsage().rss }));
"""


def _rss_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def _fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def _peer(scratch: str, ids, btc, probe: str) -> dict | None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        print("  proof-of-sats: node/npm not found; peer skipped")
        return None
    done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", scratch, PEER], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"  proof-of-sats: npm install failed; peer skipped\n{done.stderr[-2000:]}")
        return None
    accounts_path = os.path.join(scratch, "accounts.json")
    with open(accounts_path, "w") as handle:
        json.dump([{"accountId": uid, "balance": int(b)} for uid, b in zip(ids, btc)], handle)
    script = os.path.join(scratch, "drive.js")
    with open(script, "w") as handle:
        handle.write(NODE_SCRIPT)
    module = os.path.join(scratch, "node_modules", "@galoymoney", "proof-of-sats")
    done = subprocess.run([node, "--max-old-space-size=12000", script, module, accounts_path, probe], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"  proof-of-sats run failed:\n{done.stderr[-2000:]}")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks tree", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=at_least(1), default=int(os.environ.get("BENCH_TREE_USERS", "1000000")),
                        help="users, each with a BTC and a USD balance (default 1,000,000; $BENCH_TREE_USERS)")
    parser.add_argument("--no-peer", action="store_true", help="skip @galoymoney/proof-of-sats")
    parser.add_argument("--no-export", action="store_true", help="skip exporting every proof")
    parser.add_argument("--no-csv", action="store_true", help="skip timing the CSV input path")
    parser.add_argument("--workers", type=at_least(1), default=None, help="build and export workers (default: CPUs)")
    parser.add_argument("--no-python-backend", action="store_true", help="skip timing the pure-Python fallback build")
    return parser


def main(argv: list[str]) -> int:
    return run(parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    import numpy as np
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from solvency.tree.balances import from_arrays
    from solvency.tree.build import build_tree, hashing_backend
    from solvency.tree.store import TreeStore
    from verifier.proof import verify_proof

    n = args.users
    m = 2
    print(f"liabilities tree: {n} users x {m} assets (BTC sats, USD cents), {os.cpu_count()} CPUs")
    rng = np.random.default_rng(2026)
    ids = [f"user-{i:08d}" for i in range(n)]
    amounts = np.stack([rng.integers(0, 10**9, n, dtype=np.uint64), rng.integers(0, 10**7, n, dtype=np.uint64)], axis=1)
    key = Ed25519PrivateKey.generate()
    scratch = tempfile.mkdtemp(prefix="bench-tree-")
    status = 0
    try:
        out = os.path.join(scratch, "tree")
        t0 = time.perf_counter()
        commitment = build_tree(from_arrays(ids, amounts, ("BTC", "USD")), epoch="bench", as_of="2026-11-01T00:00:00Z",
                                private_key=key, out_dir=out, workers=args.workers)
        build = time.perf_counter() - t0
        own_rss, child_rss = _rss_mb()
        python_build = None
        if not args.no_python_backend and hashing_backend() != "python":
            t0 = time.perf_counter()
            build_tree(from_arrays(ids, amounts, ("BTC", "USD")), epoch="bench", as_of="2026-11-01T00:00:00Z",
                       private_key=key, out_dir=os.path.join(scratch, "tree-python"), workers=args.workers, backend="python")
            python_build = time.perf_counter() - t0
            shutil.rmtree(os.path.join(scratch, "tree-python"))
        leaves = commitment.leaf_count
        expected = [int(amounts[:, j].sum(dtype=np.uint64)) for j in range(m)]
        if list(commitment.root_sums) != expected:
            print("ERROR: root sums differ from the input totals")
            status = 1

        # Bytes and messages hashed by the build (SPEC 3): per user leaf an HMAC (2 compressions
        # over a ~60-byte message, counted as its message), uc and the leaf; per padding leaf an
        # HMAC and the leaf; one node message per internal node.
        id_len = len(ids[0].encode())
        leaf_msg = 15 + 32 + 32 + 8 * m
        node_msg = 15 + 1 + 2 * (32 + 16 * m)
        messages = n * 3 + (leaves - n) * 2 + (leaves - 1)
        nbytes = n * ((15 + 2 + 5 + 2 + id_len + 4) + (15 + 32 + 2 + id_len) + leaf_msg) + (leaves - n) * (18 + 8 + leaf_msg) + (leaves - 1) * node_msg
        buf = os.urandom(1 << 20)
        t0 = time.perf_counter()
        h = hashlib.sha256()
        for _ in range(nbytes >> 20):
            h.update(buf)
        h.update(buf[: nbytes & ((1 << 20) - 1)])
        h.digest()
        bulk = time.perf_counter() - t0
        msg = os.urandom(node_msg)
        sha = hashlib.sha256
        t0 = time.perf_counter()
        for _ in range(messages):
            sha(msg).digest()
        per_call = time.perf_counter() - t0

        store = TreeStore(out)
        probe_ids = [ids[int(i)] for i in rng.integers(0, n, 200)]
        t0 = time.perf_counter()
        first = store.proof(probe_ids[0])
        cold = time.perf_counter() - t0
        times = []
        for uid in probe_ids:
            t0 = time.perf_counter()
            store.proof(uid)
            times.append(time.perf_counter() - t0)
        lookup = statistics.median(times)
        data = first.to_bytes()
        pub = key.public_key()
        vtimes = []
        for _ in range(200):
            t0 = time.perf_counter()
            verify_proof(data, pub)
            vtimes.append(time.perf_counter() - t0)
        verify = statistics.median(vtimes)

        csv_load = None
        if not args.no_csv:
            import pyarrow as pa
            import pyarrow.csv as pacsv

            from solvency.tree.balances import load_file

            csv_path = os.path.join(scratch, "balances.csv")
            long_ids = pa.array(ids * 2)
            if long_ids is not None:
                table = pa.table({
                    "user_id": long_ids,
                    "currency": pa.array(["BTC"] * n + ["USD"] * n),
                    "amount": pa.array(np.concatenate([amounts[:, 0], amounts[:, 1]]).astype(str)),
                })
                pacsv.write_csv(table, csv_path, pacsv.WriteOptions(quoting_style="none"))
                t0 = time.perf_counter()
                loaded = load_file(csv_path, ("BTC", "USD"))
                csv_load = time.perf_counter() - t0
                assert loaded.amounts.tolist()[:3] == amounts.tolist()[:3]
                del loaded, table
                os.unlink(csv_path)

        export = None
        if not args.no_export:
            t0 = time.perf_counter()
            with open(os.path.join(scratch, "proofs.jsonl"), "wb") as handle:
                count = store.export_proofs(handle, workers=args.workers)
            export = time.perf_counter() - t0
            export_size = os.path.getsize(os.path.join(scratch, "proofs.jsonl"))
            os.unlink(os.path.join(scratch, "proofs.jsonl"))
        store.close()
        disk = sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(out) for f in files)

        peer = None if args.no_peer else _peer(os.path.join(scratch, "peer"), ids, amounts[:, 0], probe_ids[0])

        print(f"\n  padded leaves           {leaves} (height {commitment.height}), node store {disk / 1e6:.0f} MB")
        print(f"  build                   {_fmt(build)}   ({n / build / 1e3:.0f}k users/s, hashed with {hashing_backend()})")
        if python_build is not None:
            print(f"  build, python fallback  {_fmt(python_build)}   (hashlib only; {python_build / build:.1f}x the native build)")
        if csv_load is not None:
            print(f"  load CSV input          {_fmt(csv_load)} ({2 * n} rows user_id,currency,amount; validated and pivoted)")
        workers_note = f", largest worker process {child_rss:.0f} MB" if child_rss >= 1 else " (no worker processes: the native build hashes in threads)"
        print(f"  peak RSS                parent {own_rss:.0f} MB{workers_note}")
        print(f"  proof lookup            {_fmt(lookup)} median of 200 (first, cold: {_fmt(cold)})   target <= 3 ms")
        print(f"  verify (in-process)     {_fmt(verify)} median of 200   target <= 1 ms")
        if export is not None:
            print(f"  export all proofs       {_fmt(export)} ({count} proofs, {export_size / 1e9:.2f} GB JSONL, {count / export:.0f}/s)")
        print(f"\n  (b) raw hashlib SHA-256 over the same {nbytes / 1e6:.0f} MB: bulk {_fmt(bulk)} -> build is {build / bulk:.1f}x the bulk time")
        print(f"      one hashlib call per message, {messages} messages: {_fmt(per_call)} -> build is {build / per_call:.2f}x the per-call floor")
        if peer:
            print(f"  (a) proof-of-sats 0.1.15 (node {subprocess.run(['node', '--version'], capture_output=True, text=True).stdout.strip()}, BTC only, {peer['leaves']} leaves):")
            print(f"      build {_fmt(peer['build'])}, one proof {_fmt(peer['proof'])}, verify {_fmt(peer['verify'])} (valid={peer['valid']}), RSS {peer['rss'] / 1e6:.0f} MB")
            print(f"      ratios (proof-of-sats / ours): build {peer['build'] / build:.1f}x   target >= 15x")
            print(f"                                      proof lookup {peer['proof'] / lookup:.0f}x, verify {peer['verify'] / verify:.2f}x")
            if export is not None:
                print(f"      export of all proofs: proof-of-sats needs one O(n) scan per proof: ~{_fmt(peer['proof'] * n)} extrapolated vs {_fmt(export)}")
        else:
            print("  (a) proof-of-sats: not run")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
