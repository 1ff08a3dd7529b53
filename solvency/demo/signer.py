"""The demo's proof-of-control signer: a `--control-signer` program (docs/SPEC.md 11.5).

``solvency publish ... --control-signer 'python -m solvency.demo.signer --seed 2026'`` runs it
twice, with the message on stdin and in ``POS_MESSAGE``:

* ``POS_SIGN_STEP=proofs``: sign the challenge with the key of every address that holds a UTXO in
  the snapshot (``POS_SNAPSHOT_DIR``) and write ``proofs.json`` there;
* ``POS_SIGN_STEP=node``: sign the attestation digest message with the lnd node key and write
  ``lnd_signmessage.json`` there.

A real bank's signer does the same with its cold-storage signers and ``lncli``; this one holds the
demo's public, deterministic keys (`solvency.demo.wallets`) and must never be used for real funds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from solvency.demo.wallets import DemoWallets
from solvency.reserves.snapshot import load_snapshot
from verifier.assets.address import script_address


def utxo_addresses(directory: Path, network: str) -> list[str]:
    """Every address holding a UTXO in the snapshot (cold storage and lnd's wallet), in order."""
    snap = load_snapshot(directory)
    seen: dict[str, None] = {}
    for u in snap.cold:
        seen[script_address(bytes.fromhex(u.script_pubkey), network)] = None
    for lnd_utxo in snap.lnd_utxos or ():
        seen[lnd_utxo.address or script_address(bytes.fromhex(lnd_utxo.script_pubkey), network)] = None
    return list(seen)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m solvency.demo.signer", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026, help="seed of the demo keys")
    args = parser.parse_args(argv)
    step = os.environ.get("POS_SIGN_STEP")
    directory = Path(os.environ.get("POS_SNAPSHOT_DIR", ""))
    message = os.environ.get("POS_MESSAGE")
    if step not in ("proofs", "node") or not directory.is_dir() or message is None:
        print("demo signer: POS_SIGN_STEP (proofs|node), POS_SNAPSHOT_DIR and POS_MESSAGE must be set", file=sys.stderr)
        return 2
    stdin = sys.stdin.read()
    if stdin != message:
        print("demo signer: the message on stdin differs from POS_MESSAGE", file=sys.stderr)
        return 1
    wallets = DemoWallets(args.seed)
    if step == "proofs":
        try:
            proofs = [wallets.prove_control(address, message) for address in utxo_addresses(directory, wallets.network)]
        except KeyError as exc:
            print(f"demo signer: {exc.args[0]}", file=sys.stderr)
            return 1
        (directory / "proofs.json").write_text(json.dumps({"proofs": proofs}, indent=2) + "\n")
    else:
        (directory / "lnd_signmessage.json").write_text(json.dumps(wallets.sign_node_message(message)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
