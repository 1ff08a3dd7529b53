"""An independent, minimal pos-mst/1 proof checker written from docs/SPEC.md alone.

It deliberately shares no code with `verifier/` or `solvency/` (only the standard library and
pyca/cryptography for Ed25519), so that the test vectors check the spec, not the implementation
against itself. It returns ("valid"|"invalid"|"inconclusive", reason) instead of raising.
"""

import hashlib
import json
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class Stop(Exception):
    def __init__(self, result, reason):
        self.result, self.reason = result, reason


def H(b):
    return hashlib.sha256(b).digest()


def tag(name):
    return b"pos-mst/1 " + name.encode() + b"\x00"


def lp(b):
    return len(b).to_bytes(2, "big") + b


DEC = re.compile(r"-?(0|[1-9][0-9]*)")
HEX32 = re.compile(r"[0-9a-f]{64}")


COMMITMENT_KEYS = ["as_of", "assets", "balance_definition", "epoch", "format", "height", "leaf_count", "ledger_digest", "root",
                   "signer_key_id", "signature", "type"]


def privacy_version(c):
    """SPEC 4: the optional member `privacy` carries its own version marker `v`, checked with `format`."""
    pr = c.get("privacy") if isinstance(c, dict) else None
    if isinstance(pr, dict) and "v" in pr and (type(pr["v"]) is not int or pr["v"] != 1):
        raise Stop("inconclusive", "UNSUPPORTED_VERSION")


def commitment_shape(c):
    """Members, asset list, height and leaf count of a commitment; returns the stated split or None."""
    need(c, COMMITMENT_KEYS + (["privacy"] if isinstance(c, dict) and "privacy" in c else []))
    if c["type"] != "commitment" or not isinstance(c["assets"], list) or not c["assets"]:
        bad("SCHEMA")
    h = c["height"]
    if type(h) is not int or type(c["leaf_count"]) is not int:
        bad("SCHEMA")
    split = None
    if "privacy" in c:
        pr = c["privacy"]
        need(pr, ["v", "split", "min_leaves"])
        split, min_leaves = pr["split"], pr["min_leaves"]
        if type(split) is not int or type(min_leaves) is not int or not 1 <= split <= 64 or not 2 <= min_leaves <= 2**40:
            bad("SCHEMA")
    if not 1 <= h <= 40 or c["leaf_count"] != 2**h:
        bad("BAD_TREE_SHAPE")
    if "privacy" in c and c["leaf_count"] < c["privacy"]["min_leaves"]:
        bad("BAD_TREE_SHAPE")
    return split


def bad(reason):
    raise Stop("invalid", reason)


def canonical_load(text):
    def pairs(items):
        keys = [k for k, _ in items]
        if len(set(keys)) != len(keys):
            bad("NON_CANONICAL_ENCODING")
        return dict(items)

    def no_float(_):
        bad("NON_CANONICAL_ENCODING")

    try:
        value = json.loads(text, object_pairs_hook=pairs, parse_float=no_float, parse_constant=no_float)
    except (ValueError, RecursionError):
        bad("NON_CANONICAL_ENCODING")

    def depth(v):
        if isinstance(v, (dict, list)):
            return 1 + max(map(depth, v.values() if isinstance(v, dict) else v), default=0)
        return 0

    # SPEC 2.2 bounds: at most 64 MiB and 64 levels (numbers beyond 16 digits fail the range below).
    if len(text.encode("utf-8", "surrogatepass")) > 64 * 2**20 or depth(value) > 64:
        bad("NON_CANONICAL_ENCODING")

    def ints_ok(v):
        if isinstance(v, bool) or v is None or isinstance(v, str):
            return True
        if isinstance(v, int):
            return abs(v) <= 2**53 - 1
        if isinstance(v, dict):
            return all(k.isascii() and ints_ok(x) for k, x in v.items())
        return all(ints_ok(x) for x in v)

    if not ints_ok(value) or json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False) != text.rstrip("\n"):
        bad("NON_CANONICAL_ENCODING")
    return value


def need(obj, keys):
    if not isinstance(obj, dict) or set(obj) != set(keys):
        bad("SCHEMA")


def dec(v):
    if not isinstance(v, str) or not DEC.fullmatch(v) or v == "-0":
        bad("SCHEMA")
    return int(v)


def hx(v):
    if not isinstance(v, str) or not HEX32.fullmatch(v):
        bad("SCHEMA")
    return bytes.fromhex(v)


def check(text, public_key_hex, expected_epoch=None, expected_user=None):
    try:
        return _check(text, public_key_hex, expected_epoch, expected_user)
    except Stop as stop:
        return stop.result, stop.reason


def _check(text, public_key_hex, expected_epoch, expected_user):
    p = canonical_load(text)
    # Version before schema (SPEC 6, step 2).
    if not isinstance(p, dict) or p.get("format") != "pos-mst/1":
        raise Stop("inconclusive", "UNSUPPORTED_VERSION")
    c = p.get("commitment")
    if isinstance(c, dict) and c.get("format") != "pos-mst/1":
        raise Stop("inconclusive", "UNSUPPORTED_VERSION")
    privacy_version(c)
    need(p, ["balances", "commitment", "epoch", "format", "leaves", "type", "user_id"])
    if p["type"] != "proof":
        bad("SCHEMA")
    split = commitment_shape(c)
    m = len(c["assets"])
    h = c["height"]
    need(c["root"], ["hash", "sums"])
    root_hash = hx(c["root"]["hash"])
    if not isinstance(c["root"]["sums"], list) or len(c["root"]["sums"]) != m:
        bad("SCHEMA")
    root_sums = [dec(s) for s in c["root"]["sums"]]
    if any(not 0 <= s < 2**128 for s in root_sums):
        bad("SUM_OUT_OF_RANGE")
    uid = p["user_id"]
    if not isinstance(uid, str) or not uid or len(uid.encode()) > 256 or any(ord(ch) < 32 or ord(ch) == 127 for ch in uid):
        bad("SCHEMA")
    if not isinstance(p["balances"], list) or len(p["balances"]) != m:
        bad("SCHEMA")
    total = [dec(v) for v in p["balances"]]
    if not isinstance(p["leaves"], list) or not 1 <= len(p["leaves"]) <= 64:
        bad("SCHEMA")
    leaves = []
    for leaf in p["leaves"]:
        need(leaf, ["balances", "index", "path", "salt"])
        if type(leaf["index"]) is not int or not isinstance(leaf["balances"], list) or len(leaf["balances"]) != m or not isinstance(leaf["path"], list):
            bad("SCHEMA")
        path = []
        for sib in leaf["path"]:
            need(sib, ["hash", "sums"])
            if not isinstance(sib["sums"], list) or len(sib["sums"]) != m:
                bad("SCHEMA")
            path.append((hx(sib["hash"]), [dec(v) for v in sib["sums"]]))
        leaves.append((leaf["index"], hx(leaf["salt"]), [dec(v) for v in leaf["balances"]], path))
    if p["epoch"] != c["epoch"]:
        bad("EPOCH_MISMATCH")
    # Step 4-5.
    if any(len(path) != h for _, _, _, path in leaves):
        bad("PATH_LENGTH")
    idx = [i for i, _, _, _ in leaves]
    if any(not 0 <= i < 2**h for i in idx):
        bad("INDEX_RANGE")
    if len(set(idx)) != len(idx):
        bad("DUPLICATE_LEAF_INDEX")
    if idx != sorted(idx):
        bad("INDEX_ORDER")
    if split is not None and len(leaves) != split:
        bad("SPLIT_MISMATCH")
    # Step 6.
    if expected_user is not None and uid != expected_user:
        bad("WRONG_USER")
    if any(not 0 <= v < 2**64 for _, _, bal, _ in leaves for v in bal) or any(not 0 <= v < 2**64 for v in total):
        bad("LEAF_VALUE_RANGE")
    if [sum(bal[j] for _, _, bal, _ in leaves) for j in range(m)] != total:
        bad("BALANCE_MISMATCH")
    ctx = H(tag("context") + lp(c["epoch"].encode()) + bytes([m]) + b"".join(lp(a.encode()) for a in c["assets"]))
    # Step 7.
    for _, _, _, path in leaves:
        for _, sums in path:
            if any(s < 0 for s in sums):
                bad("NEGATIVE_SUM")
            if any(s >= 2**128 for s in sums):
                bad("SUM_OUT_OF_RANGE")
    # Step 8.
    for index, salt, bal, path in leaves:
        uc = H(tag("user") + salt + lp(uid.encode()))
        cur = H(tag("leaf") + ctx + uc + b"".join(v.to_bytes(8, "big") for v in bal))
        cur_sums = bal
        for t, (sh, ss) in enumerate(path):
            new_sums = [a + b for a, b in zip(cur_sums, ss)]
            if any(v >= 2**128 for v in new_sums):
                bad("SUM_OVERFLOW")
            enc = lambda hh, sums: hh + b"".join(v.to_bytes(16, "big") for v in sums)  # noqa: E731
            pair = enc(sh, ss) + enc(cur, cur_sums) if (index >> t) & 1 else enc(cur, cur_sums) + enc(sh, ss)
            cur, cur_sums = H(tag("node") + bytes([t + 1]) + pair), new_sums
        if cur != root_hash:
            bad("ROOT_HASH_MISMATCH")
        if cur_sums != root_sums:
            bad("ROOT_SUM_MISMATCH")
    # Step 9.
    check_signature(c, public_key_hex)
    # Step 10.
    if expected_epoch is not None and c["epoch"] != expected_epoch:
        bad("WRONG_EPOCH")
    return "valid", None


def check_signature(c, public_key_hex):
    pub = bytes.fromhex(public_key_hex)
    kid = hashlib.sha256(pub).hexdigest()[:32]
    sig = c["signature"]
    if not isinstance(sig, dict) or set(sig) != {"alg", "key_id", "value"} or sig["alg"] != "ed25519":
        bad("BAD_SIGNATURE")
    if sig["key_id"] != kid or c["signer_key_id"] != kid:
        bad("WRONG_KEY")
    body = {k: v for k, v in c.items() if k != "signature"}
    try:
        Ed25519PublicKey.from_public_bytes(pub).verify(bytes.fromhex(sig["value"]), json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
    except (InvalidSignature, ValueError):
        bad("BAD_SIGNATURE")


def check_tree(commitment_text, leaves, public_key_hex, expected_epoch=None):
    """SPEC 7 on a commitment and a ``leaves.bin`` (bytes)."""
    try:
        return _check_tree(commitment_text, leaves, public_key_hex, expected_epoch)
    except Stop as stop:
        return stop.result, stop.reason


def _check_tree(commitment_text, leaves, public_key_hex, expected_epoch):
    c = canonical_load(commitment_text)
    if not isinstance(c, dict) or c.get("format") != "pos-mst/1":
        raise Stop("inconclusive", "UNSUPPORTED_VERSION")
    privacy_version(c)
    commitment_shape(c)
    m, h = len(c["assets"]), c["height"]
    root_hash, root_sums = hx(c["root"]["hash"]), [dec(s) for s in c["root"]["sums"]]
    check_signature(c, public_key_hex)
    magic = tag("leaves")
    if leaves[: len(magic)] != magic:
        bad("SCHEMA")
    size = 32 + 8 * m
    body = leaves[len(magic) + 2 :]
    if leaves[len(magic)] != m or leaves[len(magic) + 1] != h or len(body) != size * 2**h:
        bad("LEAF_COUNT")
    level = [(body[o : o + 32], [int.from_bytes(body[o + 32 + 8 * j : o + 40 + 8 * j], "big") for j in range(m)])
             for o in range(0, len(body), size)]
    if len({hh for hh, _ in level}) != len(level):
        bad("DUPLICATE_LEAF")
    for t in range(1, h + 1):
        enc = lambda hh, sums: hh + b"".join(v.to_bytes(16, "big") for v in sums)  # noqa: E731
        level = [(H(tag("node") + bytes([t]) + enc(*level[2 * i]) + enc(*level[2 * i + 1])),
                  [a + b for a, b in zip(level[2 * i][1], level[2 * i + 1][1])]) for i in range(len(level) // 2)]
    if level[0][0] != root_hash:
        bad("ROOT_HASH_MISMATCH")
    if level[0][1] != root_sums:
        bad("ROOT_SUM_MISMATCH")
    if expected_epoch is not None and c["epoch"] != expected_epoch:
        bad("WRONG_EPOCH")
    return "valid", None


def primitive(case):
    """Recompute one primitive vector from its inputs."""
    import hmac

    name = case["name"]
    if name == "context":
        return H(tag("context") + lp(case["epoch"].encode()) + bytes([len(case["assets"])]) + b"".join(lp(a.encode()) for a in case["assets"]))
    if name == "salt":
        msg = tag("salt") + lp(case["epoch"].encode()) + lp(case["user_id"].encode()) + case["part"].to_bytes(4, "big")
        return hmac.new(bytes.fromhex(case["epoch_key"]), msg, hashlib.sha256).digest()
    if name == "user_commitment":
        return H(tag("user") + bytes.fromhex(case["salt"]) + lp(case["user_id"].encode()))
    if name == "leaf":
        return H(tag("leaf") + bytes.fromhex(case["context"]) + bytes.fromhex(case["commitment"]) + b"".join(int(v).to_bytes(8, "big") for v in case["balances"]))
    if name == "padding_commitment":
        return hmac.new(bytes.fromhex(case["epoch_key"]), tag("padding") + case["index"].to_bytes(8, "big"), hashlib.sha256).digest()
    if name == "node":
        def enc(hh, sums):
            return bytes.fromhex(hh) + b"".join(int(v).to_bytes(16, "big") for v in sums)

        return H(tag("node") + bytes([case["height"]]) + enc(case["left"], case["left_sums"]) + enc(case["right"], case["right_sums"]))
    raise ValueError(name)
