"""The hash chain over posted entries: canonical content, entry ids, digests and verification.

Byte layout (docs/LEDGER.md, "Hash chain"), all hashes SHA-256:

* ``content_hash = H(b"pos-ledger-content/1\\x00" || canonical_content(entry))`` where the
  canonical content is the compact, key-sorted, UTF-8 JSON object
  ``{"idempotency_key", "memo", "metadata", "postings", "reporting_at", "reverses", "v": 1}``
  with postings as ``[account, currency, side, amount]`` arrays in the caller's order, metadata as
  an object, and ``reporting_at`` exactly as the caller gave it (``null`` when defaulted). It is
  what the idempotency check compares.
* ``entry_hash = H(b"pos-ledger-entry/1\\x00" || prev_hash[32] || content_hash[32] || u64be(seq)
  || u64be(committed_at) || u64be(reporting_at) || ascii(entry_id)[36])``, with ``prev_hash`` of
  the first entry 32 zero bytes. ``seq`` starts at 1 and has no gaps.
* The ledger digest is ``(entry_count, hex(entry_hash of the last entry))``; an empty ledger has
  head ``"00" * 32``.

Entry ids are UUIDv7 text derived from ``(committed_at, seq)``: 48-bit millisecond time, the
microsecond remainder in ``rand_a`` and the sequence number in ``rand_b``. Because
``committed_at`` is strictly increasing, ids sort in commit order and are unique.

Threat model: an operator who edits, deletes, inserts or reorders a stored entry (or a posting of
it) changes a hash that every later ``entry_hash`` depends on, so the head digest published in a
proof no longer matches. The chain does not stop an operator who rewrites the whole history and
publishes a new head; publishing heads is what makes that visible.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from ledger.entries import JournalEntry
from ledger.errors import ChainBroken

CONTENT_DOMAIN = b"pos-ledger-content/1\x00"
ENTRY_DOMAIN = b"pos-ledger-entry/1\x00"
GENESIS = bytes(32)
_V7_RAND_B_MASK = (1 << 62) - 1
_sha256 = hashlib.sha256
_pack_u64x3 = struct.Struct(">QQQ").pack


@dataclass(frozen=True, slots=True)
class LedgerDigest:
    """How many entries the ledger holds and the hash of the last one (hex)."""

    entry_count: int
    head_hash: str

    def __str__(self) -> str:
        return f"{self.entry_count}:{self.head_hash}"


EMPTY_DIGEST = LedgerDigest(0, GENESIS.hex())


@dataclass(frozen=True, slots=True)
class PostedEntry:
    """An entry as recorded: the caller's content plus what the ledger assigned at commit."""

    entry_id: str
    seq: int
    committed_at: int
    reporting_at: int
    entry: JournalEntry
    content_hash: str
    prev_hash: str
    entry_hash: str


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


_encode_str = json.encoder.encode_basestring  # the C escaper json.dumps(ensure_ascii=False) uses


def canonical_content_slow(entry: JournalEntry) -> bytes:
    """The canonical content via the generic encoder (reference for `canonical_content`)."""
    body = {
        "idempotency_key": entry.idempotency_key,
        "memo": entry.memo,
        "metadata": dict(entry.metadata),
        "postings": [[p.account, p.currency, p.side, p.amount] for p in entry.postings],
        "reporting_at": entry.reporting_at,
        "reverses": entry.reverses,
        "v": 1,
    }
    return _ENCODER.encode(body).encode()


def canonical_content(entry: JournalEntry) -> bytes:
    """Canonical content bytes; equal to `canonical_content_slow` for every valid entry (tested),
    written out by hand because it runs once per posted entry."""
    enc = _encode_str
    postings = ",".join([f"[{enc(p.account)},{enc(p.currency)},{enc(p.side)},{int(p.amount)}]" for p in entry.postings])
    key = "null" if entry.idempotency_key is None else enc(entry.idempotency_key)
    metadata = _ENCODER.encode(dict(entry.metadata)) if entry.metadata else "{}"
    reporting = "null" if entry.reporting_at is None else str(int(entry.reporting_at))
    reverses = "null" if entry.reverses is None else enc(entry.reverses)
    return (
        f'{{"idempotency_key":{key},"memo":{enc(entry.memo)},"metadata":{metadata},"postings":[{postings}],'
        f'"reporting_at":{reporting},"reverses":{reverses},"v":1}}'
    ).encode()


def content_hash(entry: JournalEntry) -> bytes:
    return _sha256(CONTENT_DOMAIN + canonical_content(entry)).digest()


def entry_hash(prev: bytes, content: bytes, seq: int, committed_at: int, reporting_at: int, entry_id: str) -> bytes:
    """The chain link (module docstring): the one place the formula is written. It runs once per
    posted entry, hence the precompiled packer."""
    return _sha256(ENTRY_DOMAIN + prev + content + _pack_u64x3(seq, committed_at, reporting_at) + entry_id.encode("ascii")).digest()


def link_entry(prev: bytes, entry: JournalEntry, content: bytes, seq: int, committed_at: int) -> tuple[PostedEntry, bytes]:
    """`entry` as the chain's entry number `seq` after the link `prev`: its id, its reporting time
    (``committed_at`` when the entry gives none) and its link. Returns the `PostedEntry` and the
    link as bytes. The one place an entry is chained, for posting and for derived chains alike."""
    reporting = committed_at if entry.reporting_at is None else entry.reporting_at
    entry_id = make_entry_id(committed_at, seq)
    link = entry_hash(prev, content, seq, committed_at, reporting, entry_id)
    return PostedEntry(entry_id, seq, committed_at, reporting, entry, content.hex(), prev.hex(), link.hex()), link


def make_entry_id(committed_at: int, seq: int) -> str:
    ms, sub = divmod(committed_at, 1000)
    value = (ms & 0xFFFFFFFFFFFF) << 80 | 0x7 << 76 | sub << 64 | 0b10 << 62 | (seq & _V7_RAND_B_MASK)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def verify_chain(posted: Iterable[PostedEntry]) -> LedgerDigest:
    """Recompute every hash of `posted` (in commit order) and return the head digest.

    Raises `ChainBroken` at the first entry whose sequence, time, id, content hash or link does not
    match. Balance checks are separate (`Store.trial_balance`).
    """
    prev = GENESIS
    last_time = -1
    count = 0
    for item in posted:
        count += 1
        if item.seq != count:
            raise ChainBroken(item.seq, f"sequence gap: expected {count}")
        if item.committed_at <= last_time:
            raise ChainBroken(item.seq, "committed_at is not strictly increasing")
        last_time = item.committed_at
        if item.entry_id != make_entry_id(item.committed_at, item.seq):
            raise ChainBroken(item.seq, "entry id does not match (committed_at, seq)")
        expected_reporting = item.entry.reporting_at if item.entry.reporting_at is not None else item.committed_at
        if item.reporting_at != expected_reporting:
            raise ChainBroken(item.seq, "reporting_at does not match the entry content")
        if item.prev_hash != prev.hex():
            raise ChainBroken(item.seq, "prev_hash does not link to the previous entry")
        content = content_hash(item.entry)
        if item.content_hash != content.hex():
            raise ChainBroken(item.seq, "content hash does not match the stored postings, memo or metadata")
        link = entry_hash(prev, content, item.seq, item.committed_at, item.reporting_at, item.entry_id)
        if item.entry_hash != link.hex():
            raise ChainBroken(item.seq, "entry hash does not match")
        prev = link
    return LedgerDigest(count, prev.hex())
