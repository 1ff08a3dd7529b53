"""`solvency keys|tree` and `solvency-verify proof|tree`: exit codes, --json, NO_COLOR, tracebacks."""

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from tree_helpers import now_as_of

from solvency.cli.main import cli
from verifier import canonical
from verifier.cli import main as verify_main

CSV = "user_id,currency,amount\nalice,BTC,100000\nalice,USD,2500\nbob,BTC,5\ncarol,USD,18446744073709551615\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    runner = CliRunner()
    assert runner.invoke(cli, ["keys", "generate", "--out", str(d / "bank.key")]).exit_code == 0
    (d / "bal.csv").write_text(CSV)
    r = runner.invoke(cli, ["tree", "build", "--balances", str(d / "bal.csv"), "--as-of", "2026-11-01T00:00:00Z", "--epoch", "2026-11", "--key", str(d / "bank.key"), "--out", str(d / "t")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["tree", "proof", "--dir", str(d / "t"), "--user", "alice", "--out", str(d / "alice.json")])
    assert r.exit_code == 0, r.output
    return d


def verify(*args, env=None):
    return CliRunner().invoke(verify_main, list(args), env=env)


def test_build_output(built):
    com = canonical.loads((built / "t" / "commitment.json").read_bytes())
    assert com["root"]["sums"] == ["100005", str(2500 + 2**64 - 1)]
    assert com["balance_definition"] is None and com["ledger_digest"] is None


def test_proof_valid_exit_0_and_json_schema(built):
    r = verify("proof", str(built / "alice.json"), "--key", str(built / "bank.key.pub"), "--commitment", str(built / "t" / "commitment.json"), "--epoch", "2026-11", "--user", "alice", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert set(out) == {"schema", "verdict", "reason", "message", "checked", "facts", "caveats"}
    assert out["schema"] == "pos-verify-result/1" and out["verdict"] == "valid" and out["reason"] is None
    assert out["facts"]["balances"] == {"BTC": "100000", "USD": "2500"}
    assert out["facts"]["user_id"] == "alice"


def test_proof_invalid_exit_1(built, tmp_path):
    doc = canonical.loads((built / "alice.json").read_bytes())
    doc["leaves"][0]["balances"][0] = "1"  # the totals still add up: the leaf hash no longer matches
    doc["balances"][0] = str(sum(int(leaf["balances"][0]) for leaf in doc["leaves"]))
    (tmp_path / "p.json").write_bytes(canonical.dump_file_bytes(doc))
    r = verify("proof", str(tmp_path / "p.json"), "--key", str(built / "bank.key.pub"), "--json")
    assert r.exit_code == 1
    out = json.loads(r.output)
    assert out["verdict"] == "invalid" and out["reason"] == "ROOT_HASH_MISMATCH"


def test_usage_error_exit_2(built):
    assert verify("proof", str(built / "alice.json")).exit_code == 2


@pytest.mark.parametrize("case", ["missing", "version", "private_key_pin"])
def test_undecidable_exit_3(built, tmp_path, case):
    key = str(built / "bank.key.pub")
    path = str(tmp_path / "missing.json")
    if case == "version":
        doc = canonical.loads((built / "alice.json").read_bytes())
        doc["format"] = "pos-mst/9"
        (tmp_path / "v.json").write_bytes(canonical.dump_file_bytes(doc))
        path = str(tmp_path / "v.json")
    if case == "private_key_pin":
        path, key = str(built / "alice.json"), str(built / "bank.key")
    r = verify("proof", path, "--key", key, "--json")
    assert r.exit_code == 3
    assert json.loads(r.output)["verdict"] == "inconclusive"


def test_no_traceback_without_debug_and_no_colour(built, tmp_path):
    (tmp_path / "p.json").write_bytes(b"{not json")
    base = [sys.executable, "-m", "verifier", "proof", str(tmp_path / "p.json"), "--key", str(built / "bank.key.pub")]
    env = {**os.environ, "NO_COLOR": "1"}
    plain = subprocess.run(base, capture_output=True, text=True, env=env)
    assert plain.returncode == 1
    assert "Traceback" not in plain.stderr + plain.stdout
    assert "\x1b[" not in plain.stdout and "NON_CANONICAL_ENCODING" in plain.stdout
    debug = subprocess.run(base + ["--debug"], capture_output=True, text=True, env=env)
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_tree_audit_cli(built, tmp_path):
    runner = CliRunner()
    for name in ("leaves.bin", "leaves.parquet"):
        r = runner.invoke(cli, ["tree", "export-leaves", "--dir", str(built / "t"), "--out", str(tmp_path / name)])
        assert r.exit_code == 0, r.output
        r = verify("tree", str(tmp_path / name), "--commitment", str(built / "t" / "commitment.json"), "--key", str(built / "bank.key.pub"), "--json")
        assert r.exit_code == 0, r.output
        assert json.loads(r.output)["facts"]["leaf_count"] == 1024  # `tree build`'s default minimum (SPEC 1)
    data = bytearray((tmp_path / "leaves.bin").read_bytes())
    data[-1] ^= 1
    (tmp_path / "bad.bin").write_bytes(bytes(data))
    r = verify("tree", str(tmp_path / "bad.bin"), "--commitment", str(built / "t" / "commitment.json"), "--key", str(built / "bank.key.pub"), "--json")
    assert r.exit_code == 1 and json.loads(r.output)["reason"] == "ROOT_HASH_MISMATCH"
    r = verify("tree", str(tmp_path / "leaves.bin") + "x", "--commitment", str(built / "t" / "commitment.json"), "--key", str(built / "bank.key.pub"))
    assert r.exit_code == 3


def test_export_proofs_jsonl(built, tmp_path):
    r = CliRunner().invoke(cli, ["tree", "export-proofs", "--dir", str(built / "t"), "--out", str(tmp_path / "all.jsonl")])
    assert r.exit_code == 0, r.output
    lines = (tmp_path / "all.jsonl").read_bytes().splitlines()
    assert len(lines) == 3
    from verifier.proof import verify_proof
    from verifier.signature import load_public_key

    key = load_public_key(str(built / "bank.key.pub"))
    assert sorted(verify_proof(line, key).user_id for line in lines) == ["alice", "bob", "carol"]


def test_build_rejects_bad_input_exit_1(built, tmp_path):
    (tmp_path / "bad.csv").write_text("user_id,currency,amount\na,BTC,-1\nb,BTC,-2\nc,BTC,1\n")
    args = ["tree", "build", "--balances", str(tmp_path / "bad.csv"), "--as-of", "2026-11-01T00:00:00Z", "--epoch", "e1", "--key", str(built / "bank.key")]
    r = CliRunner().invoke(cli, args + ["--out", str(tmp_path / "t")])
    assert r.exit_code == 1 and "'a'" in r.output and "'b'" in r.output and not (tmp_path / "t").exists()
    r = CliRunner().invoke(cli, args + ["--out", str(tmp_path / "t2"), "--exclude-negative"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "t2" / "private" / "negatives.csv").read_text().count("\n") == 3


def test_build_usage_errors_exit_2(built, tmp_path):
    r = CliRunner().invoke(cli, ["tree", "build", "--as-of", "2026-11-01T00:00:00Z", "--epoch", "e", "--key", str(built / "bank.key"), "--out", str(tmp_path / "t")])
    assert r.exit_code == 2
    r = CliRunner().invoke(cli, ["tree", "build", "--balances", "x.csv", "--as-of", "yesterday", "--epoch", "e", "--key", str(built / "bank.key"), "--out", str(tmp_path / "t")])
    assert r.exit_code == 2


def test_unknown_user_exit_1(built):
    r = CliRunner().invoke(cli, ["tree", "proof", "--dir", str(built / "t"), "--user", "mallory"])
    assert r.exit_code == 1


def test_build_from_ledger(tmp_path, built):
    pytest.importorskip("ledger.sqlite.store")
    from ledger.entries import transfer
    from ledger.open import open_store

    with open_store(str(tmp_path / "ledger.db")) as store:
        store.post_batch([
            transfer("Assets:Reserve:Cold", "Liabilities:alice", "BTC", 1500),
            transfer("Assets:Reserve:Cold", "Liabilities:bob", "BTC", 700),
            transfer("Assets:Reserve:Cold", "Liabilities:bob", "USD", 300),
        ])
    cut = now_as_of()  # a cut-off in the future is refused
    r = CliRunner().invoke(cli, ["tree", "build", "--db", str(tmp_path / "ledger.db"), "--definition", "customer-liabilities", "--as-of", cut, "--epoch", "e1", "--key", str(built / "bank.key"), "--out", str(tmp_path / "t")])
    assert r.exit_code == 0, r.output
    com = canonical.loads((tmp_path / "t" / "commitment.json").read_bytes())
    assert com["root"]["sums"] == ["2200", "300"]
    assert com["ledger_digest"]["entry_count"] == 3
    assert com["balance_definition"]["name"] == "customer-liabilities"


def test_corrupt_node_store_is_refused(built, tmp_path):
    import shutil

    shutil.copytree(built / "t", tmp_path / "t")
    nodes = tmp_path / "t" / "private" / "nodes.bin"
    index = canonical.loads((built / "alice.json").read_bytes())["leaves"][0]["index"]
    record = 32 + 16 * 2
    data = bytearray(nodes.read_bytes())
    data[(index ^ 1) * record + 47] ^= 1  # the lowest BTC sum byte of alice's level-0 sibling
    nodes.write_bytes(bytes(data))
    r = CliRunner().invoke(cli, ["tree", "proof", "--dir", str(tmp_path / "t"), "--user", "alice"])
    assert r.exit_code == 1 and "does not verify" in r.output
    data = bytearray((built / "t" / "private" / "nodes.bin").read_bytes())
    data[-1] ^= 1  # the root record
    nodes.write_bytes(bytes(data))
    r = CliRunner().invoke(cli, ["tree", "proof", "--dir", str(tmp_path / "t"), "--user", "alice"])
    assert r.exit_code == 1 and "root does not match" in r.output
