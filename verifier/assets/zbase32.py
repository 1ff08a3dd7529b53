"""z-base-32 (Zooko's human-oriented base-32), as lnd uses it for `signmessage` signatures.

Alphabet ``ybndrfg8ejkmcpqxot1uwisza345h769``; bits are taken most-significant first in groups of
five; no padding characters. `decode` is strict: it refuses characters outside the alphabet
(including upper case) and non-zero trailing pad bits, so every byte string has exactly one
encoding and a signature cannot be malleated in its text form. Lengths are the caller's concern
(lnd's 65-byte signatures are exactly 104 characters).
"""

from __future__ import annotations

ALPHABET = "ybndrfg8ejkmcpqxot1uwisza345h769"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}


class ZBase32Error(ValueError):
    """The text is not the canonical z-base-32 encoding of any byte string."""


def encode(data: bytes) -> str:
    bits = len(data) * 8
    number = int.from_bytes(data, "big") << (-bits % 5)
    count = (bits + 4) // 5
    return "".join(ALPHABET[(number >> (5 * (count - 1 - i))) & 31] for i in range(count))


def decode(text: str) -> bytes:
    number = 0
    for position, char in enumerate(text):
        if char not in _INDEX:
            raise ZBase32Error(f"character {char!r} at position {position} is not z-base-32")
        number = (number << 5) | _INDEX[char]
    bits = len(text) * 5
    size, pad = divmod(bits, 8)
    if pad >= 5:
        raise ZBase32Error(f"{len(text)} characters is not a whole number of bytes")
    if number & ((1 << pad) - 1):
        raise ZBase32Error("non-zero padding bits")
    return (number >> pad).to_bytes(size, "big")
