"""Generate the pos-mst/1 test vectors in tests/vectors/ (docs/SPEC.md sections 3-6).

Deterministic: the signing key, salts and epoch key are derived from fixed labels, and the tree is
built directly from the spec's primitives (verifier/encoding.py), not by the randomised prover.
Run `python scripts/gen_vectors.py` to rewrite the files; `--check` exits 1 if they differ.
"""

from __future__ import annotations

import copy
import hashlib
import json
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from verifier import canonical
from verifier.encoding import context_hash, derive_salt, leaf_hash, node_hash, padding_commitment, user_commitment
from verifier.signature import key_id

OUT = Path(__file__).resolve().parent.parent / "tests" / "vectors"
EPOCH = "2026-11"
ASSETS = ("BTC", "USD")
AS_OF = "2026-11-01T00:00:00Z"


def seeded_key(label: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())


def sign(body: dict, key: Ed25519PrivateKey) -> dict:
    body = {k: v for k, v in body.items() if k != "signature"}
    sig = key.sign(canonical.dumps(body))
    return {**body, "signature": {"alg": "ed25519", "key_id": key_id(key.public_key()), "value": sig.hex()}}


BANK = seeded_key("pos-mst/1 test vectors: bank key")
OTHER = seeded_key("pos-mst/1 test vectors: other key")
EPOCH_KEY = hashlib.sha256(b"pos-mst/1 test vectors: epoch key").digest()

# (user, part) -> balances; position by a fixed permutation of 8 leaves.
USERS = {("alice", 0): (100_000, 2_500), ("bob", 0): (5, 0), ("carol", 0): (0, 0),
         ("dave", 0): (2**64 - 1, 1), ("erin", 0): (60, 7), ("erin", 1): (40, 3)}
POSITIONS = {("alice", 0): 5, ("bob", 0): 0, ("carol", 0): 3, ("dave", 0): 6, ("erin", 0): 1, ("erin", 1): 7}
HEIGHT = 3
# The commitment's `privacy` member (SPEC 4) in the vectors that state it.
PRIVACY = {"v": 1, "split": 1, "min_leaves": 8}


def build():
    ctx = context_hash(EPOCH, ASSETS)
    n = 1 << HEIGHT
    layer: list[tuple[bytes, tuple[int, ...]]] = [None] * n  # type: ignore[list-item]
    salts = {}
    for (user, part), bal in USERS.items():
        salt = derive_salt(EPOCH_KEY, EPOCH, user, part)
        salts[(user, part)] = salt
        layer[POSITIONS[(user, part)]] = (leaf_hash(ctx, user_commitment(salt, user), bal), bal)
    for i in range(n):
        if layer[i] is None:
            layer[i] = (leaf_hash(ctx, padding_commitment(EPOCH_KEY, i), (0, 0)), (0, 0))
    levels = [layer]
    for t in range(1, HEIGHT + 1):
        prev = levels[-1]
        levels.append([
            (node_hash(t, prev[2 * i][0], prev[2 * i][1], prev[2 * i + 1][0], prev[2 * i + 1][1]),
             tuple(a + b for a, b in zip(prev[2 * i][1], prev[2 * i + 1][1])))
            for i in range(len(prev) // 2)
        ])
    root_hash, root_sums = levels[-1][0]
    return levels, salts, root_hash, root_sums


def commitment(root_hash: bytes, root_sums, key=BANK, **changes) -> dict:
    body = {
        "as_of": AS_OF, "assets": list(ASSETS), "balance_definition": None, "epoch": EPOCH, "format": "pos-mst/1",
        "height": HEIGHT, "leaf_count": 1 << HEIGHT, "ledger_digest": None,
        "root": {"hash": root_hash.hex(), "sums": [str(s) for s in root_sums]},
        "signer_key_id": key_id(key.public_key()), "type": "commitment",
    }
    body.update(changes)
    return sign(body, key)


def proof_for(user: str, levels, salts, com) -> dict:
    leaves = []
    for (u, part), pos in sorted(POSITIONS.items(), key=lambda kv: kv[1]):
        if u != user:
            continue
        path = []
        for t in range(HEIGHT):
            h, s = levels[t][(pos >> t) ^ 1]
            path.append({"hash": h.hex(), "sums": [str(v) for v in s]})
        leaves.append({"balances": [str(v) for v in USERS[(u, part)]], "index": pos, "path": path, "salt": salts[(u, part)].hex()})
    totals = [str(sum(int(leaf["balances"][j]) for leaf in leaves)) for j in range(len(ASSETS))]
    return {"balances": totals, "commitment": com, "epoch": EPOCH, "format": "pos-mst/1", "leaves": leaves, "type": "proof", "user_id": user}


def text(doc) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def proof_vectors() -> dict:
    levels, salts, root_hash, root_sums = build()
    com = commitment(root_hash, root_sums)
    base = proof_for("alice", levels, salts, com)
    tests = []

    def add(comment, doc, result, reason=None, raw=None, **expect):
        tests.append({
            "tcId": len(tests) + 1, "comment": comment, "proof": raw if raw is not None else text(doc),
            "expected_epoch": expect.get("epoch"), "expected_user": expect.get("user"),
            "result": result, "reason": reason,
        })

    def mutated(fn, doc=None):
        d = copy.deepcopy(doc if doc is not None else base)
        fn(d)
        return d

    add("valid proof of a single-leaf user", base, "valid", epoch=EPOCH, user="alice")
    add("valid proof of a user split over two leaves", proof_for("erin", levels, salts, com), "valid")
    add("valid proof of a zero-balance user", proof_for("carol", levels, salts, com), "valid")
    add("valid proof of a leaf value 2^64-1", proof_for("dave", levels, salts, com), "valid")
    add("insignificant whitespace", None, "invalid", "NON_CANONICAL_ENCODING", raw=text(base).replace(",", ", ", 1))
    add("float amount", None, "invalid", "NON_CANONICAL_ENCODING", raw=text(base).replace('"balances":["100000"', '"balances":[100000.0', 1))
    add("duplicate key", None, "invalid", "NON_CANONICAL_ENCODING", raw=text(base)[:-1] + ',"type":"proof"}')
    add("unknown format version", mutated(lambda d: d.update(format="pos-mst/2")), "inconclusive", "UNSUPPORTED_VERSION")
    add("missing member", mutated(lambda d: d.pop("balances")), "invalid", "SCHEMA")
    add("unknown member", mutated(lambda d: d.update(note="x")), "invalid", "SCHEMA")
    add("amount as a JSON number", mutated(lambda d: d["balances"].__setitem__(1, 2500)), "invalid", "SCHEMA")
    add("amount with a leading zero", mutated(lambda d: d["balances"].__setitem__(1, "02500")), "invalid", "SCHEMA")
    add("upper-case hex salt", mutated(lambda d: d["leaves"][0].update(salt=d["leaves"][0]["salt"].upper())), "invalid", "SCHEMA")
    add("leaf_count is not 2^height", mutated(lambda d: d.update(commitment=commitment(root_hash, root_sums, leaf_count=7))), "invalid", "BAD_TREE_SHAPE")
    add("proof epoch differs from commitment epoch", mutated(lambda d: d.update(epoch="2026-12")), "invalid", "EPOCH_MISMATCH")
    add("path one level short", mutated(lambda d: d["leaves"][0]["path"].pop()), "invalid", "PATH_LENGTH")
    add("path one level long", mutated(lambda d: d["leaves"][0]["path"].append({"hash": "00" * 32, "sums": ["0", "0"]})), "invalid", "PATH_LENGTH")
    add("index outside the tree", mutated(lambda d: d["leaves"][0].update(index=8)), "invalid", "INDEX_RANGE")
    erin = proof_for("erin", levels, salts, com)
    add("the same leaf listed twice (double counting a split balance)",
        mutated(lambda d: (d["leaves"].__setitem__(1, copy.deepcopy(d["leaves"][0])), d.update(balances=["120", "14"])), erin), "invalid", "DUPLICATE_LEAF_INDEX")
    add("leaves not sorted by index", mutated(lambda d: d["leaves"].reverse(), erin), "invalid", "INDEX_ORDER")
    add("expected user differs", base, "invalid", "WRONG_USER", user="bob")
    add("leaf balances do not add up to the total", mutated(lambda d: d["balances"].__setitem__(0, "100001")), "invalid", "BALANCE_MISMATCH")
    add("leaf value 2^64", mutated(lambda d: (d["balances"].__setitem__(0, str(2**64)), d["leaves"][0]["balances"].__setitem__(0, str(2**64)))), "invalid", "LEAF_VALUE_RANGE")
    add("negative sibling sum (OKX v1)", mutated(lambda d: d["leaves"][0]["path"][0]["sums"].__setitem__(0, "-5")), "invalid", "NEGATIVE_SUM")
    add("sibling sum 2^128", mutated(lambda d: d["leaves"][0]["path"][0]["sums"].__setitem__(0, str(2**128))), "invalid", "SUM_OUT_OF_RANGE")
    # A wrapped sum: the bank computes the root over a sibling of 2^128-100000 and signs it.
    ctx = context_hash(EPOCH, ASSETS)
    a_leaf = leaf_hash(ctx, user_commitment(salts[("alice", 0)], "alice"), USERS[("alice", 0)])
    fake = b"\x42" * 32
    big = 2**128 - 100_000
    wrap_root = node_hash(1, fake, (big, 0), a_leaf, USERS[("alice", 0)])
    wrap_com = commitment(wrap_root, (0, 2500), height=1, leaf_count=2)
    wrap = {"balances": ["100000", "2500"], "commitment": wrap_com, "epoch": EPOCH, "format": "pos-mst/1",
            "leaves": [{"balances": ["100000", "2500"], "index": 1, "path": [{"hash": fake.hex(), "sums": [str(big), "0"]}], "salt": salts[("alice", 0)].hex()}],
            "type": "proof", "user_id": "alice"}
    add("sibling sum that wraps the parent sum modulo 2^128", wrap, "invalid", "SUM_OVERFLOW")
    add("flipped bit in a sibling hash", mutated(lambda d: d["leaves"][0]["path"][1].update(hash=("%064x" % (int(d["leaves"][0]["path"][1]["hash"], 16) ^ 1)))), "invalid", "ROOT_HASH_MISMATCH")
    add("sibling sum + 1", mutated(lambda d: d["leaves"][0]["path"][2]["sums"].__setitem__(1, str(int(d["leaves"][0]["path"][2]["sums"][1]) + 1))), "invalid", "ROOT_HASH_MISMATCH")
    add("swapped siblings", mutated(lambda d: d["leaves"][0]["path"].reverse()), "invalid", "ROOT_HASH_MISMATCH")
    add("changed salt", mutated(lambda d: d["leaves"][0].update(salt="00" * 32)), "invalid", "ROOT_HASH_MISMATCH")
    add("another user's name on alice's leaf (shared leaf)", mutated(lambda d: d.update(user_id="mallory")), "invalid", "ROOT_HASH_MISMATCH")
    add("root sums lowered and re-signed by the bank", mutated(lambda d: d.update(commitment=commitment(root_hash, (root_sums[0] - 1, root_sums[1])))), "invalid", "ROOT_SUM_MISMATCH")
    add("commitment signed by another key", mutated(lambda d: d.update(commitment=commitment(root_hash, root_sums, key=OTHER))), "invalid", "WRONG_KEY")
    add("commitment altered after signing", mutated(lambda d: d["commitment"].update(as_of="2026-11-02T00:00:00Z")), "invalid", "BAD_SIGNATURE")
    add("replayed proof of another epoch", base, "invalid", "WRONG_EPOCH", epoch="2026-12")
    # SPEC 2.2 bounds and malformed values: schema or encoding failures (exit 1), never undecidable.
    member = text(base)[:-1] + ',"z":'  # a last member in key order: only the bound can refuse it first
    add("lone surrogate (escaped) in a string", None, "invalid", "NON_CANONICAL_ENCODING",
        raw=text(base).replace('"user_id":"alice"', '"user_id":"alice\\ud800"', 1))
    add("a number of 5,000 digits", None, "invalid", "NON_CANONICAL_ENCODING", raw=member + "9" * 5000 + "}")
    add("nesting 5,000 deep", None, "invalid", "NON_CANONICAL_ENCODING", raw=member + "[" * 5000 + "]" * 5000 + "}")
    add("nesting 65 deep (bound 64)", None, "invalid", "NON_CANONICAL_ENCODING", raw=member + "[" * 64 + "]" * 64 + "}")
    add("a signature that is not an object", mutated(lambda d: d["commitment"].update(signature="00" * 64)), "invalid", "BAD_SIGNATURE")
    add("odd-length hex salt", mutated(lambda d: d["leaves"][0].update(salt=d["leaves"][0]["salt"][:-1])), "invalid", "SCHEMA")
    # SPEC 4 `privacy`: the options the tree was built with, stated in the commitment.
    stated = commitment(root_hash, root_sums, privacy=PRIVACY)
    add("valid proof under a commitment stating its privacy options", proof_for("alice", levels, salts, stated), "valid", user="alice")
    add("two leaves where the commitment states split 1", proof_for("erin", levels, salts, stated), "invalid", "SPLIT_MISMATCH")
    add("unknown privacy version", mutated(lambda d: d.update(commitment=commitment(root_hash, root_sums, privacy={**PRIVACY, "v": 2}))),
        "inconclusive", "UNSUPPORTED_VERSION")
    add("privacy null", mutated(lambda d: d.update(commitment=commitment(root_hash, root_sums, privacy=None))), "invalid", "SCHEMA")
    add("privacy with an unknown member", mutated(lambda d: d.update(commitment=commitment(root_hash, root_sums, privacy={**PRIVACY, "k": 1}))),
        "invalid", "SCHEMA")
    add("leaf_count below the stated min_leaves", mutated(lambda d: d.update(commitment=commitment(root_hash, root_sums, privacy={**PRIVACY, "min_leaves": 16}))),
        "invalid", "BAD_TREE_SHAPE")
    return {
        "schema": "pos-mst-vectors/1",
        "algorithm": "pos-mst/1 inclusion proofs (docs/SPEC.md section 6)",
        "generator": "scripts/gen_vectors.py",
        "public_key": BANK.public_key().public_bytes_raw().hex(),
        "numberOfTests": len(tests),
        "tests": tests,
    }


def leaves_bin(layer) -> bytes:
    """SPEC 7's ``leaves.bin`` of a leaf layer [(hash, values), ...]."""
    height = len(layer).bit_length() - 1
    out = b"pos-mst/1 leaves\x00" + bytes([len(ASSETS), height])
    return out + b"".join(h + b"".join(v.to_bytes(8, "big") for v in values) for h, values in layer)


def root_of(layer):
    level = list(layer)
    for t in range(1, len(layer).bit_length()):
        level = [(node_hash(t, level[2 * i][0], level[2 * i][1], level[2 * i + 1][0], level[2 * i + 1][1]),
                  tuple(a + b for a, b in zip(level[2 * i][1], level[2 * i + 1][1]))) for i in range(len(level) // 2)]
    return level[0]


def tree_vectors() -> dict:
    """Full-tree audits (SPEC 7): a commitment and the leaf layer handed to the auditor."""
    levels, _, root_hash, root_sums = build()
    layer = levels[0]
    tests = []

    def add(comment, com, leaves, result, reason=None, epoch=None):
        tests.append({"tcId": len(tests) + 1, "comment": comment, "commitment": text(com), "leaves": leaves_bin(leaves).hex(),
                      "expected_epoch": epoch, "result": result, "reason": reason})

    com = commitment(root_hash, root_sums)
    add("valid leaf layer", com, layer, "valid", epoch=EPOCH)
    # CVE-2012-2459: the padding leaf at position 2 replaced by a copy of the user leaf at 1,
    # the root recomputed over it and re-signed; every node recomputes, the copy counts twice.
    dup = [*layer[:2], layer[1], *layer[3:]]
    add("a leaf duplicated in place of a padding leaf (root recomputed, re-signed)", commitment(*root_of(dup)), dup, "invalid", "DUPLICATE_LEAF")
    add("one leaf short", com, layer[:-1], "invalid", "LEAF_COUNT")
    changed = [layer[0], (layer[1][0], (layer[1][1][0] - 1, layer[1][1][1])), *layer[2:]]
    add("a leaf value lowered", com, changed, "invalid", "ROOT_HASH_MISMATCH")
    add("root sums lowered and re-signed", commitment(root_hash, (root_sums[0] - 1, root_sums[1])), layer, "invalid", "ROOT_SUM_MISMATCH")
    add("signed by another key", commitment(root_hash, root_sums, key=OTHER), layer, "invalid", "WRONG_KEY")
    add("another epoch expected", com, layer, "invalid", "WRONG_EPOCH", epoch="2026-12")
    add("valid leaf layer under a commitment stating its privacy options", commitment(root_hash, root_sums, privacy=PRIVACY), layer, "valid")
    add("unknown privacy version", commitment(root_hash, root_sums, privacy={**PRIVACY, "v": 2}), layer, "inconclusive", "UNSUPPORTED_VERSION")
    return {
        "schema": "pos-mst-tree-vectors/1",
        "algorithm": "pos-mst/1 full-tree audit (docs/SPEC.md section 7)",
        "generator": "scripts/gen_vectors.py",
        "public_key": BANK.public_key().public_bytes_raw().hex(),
        "numberOfTests": len(tests),
        "tests": tests,
    }


def primitive_vectors() -> dict:
    ctx = context_hash(EPOCH, ASSETS)
    salt = derive_salt(EPOCH_KEY, EPOCH, "alice", 0)
    uc = user_commitment(salt, "alice")
    lh = leaf_hash(ctx, uc, (100_000, 2_500))
    pad = padding_commitment(EPOCH_KEY, 3)
    nh = node_hash(1, lh, (100_000, 2_500), b"\xab" * 32, (2**64 - 1, 0))
    return {
        "schema": "pos-mst-primitives/1",
        "generator": "scripts/gen_vectors.py",
        "tests": [
            {"tcId": 1, "name": "context", "epoch": EPOCH, "assets": list(ASSETS), "result": ctx.hex()},
            {"tcId": 2, "name": "salt", "epoch_key": EPOCH_KEY.hex(), "epoch": EPOCH, "user_id": "alice", "part": 0, "result": salt.hex()},
            {"tcId": 3, "name": "user_commitment", "salt": salt.hex(), "user_id": "alice", "result": uc.hex()},
            {"tcId": 4, "name": "user_commitment", "salt": salt.hex(), "user_id": "Zoë ⚡", "result": user_commitment(salt, "Zoë ⚡").hex()},
            {"tcId": 5, "name": "leaf", "context": ctx.hex(), "commitment": uc.hex(), "balances": ["100000", "2500"], "result": lh.hex()},
            {"tcId": 6, "name": "padding_commitment", "epoch_key": EPOCH_KEY.hex(), "index": 3, "result": pad.hex()},
            {"tcId": 7, "name": "node", "height": 1, "left": lh.hex(), "left_sums": ["100000", "2500"], "right": "ab" * 32,
             "right_sums": [str(2**64 - 1), "0"], "result": nh.hex()},
        ],
    }


def anchor_vectors() -> dict:
    """The anchor block checks of SPEC 8.8: header bytes -> hash, bits -> target, pass/fail.

    Headers are regtest headers mined here (their nonce is the first that meets, or for the
    failing case misses, the regtest target); the mainnet floor is shown on `bits` alone, since a
    header meeting a mainnet target cannot be mined for a test (that is the floor's point).
    """
    from verifier.assets.anchor import (
        DIFF1_TARGET,
        MAINNET_DIFFICULTY_FLOOR,
        MAX_AGE,
        MAX_LEAD,
        BlockHeader,
        bits_target,
        check_anchor_time,
        check_header,
    )
    from verifier.errors import CannotVerify, VerificationError

    def mined(meets: bool, bits: str = "207fffff", time: int = 1795219200) -> BlockHeader:
        prev, merkle = hashlib.sha256(b"anchor vectors: previous").hexdigest(), hashlib.sha256(b"anchor vectors: merkle").hexdigest()
        for nonce in range(1000):
            h = BlockHeader(0x20000000, prev, merkle, time, bits, nonce)
            if (int(h.block_hash(), 16) <= bits_target("207fffff")) == meets:
                return h
        raise AssertionError("no nonce found")

    def verdict(check) -> tuple[str, str | None]:
        try:
            check()
            return "valid", None
        except (VerificationError, CannotVerify) as exc:
            return "invalid", str(exc.reason)

    good, miss = mined(True), mined(False)
    headers = [("a regtest header that meets its target", good, good.block_hash(), "regtest"),
               ("the stated hash is another block's (nonce changed)", good, mined(True, time=1795219201).block_hash(), "regtest"),
               ("the hash does not meet the target of its bits", miss, miss.block_hash(), "regtest"),
               ("a regtest target on mainnet exceeds mainnet's proof-of-work limit", good, good.block_hash(), "mainnet"),
               ("negative target (sign bit of the mantissa set)", mined(True, "04923456"), mined(True, "04923456").block_hash(), "regtest"),
               ("zero target", mined(True, "00000000"), mined(True, "00000000").block_hash(), "regtest"),
               ("overflowing target", mined(True, "ff123456"), mined(True, "ff123456").block_hash(), "regtest")]
    tests = []
    for comment, h, stated, network in headers:
        result, reason = verdict(lambda h=h, stated=stated, network=network: check_header(1, stated, h, network))
        tests.append({"tcId": len(tests) + 1, "kind": "header", "comment": comment, "network": network, "header": h.to_json(),
                      "header_hex": h.serialize().hex(), "hash": stated, "result": result, "reason": reason})
    floor_target = DIFF1_TARGET // MAINNET_DIFFICULTY_FLOOR
    size = (floor_target.bit_length() + 7) // 8
    at_floor = f"{size:02x}{floor_target >> 8 * (size - 3):06x}"
    above_floor = f"{size:02x}{(floor_target >> 8 * (size - 3)) + 1:06x}"
    for comment, bits in (("difficulty 1 (the genesis block's bits)", "1d00ffff"), ("mainnet block 329936 (2014), difficulty 3.96e10", "181bc330"),
                          ("the largest target at the floor of 10^12", at_floor), ("the next target up, just below the floor", above_floor),
                          ("difficulty 8.64e13, the order of mainnet's in 2024", "17034219")):
        target = bits_target(bits)
        ok = target * MAINNET_DIFFICULTY_FLOOR <= DIFF1_TARGET
        tests.append({"tcId": len(tests) + 1, "kind": "mainnet_floor", "comment": comment, "bits": bits, "target": f"{target:064x}",
                      "result": "valid" if ok else "invalid", "reason": None if ok else "ANCHOR_DIFFICULTY_TOO_LOW"})
    cutoff = 1795219199  # 2026-11-20T23:59:59Z
    for comment, time in (("at the cut-off", cutoff), ("6 hours before", cutoff - MAX_AGE), ("6 hours and 1 second before", cutoff - MAX_AGE - 1),
                          ("2 hours after", cutoff + MAX_LEAD), ("2 hours and 1 second after", cutoff + MAX_LEAD + 1),
                          ("a year before (the demo's old anchor)", cutoff - 365 * 86400)):
        result, reason = verdict(lambda time=time: check_anchor_time(time, cutoff))
        tests.append({"tcId": len(tests) + 1, "kind": "time", "comment": comment, "header_time": time, "as_of": "2026-11-20T23:59:59Z",
                      "result": result, "reason": reason})
    tests += attestation_pair_vectors(len(tests))
    return {"schema": "pos-assets-anchor/1", "generator": "scripts/gen_vectors.py", "difficulty_floor": MAINNET_DIFFICULTY_FLOOR,
            "max_age_seconds": MAX_AGE, "max_lead_seconds": MAX_LEAD, "tests": tests}


def attestation_pair_vectors(first: int) -> list[dict]:
    """SPEC 8.8 checks 6 and 15: the attested network against the pinned one (`WRONG_NETWORK`), and
    the channel funding outpoints against the listed UTXO outpoints, and bria's UTXOs against the
    cold and lnd ones (`DOUBLE_COUNTED`). The verdict
    is the verifier's own step (`check_network`, `check_double_counting`) run on a state holding a
    stand-in attestation with just the members the step reads."""
    from types import SimpleNamespace

    from verifier.assets.artifact import Bria, Utxo
    from verifier.assets.attestation import AttestationState, check_bria_balance, check_double_counting, check_network
    from verifier.errors import VerificationError

    tests: list[dict] = []

    def run(check, attestation, **inputs) -> tuple[str, str | None]:
        try:
            check(AttestationState(None, None, parsed=attestation, **inputs))  # type: ignore[arg-type]
            return "valid", None
        except VerificationError as exc:
            return "invalid", str(exc.reason)

    for comment, network, pinned in (("mainnet coins under the default pin", "mainnet", "mainnet"),
                                     ("regtest coins under the default pin (the demo's attestation)", "regtest", "mainnet"),
                                     ("regtest coins, regtest pinned", "regtest", "regtest"),
                                     ("signet coins, regtest pinned", "signet", "regtest"),
                                     ("testnet3 coins, testnet4 pinned", "testnet", "testnet4")):
        result, reason = run(check_network, SimpleNamespace(network=network), expected_network=pinned)
        tests.append({"tcId": first + len(tests) + 1, "kind": "network", "comment": comment, "network": network, "pinned": pinned,
                      "result": result, "reason": reason})

    def txid(label: str) -> str:
        return hashlib.sha256(b"attestation vectors: " + label.encode()).hexdigest()

    opened, pending, cold, lnd = f"{txid('funding 1')}:0", f"{txid('funding 2')}:1", f"{txid('cold')}:3", f"{txid('lnd')}:0"
    hot = f"{txid('bria')}:2"
    for comment, channels, pendings, colds, lnds, brias in (
        ("every outpoint distinct", [opened], [["pending_open", pending]], [cold], [lnd], None),
        ("an open channel's funding outpoint listed as a cold UTXO", [opened], [], [cold, opened], None, None),
        ("a pending-open channel's funding outpoint listed as a cold UTXO", [opened], [["pending_open", pending]], [pending], None, None),
        ("a force-closing channel's funding outpoint listed as an lnd UTXO", [], [["force_close", pending]], [cold], [lnd, pending], None),
        ("an open channel's funding outpoint listed as an lnd UTXO", [opened], [], [], [opened], None),
        ("another output of a funding transaction (its change) is not the funding outpoint", [opened], [],
         [f"{txid('funding 1')}:1"], None, None),
        ("bria, cold and lnd UTXOs all distinct", [opened], [], [cold], [lnd], [hot]),
        ("a cold UTXO also listed by bria", [opened], [], [cold], None, [hot, cold]),
        ("an lnd UTXO also listed by bria", [], [], [cold], [lnd], [lnd]),
        ("a channel's funding outpoint listed by bria", [opened], [], [cold], None, [opened]),
    ):
        listed = ([("cold_utxos", op) for op in colds] + [("onchain_utxos", op) for op in lnds or ()]
                  + [("bria.utxos", op) for op in brias or ()])
        stand_in = SimpleNamespace(channels=[SimpleNamespace(channel_point=cp) for cp in channels],
                                   pending_channels=[SimpleNamespace(kind=k, channel_point=cp) for k, cp in pendings],
                                   utxos=lambda listed=listed: tuple((where, SimpleNamespace(outpoint=op)) for where, op in listed))
        result, reason = run(check_double_counting, stand_in)
        tests.append({"tcId": first + len(tests) + 1, "kind": "double_count", "comment": comment, "channels": channels,
                      "pending_channels": pendings, "cold_utxos": colds, "onchain_utxos": lnds, "bria_utxos": brias,
                      "result": result, "reason": reason})
    # SPEC 8.3 / 8.8 check 16: bria's utxo_settled + utxo_pending_incoming is the sum of its UTXOs,
    # and utxo_settled is at most the confirmed ones (a UTXO with a height).
    for comment, utxos, settled, pending_in in (
        ("settled and pending add up, the pending one unconfirmed", [[70_000, 800], [5_000, None]], 70_000, 5_000),
        ("a confirmed UTXO not yet settled (bria settles income after n confirmations)", [[70_000, 800], [5_000, 801]], 70_000, 5_000),
        ("no bria UTXOs and zero balances", [], 0, 0),
        ("the balances exceed the listed UTXOs by one sat", [[70_000, 800]], 70_001, 0),
        ("the listed UTXOs exceed the balances (an output bria's ledger does not know)", [[70_000, 800], [1, 800]], 70_000, 0),
        ("settled counts an unconfirmed UTXO", [[70_000, 800], [5_000, None]], 75_000, 0),
    ):
        records = tuple(Utxo(txid(f"bria {i}"), i, a, "00", "", None, h) for i, (a, h) in enumerate(utxos))
        result, reason = run(check_bria_balance, SimpleNamespace(bria=Bria("w", settled, pending_in, records)))
        tests.append({"tcId": first + len(tests) + 1, "kind": "bria_balance", "comment": comment, "utxos": utxos,
                      "utxo_settled": settled, "utxo_pending_incoming": pending_in, "result": result, "reason": reason})
    return tests


def publication_vectors() -> dict:
    """SPEC 11.6 (the published balance definition and its content hash), 11.4 checks 7-8 and
    13 check 5 (an epoch's as_of, definition and statement against its commitment), and 11.4
    checks 11-13 between consecutive epochs (`history_pair_vectors`)."""
    from verifier.binding import check_as_of, check_definition, check_statement_liabilities
    from verifier.commitment import Commitment, commitment_hash
    from verifier.definition import DEFINITION_DOMAIN, Definition, changes
    from verifier.epoch import Epoch
    from verifier.errors import CannotVerify, InvalidHistory, VerificationError

    tests: list[dict] = []
    base = {"exclude": [{"path": "Liabilities:bankowner"}, {"path": "Liabilities:dealer:**"}],
            "include": [{"path": "Liabilities:*"}], "name": "customer-liabilities", "time_axis": "committed", "v": 1}
    roles = {**base, "exclude": [{"role": "any"}], "roles": [["Liabilities:6f1c", "dealer"], ["Liabilities:a0b1", "bankowner"]],
             "policies": {"fractional": "floor"}}

    def definition(comment: str, text: str) -> None:
        try:
            d = Definition.from_bytes(text.encode())
            result, reason, digest = "valid", None, d.content_hash.hex()
        except VerificationError as exc:
            result, reason, digest = "invalid", str(exc.reason), None
        except CannotVerify as exc:
            result, reason, digest = "inconclusive", str(exc.reason), None
        tests.append({"tcId": len(tests) + 1, "kind": "definition", "comment": comment, "definition": text,
                      "content_hash": digest, "result": result, "reason": reason})

    definition("customer liabilities by path", text(base))
    definition("bank wallets by role, with the role resolution and a read policy", text(roles))
    definition("a non-ASCII legal entity is hashed as its UTF-8 bytes",
               text({**base, "include": [{"legal_entity": "Bitcoin Beach, El Zonte ⚡", "type": "Liabilities"}]}))
    definition("the description is not part of the definition", text({**base, "description": "What the bank owes"}))
    definition("currencies must be strictly ascending", text({**base, "include": [{"currency": ["USD", "BTC"], "path": "L:*"}]}))
    definition("roles without a role selector", text({**base, "roles": []}))
    definition("a role selector without the role resolution", text({**base, "exclude": [{"role": "any"}]}))
    definition("an empty selector would match every account", text({**base, "exclude": [{}]}))
    definition("unknown version", text({**base, "v": 2}))
    definition("not canonical (whitespace)", json.dumps(base))

    for comment, before, after in [
        ("one more wallet excluded under the same name", base, {**base, "exclude": [*base["exclude"], {"path": "Liabilities:7a"}]}),
        ("time axis changed", base, {**base, "time_axis": "reporting"}),
        ("a wallet given a bank role", roles, {**roles, "roles": [*roles["roles"], ["Liabilities:ff00", "funder"]]}),
    ]:
        tests.append({"tcId": len(tests) + 1, "kind": "change", "comment": comment, "before": text(before), "after": text(after),
                      "changes": list(changes(Definition.parse(before), Definition.parse(after)))})

    hashed = Definition.parse(base)
    com = commitment(b"\x11" * 32, (1_500, 700), balance_definition={"name": "customer-liabilities",
                                                                       "content_hash": hashed.content_hash.hex()})
    rows = [{"asset": "BTC", "assets": "9000", "liabilities": "1500", "margin": "7500", "unit": "sat"},
            {"asset": "USD", "assets": "0", "liabilities": "700", "margin": "-700", "unit": "cent"}]
    statement = {"combined_at_declared_price": None, "per_asset": rows, "price": None}

    def epoch_doc(**changes) -> dict:
        body = {"format": "pos-epoch/1", "type": "epoch", "epoch": EPOCH, "sequence": 0, "as_of": AS_OF,
                "liabilities_commitment": commitment_hash(com).hex(), "asset_attestation": "22" * 32,
                "solvency": statement, "previous": None, "signer_key_id": key_id(BANK.public_key())}
        return sign({**body, **changes}, BANK)

    def binding(comment: str, epoch: dict, published: str | None) -> None:
        try:
            e, c = Epoch.parse(epoch), Commitment.parse(com)
            check_as_of(e, c, InvalidHistory)
            check_definition(c, None if published is None else published.encode(), "definition.json", InvalidHistory)
            check_statement_liabilities(e, c, InvalidHistory)
            result, reason = "valid", None
        except VerificationError as exc:
            result, reason = "invalid", str(exc.reason)
        tests.append({"tcId": len(tests) + 1, "kind": "binding", "comment": comment, "epoch": text(epoch), "commitment": text(com),
                      "definition": published, "result": result, "reason": reason})

    published = hashed.to_bytes().decode()
    binding("the epoch, its commitment and the published definition agree", epoch_doc(), published)
    binding("epoch as_of differs from the commitment's", epoch_doc(as_of="2026-11-02T00:00:00Z"), published)
    binding("definition.json missing", epoch_doc(), None)
    binding("definition.json is another definition than the hashed one",
            epoch_doc(), Definition.parse({**base, "exclude": base["exclude"][:1]}).to_bytes().decode())
    binding("a null statement while an attestation is bound", epoch_doc(solvency=None), published)
    binding("a free-text statement", epoch_doc(solvency="solvent"), published)
    binding("statement liabilities are not the root sums",
            epoch_doc(solvency={**statement, "per_asset": [{**rows[0], "liabilities": "150", "margin": "8850"}, rows[1]]}), published)
    binding("a statement margin is not assets - liabilities",
            epoch_doc(solvency={**statement, "per_asset": [{**rows[0], "margin": "75000"}, rows[1]]}), published)
    tests += history_pair_vectors(len(tests), epoch_doc, base)
    return {"schema": "pos-publication/1", "generator": "scripts/gen_vectors.py", "public_key": BANK.public_key().public_bytes_raw().hex(),
            "definition_domain": DEFINITION_DOMAIN.hex(), "tests": tests}


# A real signed assets.json: the anchor step reads the anchor height from the files beside each epoch.
ATTESTATION_FIXTURE = OUT.parent / "verifier" / "fixtures" / "publication" / "2026-11-20" / "public" / "assets.json"


def history_pair_vectors(first: int, epoch_doc, base: dict) -> list[dict]:
    """SPEC 11.4 checks 11-13 between consecutive epochs: cut-offs (`AS_OF_NOT_ADVANCING`), balance
    definitions (`DEFINITION_CHANGED`, a failure only with `--strict-definitions`) and anchor heights
    (`ANCHOR_NOT_ADVANCING`). The verdict is the verifier's own history step run on a `HistoryCheck`
    holding the epochs (and, for anchors, a scratch publication directory with their assets.json)."""
    import tempfile
    from types import SimpleNamespace

    from verifier.definition import Definition
    from verifier.epoch import Epoch
    from verifier.errors import VerificationError
    from verifier.history import HistoryCheck, check_anchors_advance, check_as_of_advancing, check_definition_changes

    tests: list[dict] = []
    names = ("2026-11", "2026-12", "2027-01")

    def run(check, state: HistoryCheck) -> tuple[str, str | None]:
        try:
            check(state)
            return "valid", None
        except VerificationError as exc:
            return "invalid", str(exc.reason)

    for comment, before, after in (("a month later", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"),
                                   ("one second later", "2026-11-01T00:00:00Z", "2026-11-01T00:00:01Z"),
                                   ("the same cut-off twice", "2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z"),
                                   ("one second earlier", "2026-11-01T00:00:00Z", "2026-10-31T23:59:59Z")):
        epochs = [(Epoch.parse(epoch_doc(epoch=n, as_of=t)), None) for n, t in zip(names, (before, after))]
        result, reason = run(check_as_of_advancing, HistoryCheck(Path("."), None, epochs=epochs))  # type: ignore[arg-type]
        tests.append({"tcId": first + len(tests) + 1, "kind": "as_of_pair", "comment": comment, "before": before, "after": after,
                      "result": result, "reason": reason})

    narrowed = {**base, "exclude": [*base["exclude"], {"path": "Liabilities:7a"}]}
    for comment, before, after, strict in (
        ("the same definition, strict", base, base, True),
        ("one more wallet excluded under the same name: a finding", base, narrowed, False),
        ("one more wallet excluded under the same name, strict", base, narrowed, True),
        ("the definition dropped, strict", base, None, True),
        ("no definition in either epoch, strict", None, None, True),
    ):
        parsed = [None if d is None else Definition.parse(d) for d in (before, after)]
        state = HistoryCheck(Path("."), None, strict_definitions=strict,  # type: ignore[arg-type]
                             epochs=[(SimpleNamespace(epoch=n), None) for n in names[:2]],
                             definitions=dict(zip(names, parsed)))
        result, reason = run(check_definition_changes, state)
        found = [change["changes"] for change in state.definition_changes]
        tests.append({"tcId": first + len(tests) + 1, "kind": "definition_pair", "comment": comment,
                      "before": None if before is None else text(before), "after": None if after is None else text(after),
                      "strict": strict, "findings": found, "result": result, "reason": reason})

    attestation = json.loads(ATTESTATION_FIXTURE.read_bytes())
    for comment, heights in (("the next epoch anchored a day later", [871144, 871288]),
                             ("the same anchor block for two epochs (one snapshot, two epochs)", [871144, 871144]),
                             ("an earlier anchor block", [871288, 871144]),
                             ("an epoch without an attestation is skipped", [871144, None, 871145]),
                             ("the same block across an epoch without an attestation", [871144, None, 871144])):
        with tempfile.TemporaryDirectory() as scratch:
            epochs = []
            for name, height in zip(names, heights):
                epochs.append((SimpleNamespace(epoch=name, asset_attestation=None if height is None else b"bound"), None))
                if height is not None:
                    (Path(scratch) / name).mkdir()
                    (Path(scratch) / name / "assets.json").write_bytes(
                        canonical.dumps({**attestation, "anchor": {**attestation["anchor"], "height": height}}))
            result, reason = run(check_anchors_advance, HistoryCheck(Path(scratch), None, epochs=epochs))  # type: ignore[arg-type]
        tests.append({"tcId": first + len(tests) + 1, "kind": "anchor_heights", "comment": comment, "heights": heights,
                      "result": result, "reason": reason})
    return tests


def main(argv: list[str]) -> int:
    files = {"pos_mst_proofs.json": proof_vectors(), "pos_mst_primitives.json": primitive_vectors(),
             "pos_mst_trees.json": tree_vectors(), "pos_assets_anchor.json": anchor_vectors()}
    files["pos_publication.json"] = publication_vectors()
    status = 0
    for name, doc in files.items():
        data = (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode()
        path = OUT / name
        if "--check" in argv:
            if not path.exists() or path.read_bytes() != data:
                print(f"{path} is out of date", file=sys.stderr)
                status = 1
        else:
            path.write_bytes(data)
            print(f"wrote {path} ({len(doc['tests'])} tests)")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
