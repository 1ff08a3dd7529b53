"""The `--control-signer` hook: who signs the proof-of-control challenge (docs/SPEC.md 11.5).

The challenge of SPEC 8.5 binds the liabilities commitment hash, which exists only once the tree
is built (fresh salts and a fresh shuffle every build), so the wallets can sign only *after* the
build and *before* the attestation. The hook is an operator-supplied program run twice with the
working copy of the snapshot (``POS_SNAPSHOT_DIR``, private to the bank, never published):

==========  ==========================================  ==================================
step        message (stdin and ``POS_MESSAGE``)          the program writes
==========  ==========================================  ==================================
``proofs``  the challenge text of SPEC 8.5              ``proofs.json`` (SPEC 8.5)
``node``    the attestation digest message of SPEC 8.6  ``lnd_signmessage.json`` (lncli)
==========  ==========================================  ==================================

Also set: ``POS_SIGN_STEP``, ``POS_EPOCH``. The command line is split with `shlex` and run
without a shell; a non-zero exit, a time-out or a missing output file aborts the publication
before anything is published. What the program wrote is then checked by the prover (every proof
verifies over the challenge, the node signature over the digest), so a broken signer cannot
produce a published epoch.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

OUTPUT = {"proofs": "proofs.json", "node": "lnd_signmessage.json"}


class SignerFailed(Exception):
    """The control signer did not produce its file."""


def run_signer(command: str, step: str, message: str, directory: Path, epoch: str, timeout: float = 600.0) -> Path:
    """Run the hook for one step; returns the path of the file it wrote."""
    if step not in OUTPUT:
        raise ValueError(f"unknown signing step {step!r}")
    argv = shlex.split(command)
    if not argv:
        raise SignerFailed("--control-signer is empty")
    target = Path(directory) / OUTPUT[step]
    if target.exists():
        target.unlink()
    env = {**os.environ, "POS_SIGN_STEP": step, "POS_MESSAGE": message, "POS_SNAPSHOT_DIR": str(directory), "POS_EPOCH": epoch}
    try:
        done = subprocess.run(argv, input=message.encode(), env=env, capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise SignerFailed(f"control signer {argv[0]!r} not found") from None
    except subprocess.TimeoutExpired:
        raise SignerFailed(f"control signer timed out after {timeout:.0f} s at step {step!r}") from None
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip()[-2000:]
        raise SignerFailed(f"control signer exited with status {done.returncode} at step {step!r}: {detail}")
    if not target.is_file():
        raise SignerFailed(f"control signer exited 0 at step {step!r} but wrote no {OUTPUT[step]}")
    return target
