"""The demo's proof-of-control signer: a `--control-signer` program (docs/SPEC.md 11.5).

``solvency publish ... --control-signer 'python -m solvency.demo.signer --seed 2026'`` runs it
twice, with the message on stdin and in ``POS_MESSAGE``:

* ``POS_SIGN_STEP=proofs``: sign the challenge with the key of every address that holds a UTXO in
  the snapshot (``POS_SNAPSHOT_DIR``: cold storage, lnd's wallet and bria's) and write
  ``proofs.json`` there;
* ``POS_SIGN_STEP=node``: sign the attestation digest message with the lnd node key and write
  ``lnd_signmessage.json`` there.

By hand (``solvency publish prepare``/``digest``/``seal``, or ``solvency assets challenge``/``digest``),
the same two steps take the text from a file (``-``: stdin; one trailing newline, as the commands
print it, is not part of the message)::

    python -m solvency.demo.signer --step proofs --snapshot DIR --message-file challenge.txt
    python -m solvency.demo.signer --step node --snapshot DIR --message-file digest.txt

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
    """Every address holding a UTXO in the snapshot (cold storage, lnd's wallet and bria's), in order."""
    snap = load_snapshot(directory)
    seen: dict[str, None] = {}
    for u in snap.cold:
        seen[script_address(bytes.fromhex(u.script_pubkey), network)] = None
    for lnd_utxo in snap.lnd_utxos or ():
        seen[lnd_utxo.address or script_address(bytes.fromhex(lnd_utxo.script_pubkey), network)] = None
    for bria_utxo in snap.bria_wallet.utxos if snap.bria_wallet is not None else ():
        assert bria_utxo.address is not None  # load_snapshot fills in every change address
        seen[bria_utxo.address] = None
    return list(seen)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m solvency.demo.signer", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026, help="seed of the demo keys")
    parser.add_argument("--step", choices=("proofs", "node"), help="sign by hand: this step (default: $POS_SIGN_STEP)")
    parser.add_argument("--snapshot", type=Path, help="with --step: the snapshot directory to write into")
    parser.add_argument("--message-file", help="with --step: the text to sign, as printed ('-': stdin)")
    args = parser.parse_args(argv)
    if args.step is not None:
        if args.snapshot is None or args.message_file is None:
            parser.error("--step needs --snapshot and --message-file")
        try:
            text = _read_message(args.message_file)
        except (OSError, UnicodeDecodeError) as exc:
            print(f"demo signer: {args.message_file}: {exc}", file=sys.stderr)
            return 2
        return _sign(args.seed, args.step, args.snapshot, text)
    step = os.environ.get("POS_SIGN_STEP")
    directory = Path(os.environ.get("POS_SNAPSHOT_DIR", ""))
    message = os.environ.get("POS_MESSAGE")
    if step not in ("proofs", "node") or not directory.is_dir() or message is None:
        print("demo signer: POS_SIGN_STEP (proofs|node), POS_SNAPSHOT_DIR and POS_MESSAGE must be set "
              "(or sign by hand with --step, --snapshot and --message-file)", file=sys.stderr)
        return 2
    stdin = sys.stdin.read()
    if stdin != message:
        print("demo signer: the message on stdin differs from POS_MESSAGE", file=sys.stderr)
        return 1
    return _sign(args.seed, step, directory, message)


def _read_message(name: str) -> str:
    """The text a command printed: one trailing newline (click.echo's) is not part of the message."""
    text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    return text.removesuffix("\n")


def _sign(seed: int, step: str, directory: Path, message: str) -> int:
    if not directory.is_dir():
        print(f"demo signer: {directory}: not a directory", file=sys.stderr)
        return 2
    wallets = DemoWallets(seed)
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
