"""Hashing, domain tags and fixed-width integer encodings (docs/SPEC.md sections 2.1 and 3.1-3.4).

Invariants enforced here, on which everything else rests:

* every hash is SHA-256 over a message that starts with a domain tag; the tags are distinct,
  none is a prefix of another, and each ends in a NUL byte;
* every variable-length field is preceded by its length (u16 big-endian), so no two different
  field tuples encode to the same bytes (the Galoy proof-of-sats ``hash+sum`` ambiguity);
* leaf balances are u64 big-endian (values in [0, 2^64)), node sums u128 big-endian (values in
  [0, 2^128)); a value out of range is never wrapped or truncated: encoding it raises.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence

FORMAT = "pos-mst/1"

TAG_CONTEXT = b"pos-mst/1 context\x00"
TAG_USER = b"pos-mst/1 user\x00"
TAG_PADDING = b"pos-mst/1 padding\x00"
TAG_SALT = b"pos-mst/1 salt\x00"
TAG_LEAF = b"pos-mst/1 leaf\x00"
TAG_NODE = b"pos-mst/1 node\x00"

HASH_SIZE = 32
SALT_SIZE = 32
LEAF_VALUE_BYTES = 8
SUM_BYTES = 16
LEAF_VALUE_LIMIT = 1 << 64
SUM_LIMIT = 1 << 128
MAX_HEIGHT = 40
MAX_ASSETS = 16
MAX_ID_BYTES = 256

EPOCH_RE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
ASSET_RE = re.compile(r"[A-Z][A-Z0-9]{1,11}")


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def lp(data: bytes) -> bytes:
    """Length-prefixed field: u16 big-endian length, then the bytes."""
    if len(data) > 0xFFFF:
        raise ValueError("field longer than 65535 bytes")
    return len(data).to_bytes(2, "big") + data


def u64(value: int) -> bytes:
    if type(value) is not int or not 0 <= value < LEAF_VALUE_LIMIT:
        raise ValueError(f"leaf value {value!r} is not an integer in [0, 2^64)")
    return value.to_bytes(LEAF_VALUE_BYTES, "big")


def u128(value: int) -> bytes:
    if type(value) is not int or not 0 <= value < SUM_LIMIT:
        raise ValueError(f"sum {value!r} is not an integer in [0, 2^128)")
    return value.to_bytes(SUM_BYTES, "big")


def user_id_bytes(user_id: str) -> bytes:
    """UTF-8 of a user id: 1..256 bytes, no control characters (SPEC 3.1)."""
    if not isinstance(user_id, str) or not user_id or any(ord(c) < 0x20 or ord(c) == 0x7F for c in user_id):
        raise ValueError(f"user id {user_id!r} must be a non-empty string without control characters")
    data = user_id.encode("utf-8")
    if len(data) > MAX_ID_BYTES:
        raise ValueError(f"user id is {len(data)} bytes; at most {MAX_ID_BYTES}")
    return data


def context_hash(epoch: str, assets: Sequence[str]) -> bytes:
    """ctx = SHA-256(TAG_CONTEXT || lp(epoch) || u8(m) || lp(asset_1) || ... || lp(asset_m))."""
    if not EPOCH_RE.fullmatch(epoch):
        raise ValueError(f"epoch id {epoch!r} must match {EPOCH_RE.pattern}")
    if not 1 <= len(assets) <= MAX_ASSETS or len(set(assets)) != len(assets):
        raise ValueError("the asset list must hold 1..16 distinct codes")
    parts = [TAG_CONTEXT, lp(epoch.encode("ascii")), bytes([len(assets)])]
    for code in assets:
        if not ASSET_RE.fullmatch(code):
            raise ValueError(f"asset code {code!r} must match {ASSET_RE.pattern}")
        parts.append(lp(code.encode("ascii")))
    return sha256(b"".join(parts))


def derive_salt(epoch_key: bytes, epoch: str, user_id: str, part: int) -> bytes:
    """salt = HMAC-SHA256(epoch_key, TAG_SALT || lp(epoch) || lp(user_id) || u32(part)) (prover only)."""
    message = TAG_SALT + lp(epoch.encode("ascii")) + lp(user_id_bytes(user_id)) + part.to_bytes(4, "big")
    return hmac.digest(epoch_key, message, "sha256")


def padding_commitment(epoch_key: bytes, index: int) -> bytes:
    """Pseudo-user commitment of a padding leaf: HMAC-SHA256(epoch_key, TAG_PADDING || u64(index))."""
    return hmac.digest(epoch_key, TAG_PADDING + u64(index), "sha256")


def user_commitment(salt: bytes, user_id: str) -> bytes:
    """uc = SHA-256(TAG_USER || salt(32) || lp(user_id))."""
    if len(salt) != SALT_SIZE:
        raise ValueError("a salt is 32 bytes")
    return sha256(TAG_USER + salt + lp(user_id_bytes(user_id)))


def leaf_hash(ctx: bytes, commitment: bytes, balances: Sequence[int]) -> bytes:
    """leaf = SHA-256(TAG_LEAF || ctx(32) || uc(32) || u64(b_1) || ... || u64(b_m))."""
    return sha256(TAG_LEAF + ctx + commitment + b"".join(u64(b) for b in balances))


def node_hash(height: int, left_hash: bytes, left_sums: Sequence[int], right_hash: bytes, right_sums: Sequence[int]) -> bytes:
    """node = SHA-256(TAG_NODE || u8(height) || h_L || u128(s_L,1..m) || h_R || u128(s_R,1..m))."""
    if not 1 <= height <= MAX_HEIGHT:
        raise ValueError(f"node height {height} out of range")
    return sha256(
        TAG_NODE
        + bytes([height])
        + left_hash
        + b"".join(u128(s) for s in left_sums)
        + right_hash
        + b"".join(u128(s) for s in right_sums)
    )


def add_sums(left: Sequence[int], right: Sequence[int]) -> tuple[int, ...]:
    """Per-asset sums of two children; raises ValueError if any sum reaches 2^128 (no wrapping)."""
    out = tuple(a + b for a, b in zip(left, right, strict=True))
    for value in out:
        if value >= SUM_LIMIT:
            raise ValueError("sum overflows 2^128")
    return out
