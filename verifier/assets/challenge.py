"""The challenge message that proofs of control sign, and the node-signature message (SPEC 8.5-8.6).

The challenge binds a proof of control to one epoch of one bank::

    pos-assets/2 proof of control\\n
    epoch: <epoch id>\\n
    anchor: <height in decimal> <block hash, 64 lower-case hex>\\n
    commitment: <commitment_hash of the signed liabilities commitment, 64 lower-case hex>

(UTF-8, lines separated by a single LF, no trailing newline). The commitment hash covers the
bank's signature and key id, the epoch and the liabilities root, so a signature made for another
epoch, another anchor block or another bank's commitment is over different bytes and fails.

The lnd node signs the attestation digest: SHA-256 of the canonical JSON (SPEC 2.2) of the
attestation without its ``node_signature`` and ``signature`` members, as the message
``pos-assets/2 attestation digest: <64 lower-case hex>``. Both texts keep the ``pos-assets/2``
prefix in format ``pos-assets/3`` (`DOMAIN`).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from verifier import canonical
from verifier.encoding import EPOCH_RE

FORMAT = "pos-assets/3"
# Attestation formats this verifier reads: /2 is /3 without the ``bria`` member (SPEC 8.6).
FORMATS = ("pos-assets/2", FORMAT)
# The prefix of the challenge and node-digest texts, unchanged since /2: the challenge binds the
# epoch, anchor and commitment, the digest the whole body (its ``format`` included).
DOMAIN = "pos-assets/2"
_HEX64 = re.compile(r"[0-9a-f]{64}")
UNSIGNED_MEMBERS = ("node_signature", "signature")


def challenge_message(epoch: str, anchor_height: int, anchor_hash: str, commitment_hash: bytes | str) -> str:
    """The exact challenge text for this epoch, anchor block and liabilities commitment."""
    commitment_hex = commitment_hash.hex() if isinstance(commitment_hash, bytes) else commitment_hash
    if not isinstance(epoch, str) or not EPOCH_RE.fullmatch(epoch):
        raise ValueError(f"epoch {epoch!r} does not match {EPOCH_RE.pattern}")
    if type(anchor_height) is not int or not 0 <= anchor_height < 2**32:
        raise ValueError(f"anchor height {anchor_height!r} is not a block height")
    for name, value in (("anchor hash", anchor_hash), ("commitment hash", commitment_hex)):
        if not isinstance(value, str) or not _HEX64.fullmatch(value):
            raise ValueError(f"{name} {value!r} is not 64 lower-case hex digits")
    return (
        f"{DOMAIN} proof of control\n"
        f"epoch: {epoch}\n"
        f"anchor: {anchor_height} {anchor_hash}\n"
        f"commitment: {commitment_hex}"
    )


def attestation_digest(attestation: dict[str, Any]) -> bytes:
    """SHA-256 of the canonical JSON of the attestation without the two signature members."""
    body = {k: v for k, v in attestation.items() if k not in UNSIGNED_MEMBERS}
    return hashlib.sha256(canonical.dumps(body)).digest()


def node_message(attestation: dict[str, Any]) -> str:
    """The message the lnd node signs with ``lncli signmessage``."""
    return f"{DOMAIN} attestation digest: {attestation_digest(attestation).hex()}"
