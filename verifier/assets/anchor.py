"""The anchor block: its 80-byte header, its proof of work and its time (SPEC 8.1, 8.6, 8.8).

Every figure of an attestation is taken at one block, the *anchor*. The attestation carries the
fields of that block's header as ``bitcoin-cli getblockheader`` prints them (`BlockHeader`), so
anyone holding only the public files can rebuild the 80 bytes the block hash is computed from:

    version (int32 LE) || previousblockhash (32 bytes, reversed) || merkleroot (32 bytes, reversed)
    || time (uint32 LE) || bits (uint32 LE) || nonce (uint32 LE)

and check, as a bitcoin node would, that double SHA-256 of those bytes (byte-reversed for display)
is the stated hash and, read as a 256-bit little-endian number, does not exceed the target that
`bits` encodes (Bitcoin Core's ``DeriveTarget``/``CheckProofOfWork``: no negative, zero or
overflowing target, none above the network's proof-of-work limit).

Threat model: the bank chooses the anchor. Without these checks it could name any hash, with any
time. With them, a mainnet anchor must carry real work: at least `MAINNET_DIFFICULTY_FLOOR`
(10^12 x 2^32 double SHA-256 evaluations on average, out of reach of a laptop), and its header
time must lie within the window of SPEC 8.8 around the liabilities cut-off, so reserves cannot be
taken from an old block while the liabilities are today's. What the header alone cannot show is
that the block is in the main chain: a header at the floor costs about a hundredth of a block's
work today. Comparing the hash with the user's own node or an explorer (`--block-hash`) closes
that, and the verifier names the block so the user can.
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass

from verifier.assets.errors import CannotVerify, InvalidAttestation, Reason
from verifier.schema import HEX64, JSON, JSONObject, integer, members, text

# The target of difficulty 1 (compact 0x1d00ffff): difficulty = DIFF1_TARGET / target.
DIFF1_TARGET = 0xFFFF << 208
# A mainnet anchor's difficulty must be at least this (SPEC 8.8): mainnet has been above it since
# late 2017 and about 100 times above it since 2024, while a header at the floor needs about
# 4.3 x 10^21 hashes (some 14 million years for a laptop doing 10^7 hashes a second).
MAINNET_DIFFICULTY_FLOOR = 10**12
# Each network's proof-of-work limit (Bitcoin Core, kernel/chainparams.cpp: consensus.powLimit).
POW_LIMITS = {
    "mainnet": 2**224 - 1,
    "testnet": 2**224 - 1,
    "testnet4": 2**224 - 1,
    "signet": 0x377AE << 216,
    "regtest": 2**255 - 1,
}
# The window of SPEC 8.8 around the liabilities cut-off `as_of`, in seconds.
MAX_AGE = 6 * 3600   # the header time may be at most 6 h before the cut-off,
MAX_LEAD = 2 * 3600  # and at most 2 h after it (consensus lets a header time run 2 h ahead).

_BITS = re.compile(r"[0-9a-f]{8}")
_E = InvalidAttestation


@dataclass(frozen=True, slots=True)
class BlockHeader:
    """The header fields of the anchor block as ``getblockheader`` prints them (SPEC 8.6)."""

    version: int
    previousblockhash: str
    merkleroot: str
    time: int
    bits: str
    nonce: int

    @classmethod
    def parse(cls, value: JSON, where: str = "anchor.header") -> BlockHeader:
        obj = members(value, frozenset(("version", "previousblockhash", "merkleroot", "time", "bits", "nonce")), where, _E)
        version = integer(obj["version"], f"{where}.version", _E, minimum=-(2**31))
        if version >= 2**31:
            raise _E(f"{where}.version must be a signed 32-bit integer")
        return cls(
            version=version,
            previousblockhash=text(obj["previousblockhash"], f"{where}.previousblockhash", _E, HEX64),
            merkleroot=text(obj["merkleroot"], f"{where}.merkleroot", _E, HEX64),
            time=_uint32(obj["time"], f"{where}.time"),
            bits=text(obj["bits"], f"{where}.bits", _E, _BITS),
            nonce=_uint32(obj["nonce"], f"{where}.nonce"),
        )

    def to_json(self) -> JSONObject:
        return {"version": self.version, "previousblockhash": self.previousblockhash, "merkleroot": self.merkleroot,
                "time": self.time, "bits": self.bits, "nonce": self.nonce}

    def serialize(self) -> bytes:
        """The 80 bytes the block hash is computed from (little-endian fields, hashes reversed)."""
        return (struct.pack("<i", self.version) + bytes.fromhex(self.previousblockhash)[::-1]
                + bytes.fromhex(self.merkleroot)[::-1] + struct.pack("<III", self.time, int(self.bits, 16), self.nonce))

    def block_hash(self) -> str:
        """Double SHA-256 of the 80 bytes, byte-reversed as bitcoin tools display it."""
        return hashlib.sha256(hashlib.sha256(self.serialize()).digest()).digest()[::-1].hex()


def _uint32(value: JSON, where: str) -> int:
    number = integer(value, where, _E, minimum=0)
    if number >= 2**32:
        raise _E(f"{where} must be an unsigned 32-bit integer")
    return number


def bits_target(bits: str) -> int:
    """The target a compact `bits` value encodes; a negative, zero or overflowing one is refused."""
    compact = int(bits, 16)
    size, mantissa = compact >> 24, compact & 0x007FFFFF
    target = mantissa >> 8 * (3 - size) if size <= 3 else mantissa << 8 * (size - 3)
    negative = mantissa != 0 and compact & 0x00800000 != 0
    overflow = mantissa != 0 and (size > 34 or (mantissa > 0xFF and size > 33) or (mantissa > 0xFFFF and size > 32))
    if negative or overflow or target == 0:
        raise _E(f"anchor bits {bits} do not encode a valid target", reason=Reason.ANCHOR_POW_INVALID)
    return target


def difficulty(target: int) -> str:
    """The difficulty of a target, for messages only (checks compare integers): ``1.023e+14``."""
    return f"{DIFF1_TARGET / target:.4g}"


def check_header(height: int, stated_hash: str, header: BlockHeader, network: str) -> int:
    """SPEC 8.8: the header hashes to `stated_hash` and meets its target; returns the target."""
    computed = header.block_hash()
    if computed != stated_hash:
        raise _E(f"the anchor header hashes to {computed}, not to the stated block {height} {stated_hash}",
                 reason=Reason.ANCHOR_HEADER_MISMATCH)
    target = bits_target(header.bits)
    if network not in POW_LIMITS:
        raise CannotVerify(f"unknown network {network!r}", reason=Reason.UNSUPPORTED_NETWORK)
    if target > POW_LIMITS[network]:
        raise _E(f"anchor bits {header.bits} exceed the {network} proof-of-work limit", reason=Reason.ANCHOR_POW_INVALID)
    if int(computed, 16) > target:
        raise _E(f"the anchor block hash {computed} does not meet the target of its bits {header.bits}",
                 reason=Reason.ANCHOR_POW_INVALID)
    if network == "mainnet" and target * MAINNET_DIFFICULTY_FLOOR > DIFF1_TARGET:
        raise _E(f"the anchor block's difficulty {difficulty(target)} is below the mainnet floor "
                 f"{MAINNET_DIFFICULTY_FLOOR:.0e} (SPEC 8.8): such a header can be mined without the network",
                 reason=Reason.ANCHOR_DIFFICULTY_TOO_LOW)
    return target


def in_words(seconds: int) -> str:
    """A duration in plain words, to the two largest units: ``1 year 3 days``, ``7 minutes``."""
    units = (("year", 365 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))
    parts = []
    rest = abs(seconds)
    for name, size in units:
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
    return " ".join(parts[:2]) or "0 seconds"


def anchor_age(header_time: int, cutoff: int) -> str:
    """Where the anchor's time lies relative to the cut-off, in words."""
    lag = cutoff - header_time
    if lag == 0:
        return "at the liabilities cut-off"
    return f"{in_words(lag)} {'before' if lag > 0 else 'after'} the liabilities cut-off"


def check_anchor_time(header_time: int, cutoff: int) -> str:
    """SPEC 8.8: `cutoff - MAX_AGE <= header_time <= cutoff + MAX_LEAD`; returns the age in words."""
    age = anchor_age(header_time, cutoff)
    if header_time < cutoff - MAX_AGE:
        raise _E(f"the anchor block was mined {age}; reserves must be taken at most {in_words(MAX_AGE)} before it",
                 reason=Reason.ANCHOR_TOO_OLD)
    if header_time > cutoff + MAX_LEAD:
        raise _E(f"the anchor block was mined {age}; reserves must be taken at most {in_words(MAX_LEAD)} after it",
                 reason=Reason.ANCHOR_AFTER_CUTOFF)
    return age


def parse_block_hash(value: str) -> tuple[int, str]:
    """A user's ``HEIGHT:HASH`` (from their node or an explorer); `ValueError` names what is wrong."""
    height, sep, digest = value.strip().partition(":")
    if not sep or not height.isdigit() or int(height) >= 2**32 or not HEX64.fullmatch(digest.lower()):
        raise ValueError(f"{value!r} is not HEIGHT:HASH (a block height and 64 hex digits)")
    return int(height), digest.lower()


def parse_block_hashes(text_: str) -> tuple[tuple[int, str], ...]:
    """A file of ``HEIGHT:HASH`` lines; blank lines and lines starting with ``#`` are skipped."""
    lines = (line.strip() for line in text_.splitlines())
    return tuple(parse_block_hash(line) for line in lines if line and not line.startswith("#"))
