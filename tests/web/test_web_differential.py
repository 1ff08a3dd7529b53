"""Differential test: the page and the Python verifier give the same verdict, reason code and
list of passed checks on the same inputs (issue 15: a tampered bundle is refused by the page
with the same reason code as the CLI).

The inputs are two real proof bundles (tests/verifier/fixtures/bundle.json, and the one a fresh
`solvency demo` writes, in today's formats), their bare proofs, and every single mutation of one of their values: each hash, salt and signature
(one hex digit changed), each sum and balance (+1, -1, +2^64, 2^128), each integer (index,
sequence, sizes, height: +1, -1), each epoch id, cut-off, user id, name and format marker, plus
wrong expected epochs and users; then the same mutations made by a bank that re-signs what it
changed (the fixture re-issued under a test key, every hash link and the two-entry log
recomputed), which reach the checks behind the signatures. Run through the page's code in Node (all of them) and in the
headless browser (an eighth of them and one of every reason, through the URL fragment, as a bank's
app opens the page).
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from page_harness import FIXTURES, PAGE, WEB, chromium, fragment, node_project, open_page, python_verdict, read_verdict

from solvency.keys import sign_artifact
from verifier import canonical
from verifier.signature import key_id

pytestmark = pytest.mark.timeout(600)
HEX = set("0123456789abcdef")


def _mutated_strings(key: str, value: str) -> Iterator[str]:
    if len(value) >= 32 and set(value) <= HEX:
        yield ("1" if value[0] != "1" else "2") + value[1:]
        yield value[:-1] + ("0" if value[-1] != "0" else "f")
    elif value.isdigit() or (value.startswith("-") and value[1:].isdigit()):
        n = int(value)
        yield from (str(n + 1), str(n - 1), str(n + 2**64), str(2**128))
    elif key in ("as_of", "time") and value.endswith("Z"):
        yield value[:-2] + ("1" if value[-2] != "1" else "2") + "Z"  # one second later or earlier
    elif key == "epoch":
        yield value[:-1] + ("1" if value[-1] != "1" else "2")
    else:
        yield value + "x"
        yield value.upper() if value != value.upper() else value.lower()


def _mutations(doc: Any, key: str = "", path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every document that differs from `doc` in exactly one value, with the path of that value."""
    if isinstance(doc, dict):
        for k in sorted(doc):
            for where, changed in _mutations(doc[k], k, (*path, k)):
                yield where, {**doc, k: changed}
    elif isinstance(doc, list):
        for i, item in enumerate(doc):
            for where, changed in _mutations(item, key, (*path, str(i))):
                yield where, [*doc[:i], changed, *doc[i + 1:]]
    elif isinstance(doc, bool) or doc is None:
        return
    elif isinstance(doc, int):
        yield path, doc + 1
        yield path, doc - 1
    elif isinstance(doc, str):
        for changed in _mutated_strings(key, doc):
            yield path, changed


def _sign_all(bundle: dict[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The bundle with its commitment, epoch and log head (re-)signed by `private_key`."""
    proof = {**bundle["proof"], "commitment": sign_artifact(bundle["proof"]["commitment"], private_key)}
    return {**bundle, "proof": proof, "epoch": sign_artifact(bundle["epoch"], private_key),
            "log_head": sign_artifact(bundle["log_head"], private_key)}


def _rebuilt_under(bundle: dict[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any] | None:
    """The fixture bundle re-issued by a bank holding `private_key`: every hash link and the log
    of two entries recomputed (RFC 9162), so that a mutation followed by a re-signature reaches
    the checks behind the signatures (bindings, log proofs, sums). None for another log shape."""
    head = bundle["log_head"]
    if (head["log_size"], head["inclusion"]["leaf_index"], (head["consistency"] or {}).get("first_size")) != (2, 1, 1):
        return None
    kid = key_id(private_key.public_key())
    commitment = sign_artifact({**bundle["proof"]["commitment"], "signer_key_id": kid}, private_key)
    epoch = sign_artifact({**bundle["epoch"], "signer_key_id": kid,
                           "liabilities_commitment": hashlib.sha256(canonical.dumps(commitment)).hexdigest()}, private_key)
    epoch_hash = hashlib.sha256(canonical.dumps(epoch)).digest()
    first_root = bytes.fromhex(head["consistency"]["first_root"])
    leaf = hashlib.sha256(b"\x00" + epoch_hash).digest()
    root = hashlib.sha256(b"\x01" + first_root + leaf).hexdigest()
    head = {**head, "signer_key_id": kid, "epoch_hash": epoch_hash.hex(), "log_root": root,
            "inclusion": {**head["inclusion"], "entry": epoch_hash.hex(), "log_root": root, "path": [first_root.hex()]},
            "consistency": {**head["consistency"], "second_root": root, "path": [leaf.hex()]}}
    return _sign_all({**bundle, "proof": {**bundle["proof"], "commitment": commitment}, "epoch": epoch, "log_head": head},
                     private_key)


def _cases(data: bytes, key: str) -> list[dict[str, Any]]:
    """The inputs made from one valid bundle (`data`) under its bank key (`key`, the .pub text)."""
    bundle = canonical.loads(data)
    epoch, user = bundle["proof"]["epoch"], bundle["proof"]["user_id"]
    inputs: list[tuple[bytes, str, str | None, str | None]] = [
        (data, key, epoch, user), (data, key, None, None), (data, key, "2026-01", None), (data, key, None, "someone-else"),
        (canonical.dump_file_bytes(bundle["proof"]), key, epoch, user),
    ]
    inputs += [(canonical.dump_file_bytes(m), key, epoch, user) for _, m in _mutations(bundle)]
    inputs += [(canonical.dump_file_bytes(m), key, epoch, user) for _, m in _mutations(bundle["proof"])]
    # The bank mutates one value and re-signs what it changed (it holds its key): the checks
    # behind the signatures must catch it, in both verifiers alike.
    bank = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"tests/web differential bank key").digest())
    rebuilt = _rebuilt_under(bundle, bank)
    if rebuilt is not None:
        bank_key = bank.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
        inputs.append((canonical.dump_file_bytes(rebuilt), bank_key, epoch, user))
        for where, m in _mutations(rebuilt):
            if "signature" not in where and "signer_key_id" not in where:
                inputs.append((canonical.dump_file_bytes(_sign_all(m, bank)), bank_key, epoch, user))
                # The bank also re-links what it changed (commitment hash, epoch hash, log), so only
                # the figures' own checks (SPEC 6, 13 check 5) can catch it.
                relinked = _rebuilt_under(m, bank)
                if relinked is not None:
                    inputs.append((canonical.dump_file_bytes(relinked), bank_key, epoch, user))
    seen, cases = set(), []
    for raw, pinned, e, u in inputs:
        if (raw, pinned, e, u) not in seen:
            seen.add((raw, pinned, e, u))
            cases.append({"data": raw, "data_b64": base64.b64encode(raw).decode(), "key": pinned, "epoch": e, "user": u})
    return cases


@pytest.fixture(scope="module")
def cases(demo_run):
    """Mutations of the committed fixture bundle and of the bundle `solvency demo` writes today."""
    out, _ = demo_run
    demo_bundle = next((out / "for-users").glob("*.bundle.json"))
    cases = _cases((FIXTURES / "bundle.json").read_bytes(), (FIXTURES / "bank.key.pub").read_text())
    cases += _cases(demo_bundle.read_bytes(), (out / "bank.key.pub").read_text())
    for case in cases:
        case["python"] = python_verdict(case["data"], case["key"].encode(), case["epoch"], case["user"])
    return cases


def test_the_mutations_reach_every_part_of_the_bundle(cases):
    reasons = {c["python"][1] for c in cases}
    print(f"{len(cases)} inputs; Python reasons: {sorted(map(str, reasons))}")
    assert len(cases) > 1000
    assert {None, "BAD_SIGNATURE", "WRONG_EPOCH", "WRONG_USER", "ROOT_HASH_MISMATCH", "ROOT_SUM_MISMATCH", "BALANCE_MISMATCH",
            "NEGATIVE_SUM", "SUM_OUT_OF_RANGE", "LEAF_VALUE_RANGE", "LOG_INDEX_RANGE", "BUNDLE_MISMATCH",
            "LOG_INCLUSION_INVALID", "LOG_CONSISTENCY_INVALID", "LOG_HEAD_MISMATCH", "UNSUPPORTED_VERSION", "AS_OF_MISMATCH",
            "STATEMENT_MISMATCH"} <= reasons


def test_node_gives_the_python_verdict_reason_and_checks_on_every_mutation(cases):
    node_project()
    payload = json.dumps([{k: c[k] for k in ("data_b64", "key", "epoch", "user")} for c in cases])
    done = subprocess.run(["node", "tools/run_cases.mjs"], cwd=WEB, input=payload, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    page = json.loads(done.stdout)
    differ = [(i, c["python"], (p["verdict"], p["reason"], p["checked"])) for i, (c, p) in enumerate(zip(cases, page, strict=True))
              if (p["verdict"], p["reason"], p["checked"]) != c["python"]]
    assert not differ, differ[:5]


def test_the_browser_gives_the_python_verdict_and_reason_on_the_mutations(cases):
    """The built page itself, in Chromium: every eighth input and the first input of every
    verdict and reason (Node runs them all through the same code, unbundled)."""
    first_of_reason = {c["python"][:2]: i for i, c in reversed(list(enumerate(cases)))}
    chosen = sorted(set(range(0, len(cases), 8)) | set(first_of_reason.values()))
    differ = []
    with chromium() as driver:
        driver.get(PAGE.as_uri())
        for i in chosen:
            case = cases[i]
            frag = fragment(case["data"], case["key"], case["epoch"], case["user"])
            # A new fragment re-runs the page's check (hashchange), as when a bank's app opens the
            # next link; should the browser not report it in time, the page is loaded afresh.
            driver.execute_script("document.getElementById('verdict').dataset.verdict = ''; window.location.hash = arguments[0];", frag)
            try:
                got = read_verdict(driver, timeout=5)
            except AssertionError:
                got = open_page(driver, frag)
            if got != case["python"]:
                differ.append((i, case["python"][:2], got[:2]))
    assert not differ, differ[:5]
