"""Attacks through malformed bytes (issue 13, parts 6 and 7; SPEC 2.2 bounds, 2.3, 8.5).

A bank that holds its key can send any bytes. Whatever it sends must come out *invalid* with the
SPEC reason of the failed schema or encoding check (exit 1), never "undecidable" through a
crash of the parser (exit 3, ``INTERNAL_ERROR``), and never *valid* once a signed artifact was
altered. Reproduced here on the real publication of tests/verifier/fixtures:

* a lone surrogate in a string, a 5,000-digit integer, 5,000 nested arrays (the standard
  library's own limits: UnicodeEncodeError, ValueError, RecursionError);
* a ``signature`` that is not an object, an odd-length hex field (schema failures);
* a fuzz of every verifier command over mutated bytes of each input file;
* a BIP-322 signature with a sighash other than SIGHASH_ALL (or the taproot default 0x00).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import verifier
from verifier import canonical
from verifier.cli import main
from verifier.errors import InvalidBundle, InvalidEpoch, InvalidProof, InvalidReceipt, Reason, VerificationError

FIXTURES = Path(__file__).parent.parent / "verifier" / "fixtures"
KEY = str(FIXTURES / "bank.key.pub")

BUNDLE = (FIXTURES / "bundle.json").read_bytes()
LATEST = FIXTURES / "publication" / "2026-11-21" / "public"


def key():
    from verifier.signature import load_public_key

    return load_public_key(KEY)


def proof_bytes() -> bytes:
    return canonical.dump_file_bytes(canonical.loads(BUNDLE)["proof"])


def cli(*args: str) -> dict:
    result = CliRunner().invoke(main, [*args, "--json"], catch_exceptions=False)
    return {"exit": result.exit_code, **json.loads(result.output)}


def write(tmp: Path, name: str, data: bytes) -> str:
    path = tmp / name
    path.write_bytes(data)
    return str(path)


# Raw-byte manipulations of a canonical proof: (name, bytes -> bytes, SPEC reason).
def _splice(marker: bytes, insert: bytes):
    return lambda data: data.replace(marker, marker + insert, 1)


MALFORMED = [
    ("lone surrogate, escaped", lambda d: d.replace(b'"user_id":"', b'"user_id":"\\ud800', 1), Reason.NON_CANONICAL_ENCODING),
    ("lone low surrogate, escaped", lambda d: d.replace(b'"type":"proof', b'"type":"proof\\udfff', 1), Reason.NON_CANONICAL_ENCODING),
    ("surrogate bytes (CESU-8)", lambda d: d.replace(b'"user_id":"', b'"user_id":"\xed\xa0\x80', 1), Reason.NON_CANONICAL_ENCODING),
    ("integer of 5,000 digits", _splice(b'"leaves":[', b"9" * 5000 + b","), Reason.NON_CANONICAL_ENCODING),
    ("integer of 17 digits", _splice(b'"leaves":[', b"1" + b"0" * 16 + b","), Reason.NON_CANONICAL_ENCODING),
    ("nesting 5,000 deep", _splice(b'"leaves":[', b"[" * 5000 + b"]" * 5000 + b","), Reason.NON_CANONICAL_ENCODING),
    ("nesting 65 deep", _splice(b'"leaves":[', b"[" * 65 + b"]" * 65 + b","), Reason.NON_CANONICAL_ENCODING),
    ("unbalanced nesting 5,000 deep", _splice(b'"leaves":[', b"{" * 5000), Reason.NON_CANONICAL_ENCODING),
    ("over 64 MiB", lambda d: d + b" " * (64 * 1024 * 1024), Reason.NON_CANONICAL_ENCODING),
]


@pytest.mark.parametrize(("name", "mutate", "reason"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_proof_bytes_are_invalid(name, mutate, reason, tmp_path):
    data = mutate(proof_bytes())
    with pytest.raises(InvalidProof) as info:
        verifier.verify_proof(data, key())
    assert info.value.reason == reason
    out = cli("proof", write(tmp_path, "proof.json", data), "--key", KEY)
    assert (out["exit"], out["verdict"], out["reason"]) == (1, "invalid", reason), out["message"]


def test_bounds_do_not_look_inside_strings():
    # Brackets and digit runs inside strings are text, not structure.
    doc = {"a": "[" * 200 + "9" * 100, "b": ["{\\\"" * 50]}
    assert canonical.loads(canonical.dumps(doc)) == doc
    deep: object = 1
    for _ in range(canonical.MAX_DEPTH - 1):
        deep = [deep]
    assert canonical.loads(canonical.dumps(deep)) == deep


_tricky_text = st.text(alphabet=st.sampled_from(list('"\\[]{}0123456789:,u ab') + ["\u00e9", "\u26a1"]), max_size=30)
_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53 - 1), 2**53 - 1) | _tricky_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text("abcxyz", max_size=3), children, max_size=4),
    max_leaves=30,
)


def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


@given(_values, st.integers(min_value=0, max_value=70))
def test_bounds_read_structure_not_string_content(value, wrap):
    # Quotes, backslashes, brackets and digits inside strings never change the measured depth.
    for _ in range(wrap):
        value = [value]
    data = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    if _depth(value) <= canonical.MAX_DEPTH:
        assert canonical.loads(data) == value
    else:
        with pytest.raises(canonical.NonCanonical, match="nesting"):
            canonical.check_bounds(data)


@pytest.mark.parametrize("where", ["bundle", "epoch", "proof"])
def test_lone_surrogate_in_a_parsed_document_is_refused_by_the_api(where):
    # The in-process API takes parsed documents too: a str holding a lone surrogate can never be
    # signed bytes, so it is an encoding failure of its family, not a UnicodeEncodeError.
    doc = canonical.loads(BUNDLE)
    if where == "bundle":
        doc["type"] = "proof-bundle\ud800"
        call, family = (lambda: verifier.verify_bundle(doc, key())), InvalidBundle
    elif where == "epoch":
        doc["epoch"]["epoch"] = "2026\ud800"
        call, family = (lambda: verifier.verify_epoch(doc["epoch"], key())), InvalidEpoch
    else:
        doc["proof"]["user_id"] = "\ud800"
        call, family = (lambda: verifier.verify_proof(doc["proof"], key())), InvalidProof
    with pytest.raises(family) as info:
        call()
    assert isinstance(info.value, VerificationError)
    assert info.value.reason in {Reason.NON_CANONICAL_ENCODING, Reason.SCHEMA, Reason.EPOCH_SCHEMA, Reason.BUNDLE_SCHEMA,
                                 Reason.BAD_SIGNATURE}


@pytest.mark.parametrize("value", ["abc", 7, None, ["alg"], True])
def test_signature_that_is_not_an_object(value, tmp_path):
    doc = canonical.loads(BUNDLE)
    doc["proof"]["commitment"]["signature"] = value
    out = cli("proof", write(tmp_path, "b.json", canonical.dump_file_bytes(doc)), "--key", KEY)
    assert (out["exit"], out["reason"]) == (1, Reason.BAD_SIGNATURE)
    receipt = canonical.loads((FIXTURES / "receipt.json").read_bytes())
    receipt["signature"] = value
    with pytest.raises(InvalidReceipt) as info:
        verifier.verify_receipt(receipt, key())
    assert info.value.reason in {Reason.BAD_SIGNATURE, Reason.RECEIPT_SCHEMA}
    epoch = canonical.loads((LATEST / "epoch.json").read_bytes())
    epoch["signature"] = value
    with pytest.raises(InvalidEpoch):
        verifier.verify_epoch(epoch, key())


@pytest.mark.parametrize("field", ["salt", "hash", "liabilities_commitment", "log_root", "signature.value"])
def test_odd_length_hex_is_a_schema_failure(field, tmp_path):
    doc = canonical.loads(BUNDLE)
    target, name = {
        "salt": (doc["proof"]["leaves"][0], "salt"),
        "hash": (doc["proof"]["leaves"][0]["path"][0], "hash"),
        "liabilities_commitment": (doc["epoch"], "liabilities_commitment"),
        "log_root": (doc["log_head"], "log_root"),
        "signature.value": (doc["proof"]["commitment"]["signature"], "value"),
    }[field]
    target[name] = target[name][:-1]
    out = cli("proof", write(tmp_path, "b.json", canonical.dump_file_bytes(doc)), "--key", KEY)
    assert out["exit"] == 1 and out["verdict"] == "invalid", out
    assert out["reason"] not in {Reason.INTERNAL_ERROR, None}


@pytest.mark.parametrize("data", [b"[" * 5000 + b"]" * 5000, b'{"a":' + b"9" * 5000 + b"}", b'{"a":"\\ud800"}', b"\xff"],
                         ids=["nesting 5,000 deep", "5,000 digits", "lone surrogate", "not UTF-8"])
def test_malformed_utxo_file_is_a_bad_utxo_file(data, tmp_path):
    # The auditor's own node data (SPEC 8.9): unreadable is undecidable by design, but never a crash.
    out = cli("assets", str(LATEST / "assets.json"), "--key", KEY, "--utxos", write(tmp_path, "utxos.json", data))
    assert (out["exit"], out["reason"]) == (3, Reason.BAD_UTXO_FILE), out["message"]


# The fuzz: every command, every input file, mutated bytes.
NASTY = [b"\\ud800", b"\xed\xa0\x80", b"9" * 4400, b"[" * 1200, b"{" * 1200, b'"signature":"x",', b"\xff", b"\x00",
         b"-0", b"1e400", b"NaN", b"\\u0000", b'"', b"\\", b"0" * 40]


@st.composite
def mutated(draw, data: bytes) -> bytes:
    kind = draw(st.sampled_from(["flip", "insert", "delete", "nasty", "truncate"]))
    at = draw(st.integers(min_value=0, max_value=len(data) - 1))
    if kind == "flip":
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
    if kind == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    if kind == "delete":
        return data[:at] + data[at + draw(st.integers(1, 16)):]
    if kind == "truncate":
        return data[:at]
    return data[:at] + draw(st.sampled_from(NASTY)) + data[at:]


def _commands(tmp: Path, target: str, data: bytes) -> list[list[str]]:
    """The command lines that read `target` (replaced by `data`), under `tmp`."""
    pub = tmp / "publication"
    shutil.copytree(FIXTURES / "publication", pub)
    commitment = str(pub / "2026-11-21" / "public" / "commitment.json")
    if target in {"epoch.json", "log-head.json", "commitment.json", "assets.json"}:
        (pub / "2026-11-21" / "public" / target).write_bytes(data)
        runs = [["history", str(pub), "--key", KEY]]
        if target == "commitment.json":
            runs += [["tree", str(tmp / "missing-leaves"), "--commitment", commitment, "--key", KEY],
                     ["proof", str(FIXTURES / "bundle.json"), "--key", KEY, "--commitment", commitment]]
        if target == "assets.json":
            runs.append(["assets", str(pub / "2026-11-21" / "public" / target), "--key", KEY, "--commitment", commitment])
        if target == "log-head.json":
            runs.append(["history", str(FIXTURES / "publication"), "--key", KEY, "--trusted-head", str(pub / "2026-11-21" / "public" / target)])
        return runs
    if target in {"leaves.bin", "tree-commitment.json"}:
        leaves = write(tmp, "leaves.bin", data if target == "leaves.bin" else TREE_LEAVES)
        tree_commitment = write(tmp, "commitment.json", data if target != "leaves.bin" else TREE_COMMITMENT)
        return [["tree", leaves, "--commitment", tree_commitment, "--key", TREE_KEY]]
    path = write(tmp, target, data)
    if target == "utxos.json":
        # The auditor's own node data: read before the attestation is checked.
        return [["assets", str(LATEST / "assets.json"), "--key", KEY, "--utxos", path]]
    if target == "bundle.json":
        return [["proof", path, "--key", KEY], ["save-head", path, "--key", KEY, "--out", str(tmp / "head.json")],
                ["receipt", str(FIXTURES / "receipt.json"), "--key", KEY, "--proof", path],
                ["history", str(FIXTURES / "publication"), "--key", KEY, "--trusted-head", path]]
    if target == "proof.json":
        return [["proof", path, "--key", KEY]]
    return [["receipt", path, "--key", KEY, "--commitment", str(LATEST / "commitment.json")]]


# The auditor's input: the valid leaf layer of the SPEC 7 vectors and its commitment.
_TREE = json.loads((Path(__file__).parent.parent / "vectors" / "pos_mst_trees.json").read_text())
TREE_KEY = _TREE["public_key"]
TREE_LEAVES = bytes.fromhex(_TREE["tests"][0]["leaves"])
TREE_COMMITMENT = _TREE["tests"][0]["commitment"].encode() + b"\n"

# A `scantxoutset` result as the auditor's node prints it (SPEC 8.9).
UTXOS = json.dumps({
    "success": True, "txouts": 1, "height": 871234, "bestblock": "00" * 32, "total_amount": 0.00100000,
    "unspents": [{"txid": "ab" * 32, "vout": 0, "scriptPubKey": "0014" + "cd" * 20, "desc": "addr(bc1q)#x",
                  "amount": 0.00100000, "coinbase": False, "height": 871000}],
}, indent=2).encode()

SOURCES = {
    "utxos.json": UTXOS,
    "leaves.bin": TREE_LEAVES,
    "tree-commitment.json": TREE_COMMITMENT,
    "bundle.json": BUNDLE,
    "proof.json": proof_bytes(),
    "receipt.json": (FIXTURES / "receipt.json").read_bytes(),
    **{name: (LATEST / name).read_bytes() for name in ("epoch.json", "log-head.json", "commitment.json", "assets.json")},
}


@pytest.mark.parametrize("target", sorted(SOURCES))
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], deadline=None)
@given(data=st.data())
def test_fuzz_every_command(target, data):
    original = SOURCES[target]
    bad = data.draw(mutated(original))
    with tempfile.TemporaryDirectory() as name:
        for args in _commands(Path(name), target, bad):
            result = CliRunner().invoke(main, [*args, "--json"])
            assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
            assert "Traceback" not in result.output
            out = json.loads(result.output)
            assert out["reason"] != Reason.INTERNAL_ERROR, (args[0], out["message"])
            if out["verdict"] == "valid":
                # Only a change that leaves the signed bytes as they were may still verify.
                assert bad.rstrip(b"\n") == original.rstrip(b"\n"), (args[0], bad[:200])


# --- BIP-322: every signature uses SIGHASH_ALL (or the taproot default) (SPEC 8.5).
def _bip322_signature(kind: str, hashtype: int) -> tuple[str, str]:
    """A BIP-322 simple signature of MESSAGE made with `hashtype`: (address, signature)."""
    import base64
    import hashlib

    from coincurve import PrivateKey
    from embit import compact
    from embit.hashes import hash160
    from embit.script import Script

    from solvency.demo.wallets import multisig_script, p2tr, p2wpkh, p2wsh, taproot_tweak
    from verifier.assets import bip322
    from verifier.assets.address import script_address

    keys = [PrivateKey(hashlib.sha256(b"sighash attack %d" % i).digest()) for i in range(2)]
    if kind == "p2tr":
        spk = p2tr(keys[0])
    elif kind == "p2wsh":
        witness_script = multisig_script(2, [k.public_key.format() for k in keys])
        spk = p2wsh(witness_script)
    else:
        spk = p2wpkh(keys[0].public_key.format())
    tx = bip322.to_sign(bip322.to_spend(MESSAGE, spk), [])
    if kind == "p2tr":
        tweaked, _ = taproot_tweak(keys[0])
        digest = tx.sighash_taproot(0, [Script(spk)], [0], sighash=hashtype)
        sig = tweaked.sign_schnorr(digest, b"\x00" * 32)
        witness = [sig if hashtype == 0 else sig + bytes([hashtype])]
    elif kind == "p2wsh":
        digest = tx.sighash_segwit(0, Script(witness_script), 0, sighash=hashtype)
        by_key = {k.public_key.format(): k for k in keys}
        witness = [b""] + [by_key[pk].sign(digest, hasher=None) + bytes([hashtype]) for pk in sorted(by_key)] + [witness_script]
    else:
        pub = keys[0].public_key.format()
        digest = tx.sighash_segwit(0, Script(b"\x76\xa9\x14" + hash160(pub) + b"\x88\xac"), 0, sighash=hashtype)
        witness = [keys[0].sign(digest, hasher=None) + bytes([hashtype]), pub]
    raw = bytes(compact.to_bytes(len(witness))) + b"".join(bytes(compact.to_bytes(len(w))) + w for w in witness)
    return script_address(spk, "mainnet"), "smp" + base64.b64encode(raw).decode()


MESSAGE = b"pos-assets/1 proof of control\nepoch: 2026-11\n"
SIGHASH_ALL_FORMS = [("p2wpkh", 0x01), ("p2wsh", 0x01), ("p2tr", 0x00), ("p2tr", 0x01)]
OTHER_SIGHASHES = [(kind, t) for kind in ("p2wpkh", "p2wsh", "p2tr") for t in (0x02, 0x03, 0x81, 0x82, 0x83)]


@pytest.mark.parametrize(("kind", "hashtype"), SIGHASH_ALL_FORMS)
def test_sighash_all_signatures_verify(kind, hashtype):
    from verifier.assets import bip322

    address, signature = _bip322_signature(kind, hashtype)
    assert bip322.verify_simple(address, MESSAGE, signature) == kind


@pytest.mark.parametrize(("kind", "hashtype"), OTHER_SIGHASHES)
def test_other_sighash_types_are_invalid(kind, hashtype):
    # The curve check passes (the signature is over the digest of its own hash type), but NONE,
    # SINGLE and ANYONECANPAY commit to less than to_sign: BIP-322 allows SIGHASH_ALL only.
    from verifier.assets import bip322
    from verifier.assets.errors import InvalidAttestation

    address, signature = _bip322_signature(kind, hashtype)
    with pytest.raises(InvalidAttestation, match="SIGHASH_ALL") as info:
        bip322.verify_simple(address, MESSAGE, signature)
    assert info.value.reason == Reason.BAD_PROOF_OF_CONTROL
