"""Asset attestation: prover and verifier cost per proof of control, against raw libsecp256k1.

Builds a snapshot with N cold-storage 2-of-3 P2WSH addresses (one UTXO each, a BIP-322 simple
signature per address), then times: loading and checking the snapshot plus building the
attestation body (which verifies every proof), and `verify_attestation` in-process. The baseline,
measured in the same run, is 2N bare ECDSA verifications with coincurve (the signature checks a
2-of-2 witness needs at minimum), so the ratio shows the overhead of transactions, sighashes,
address and descriptor checks and JSON around the curve operations.

``python -m benchmarks assets [--addresses N]`` (default N = 300).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import at_least


def _builder():
    here = Path(__file__).resolve().parent.parent / "tests" / "assets"
    if str(here) not in sys.path:
        sys.path.insert(0, str(here))
    import assets_builder

    return assets_builder


def _scaled_snapshot(b, n: int, directory: Path, epoch: str, commitment: dict) -> None:
    snap = b.Snapshot(epoch, commitment)
    entries, proofs, total = [], [], 0
    for i in range(n):
        keys = [b.key(f"bench {i} {j}") for j in range(3)]
        script = b.multisig_script(2, [k.public_key.format() for k in keys])
        spk = b.p2wsh(script)
        amount = 100_000 + i
        total += amount
        entries.append(
            '{"txid": "%s", "vout": 0, "scriptPubKey": "%s", "desc": "%s", "amount": 0.%08d, "coinbase": false, "height": %d}'
            % (b.txid(f"bench {i}"), spk.hex(), b.descriptor(keys), amount, b.ANCHOR_HEIGHT - 10)
        )
        proofs.append({"address": b.script_address(spk, b.NETWORK), "format": "bip322-simple",
                       "signature": b.bip322_sign(spk, snap.challenge, keys[:2], script)})
    snap.files["bitcoind_scantxoutset.json"] = (
        '{"success": true, "txouts": 1, "height": %d, "bestblock": "%s", "unspents": [%s], "total_amount": %d.%08d}'
        % (b.ANCHOR_HEIGHT, b.ANCHOR_HASH, ", ".join(entries), total // 10**8, total % 10**8)
    )
    lnd_proofs = [p for p in b.proofs_for(snap.challenge)["proofs"] if p["format"] != "bip322-simple"]
    snap.write(directory, proofs={"proofs": proofs + lnd_proofs})


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks assets", description=__doc__.splitlines()[0])
    parser.add_argument("--addresses", type=at_least(1), default=300,
                        help="cold-storage 2-of-3 P2WSH addresses, one UTXO and one proof each (default 300)")
    return parser


def main(argv: list[str]) -> int:
    return run(parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    from coincurve import PrivateKey

    from solvency.keys import generate_key, sign
    from solvency.reserves.attest import (
        build_attestation,
        commitment_copy,
        load_price,
        load_proofs,
        read_node_signature,
    )
    from solvency.reserves.snapshot import load_snapshot
    from verifier.assets.attestation import verify_attestation

    n = args.addresses
    b = _builder()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        private = generate_key(root / "bank.key")
        epoch = "bench-1"
        commitment = b.commitment(private, epoch)
        started = time.perf_counter()
        _scaled_snapshot(b, n, root / "snap", epoch, commitment)
        setup = time.perf_counter() - started

        copy_ = commitment_copy(commitment, epoch, private.public_key())
        started = time.perf_counter()
        snap = load_snapshot(root / "snap")
        draft = build_attestation(snap, epoch, copy_, load_proofs(snap.directory), load_price(snap.directory))
        prove = time.perf_counter() - started
        doc = sign(draft.with_node_signature(read_node_signature(snap.directory, draft)), private).to_json()

        started = time.perf_counter()
        verify_attestation(doc, private.public_key(), commitment=commitment)
        verify = time.perf_counter() - started

    key = PrivateKey(hashlib.sha256(b"baseline").digest())
    digests = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(2 * n)]
    signatures = [key.sign(d, hasher=None) for d in digests]
    public = key.public_key
    started = time.perf_counter()
    for d, s in zip(digests, signatures):
        public.verify(s, d, hasher=None)
    baseline = time.perf_counter() - started

    proofs = n + 2
    print(f"cold addresses (2-of-3 P2WSH, BIP-322 simple): {n}; proofs in total: {proofs}")
    print(f"fixture setup (signing, not part of the product): {setup:.2f} s")
    print(f"prover: load snapshot + build the attestation (verifies every proof): {prove * 1e3:.1f} ms ({prove / proofs * 1e6:.0f} us/proof)")
    print(f"verifier: verify_attestation in-process: {verify * 1e3:.1f} ms ({verify / proofs * 1e6:.0f} us/proof)")
    print(f"baseline: {2 * n} bare coincurve ECDSA verifications: {baseline * 1e3:.1f} ms")
    print(f"ratio verifier / baseline: {verify / baseline:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
