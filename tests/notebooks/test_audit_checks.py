"""solvency.auditor.checks: the audit table passes on an honest publication, and every kind of
tampering (leaf export, proof export, public files, ledger, definition, key) turns the row of the
check that covers it into FAIL with the verifier's reason code."""

from __future__ import annotations

import pytest

from solvency.auditor.assets_checks import solvency_margin
from solvency.auditor.checks import (
    CHECKS,
    FAIL,
    PASS,
    SKIPPED,
    UNDECIDED,
    Audit,
    AuditMismatch,
    assert_passed,
    audit_epoch,
    run_check,
)
from solvency.auditor.publication import list_epochs, locate_epoch, read_public
from solvency.auditor.publication_checks import sample_lines
from verifier import canonical
from verifier.assets.artifact import Price, Totals
from verifier.assets.rules import CATEGORY_NAMES
from verifier.assets.statement import solvency_statement
from verifier.errors import CannotVerify
from verifier.full_tree import LEAVES_MAGIC

LEDGER_CHECKS = {"balance definition is the ledger's", "ledger digest at the cut-off", "liabilities total = ledger",
                 "leaf values = ledger balances"}


def statuses(table) -> dict[str, tuple[str, str]]:
    return {row.check: (row.status, row.reason) for row in table.itertuples()}


def audit(pub, epoch=None, **options):
    options.setdefault("ledger", str(pub.ledger))
    return audit_epoch(pub.pubdir, pub.public_key, epoch, **options)


@pytest.mark.parametrize("epoch", ["2026-11", "2026-12"])
def test_every_check_passes_on_an_honest_publication(publication, epoch):
    table, caveats = audit(publication, epoch, sample=8, seed=3)
    assert list(table.columns) == ["check", "status", "reason", "detail"]
    assert list(table["check"]) == [name for name, _ in CHECKS]
    assert set(table["status"]) == {PASS}, table.to_string()
    assert_passed(table)
    assert any("operator's word" in c for c in caveats)
    assert f"epoch {epoch}" in table.loc[0, "detail"]


def test_the_latest_epoch_is_the_default(publication):
    assert [p.name for p in list_epochs(publication.pubdir)] == ["2026-11", "2026-12"]
    assert locate_epoch(publication.pubdir).name == "2026-12"
    with pytest.raises(FileNotFoundError, match="2026-10"):
        locate_epoch(publication.pubdir, "2026-10")


def test_the_sample_is_deterministic_and_seeded(publication):
    first, _ = audit(publication, sample=5, seed=11)
    again, _ = audit(publication, sample=5, seed=11)
    other, _ = audit(publication, sample=5, seed=12)
    detail = lambda t: t.set_index("check").loc["sampled user proofs", "detail"]  # noqa: E731
    assert detail(first) == detail(again)
    assert detail(first) != detail(other)
    assert first.equals(again)


def test_sample_lines_takes_every_line_when_asked_for_more(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"".join(b'{"n":%d}\n' % i for i in range(7)))
    assert [n for n, _ in sample_lines(path, 100, 0)] == list(range(1, 8))
    picked = sample_lines(path, 3, 5)
    assert len(picked) == 3 and all(data == b'{"n":%d}' % (n - 1) for n, data in picked)


def test_without_a_ledger_the_ledger_checks_are_skipped_not_passed(publication):
    table, _ = audit_epoch(publication.pubdir, publication.public_key)
    rows = statuses(table)
    assert {name for name, (status, _) in rows.items() if status == SKIPPED} == LEDGER_CHECKS
    assert all(status == PASS for name, (status, _) in rows.items() if name not in LEDGER_CHECKS)
    with pytest.raises(AssertionError, match="ledger digest at the cut-off: SKIPPED"):
        assert_passed(table)
    assert_passed(table, allow_skipped=True)


def _leaf_records(path):
    data = bytearray(path.read_bytes())
    head = len(LEAVES_MAGIC) + 2
    m = data[len(LEAVES_MAGIC)]
    return data, head, 32 + 8 * m


def test_a_changed_leaf_value_fails_the_tree_audit_and_the_ledger_match(publication, tmp_path):
    pub = publication.copy(tmp_path / "c")
    leaves = pub.pubdir / "2026-12" / "private" / "leaves.bin"
    data, head, size = _leaf_records(leaves)
    data[head + 32 + 7] ^= 0x01  # the lowest byte of the first asset's value of leaf 0
    leaves.write_bytes(bytes(data))
    rows = statuses(audit(pub, sample=2)[0])
    assert rows["full-tree audit from the leaf export"] == (FAIL, "ROOT_HASH_MISMATCH")
    assert rows["leaf values = ledger balances"] == (FAIL, "LEAF_VALUES_MISMATCH")
    assert rows["liabilities total = ledger"] == (PASS, "")  # the ledger and the commitment still agree
    with pytest.raises(AssertionError, match="ROOT_HASH_MISMATCH"):
        assert_passed(audit(pub, sample=2)[0])


def _swap_leaves(pub, a, b):
    leaves = pub.pubdir / "2026-12" / "private" / "leaves.bin"
    data, head, size = _leaf_records(leaves)
    first, second = bytes(data[head + a * size:head + (a + 1) * size]), bytes(data[head + b * size:head + (b + 1) * size])
    assert first[32:] != second[32:]  # the two leaves carry different values
    data[head + a * size:head + (a + 1) * size], data[head + b * size:head + (b + 1) * size] = second, first
    leaves.write_bytes(bytes(data))


def _user_parts(pub):
    from solvency.tree.store import TreeStore

    with TreeStore(pub.pubdir / "2026-12" / "private" / "tree") as store:
        return list(store.user_positions()), [v for _, _, v in store.leaf_layer()]


def test_swapped_parts_of_one_user_fail_the_tree_audit_only(publication, tmp_path):
    pub = publication.copy(tmp_path / "c")
    rows_of_parts, values = _user_parts(pub)
    a, b = next((a, b) for a, b in rows_of_parts if values[a] != values[b])  # split 2: two parts per user
    _swap_leaves(pub, a, b)
    rows = statuses(audit(pub, sample=2)[0])
    assert rows["full-tree audit from the leaf export"] == (FAIL, "ROOT_HASH_MISMATCH")
    assert rows["leaf values = ledger balances"] == (PASS, "")  # the user's parts still add up to the ledger


def test_swapped_leaves_of_two_users_fail_the_ledger_match_too(publication, tmp_path):
    pub = publication.copy(tmp_path / "c")
    rows_of_parts, values = _user_parts(pub)
    (a, _), (b, _) = next((r, q) for r in rows_of_parts for q in rows_of_parts
                          if values[r[0]] != values[q[0]] and values[r[1]] != values[q[1]])
    _swap_leaves(pub, a, b)
    rows = statuses(audit(pub, sample=2)[0])
    assert rows["full-tree audit from the leaf export"] == (FAIL, "ROOT_HASH_MISMATCH")
    assert rows["leaf values = ledger balances"] == (FAIL, "LEAF_VALUES_MISMATCH")


def test_a_parquet_leaf_export_given_separately_is_audited(publication, tmp_path):
    from solvency.tree.export import write_leaves_parquet
    from solvency.tree.store import TreeStore

    export = tmp_path / "leaves.parquet"
    with TreeStore(locate_epoch(publication.pubdir).tree) as store, open(export, "wb") as handle:
        write_leaves_parquet(store, handle)
    table, _ = audit(publication, leaves=export, sample=1)
    row = table.set_index("check").loc["full-tree audit from the leaf export"]
    assert row["status"] == PASS and "from leaves.parquet" in row["detail"]
    assert statuses(table)["leaf values = ledger balances"] == (PASS, "")


def test_a_truncated_leaf_export_fails(publication, tmp_path):
    pub = publication.copy(tmp_path / "c")
    leaves = pub.pubdir / "2026-12" / "private" / "leaves.bin"
    leaves.write_bytes(leaves.read_bytes()[:-1])
    rows = statuses(audit(pub, sample=2)[0])
    assert rows["full-tree audit from the leaf export"] == (FAIL, "LEAF_COUNT")


def test_a_tampered_proof_fails_the_proof_sample(publication, tmp_path):
    pub = publication.copy(tmp_path / "c")
    proofs = pub.pubdir / "2026-12" / "private" / "proofs.jsonl"
    lines = proofs.read_bytes().splitlines()
    bundle = canonical.loads(lines[-1])
    leaf = bundle["proof"]["leaves"][0]
    j = next(j for j, v in enumerate(leaf["balances"]) if v != "0")
    leaf["balances"][j] = str(int(leaf["balances"][j]) + 1)
    bundle["proof"]["balances"][j] = str(int(bundle["proof"]["balances"][j]) + 1)
    lines[-1] = canonical.dumps(bundle)
    proofs.write_bytes(b"".join(line + b"\n" for line in lines))
    rows = statuses(audit(pub, sample=len(lines))[0])
    status, reason = rows["sampled user proofs"]
    assert (status, reason) == (FAIL, "ROOT_HASH_MISMATCH")
    detail = audit(pub, sample=len(lines))[0].set_index("check").loc["sampled user proofs", "detail"]
    assert f"line {len(lines)}" in detail


def test_a_bundle_for_another_log_head_is_refused(publication, tmp_path):
    pub = publication.copy(tmp_path / "c")
    proofs = pub.pubdir / "2026-12" / "private" / "proofs.jsonl"
    first = canonical.loads(proofs.read_bytes().splitlines()[0])
    # A validly signed log head, but epoch 1's: the bundle no longer belongs to this epoch's head.
    first["log_head"] = canonical.loads((pub.pubdir / "2026-11" / "public" / "log-head.json").read_bytes())
    proofs.write_bytes(canonical.dumps(first) + b"\n")
    rows = statuses(audit(pub, sample=1)[0])
    assert rows["sampled user proofs"][0] == FAIL


def test_proofs_come_from_the_tree_when_there_is_no_export(publication, tmp_path):
    pub = publication.copy(tmp_path / "c")
    (pub.pubdir / "2026-12" / "private" / "proofs.jsonl").unlink()
    table, _ = audit(pub, sample=4, seed=1)
    row = table.set_index("check").loc["sampled user proofs"]
    assert row["status"] == PASS and "from the tree" in row["detail"]


def test_a_log_database_behind_the_signed_head_fails(publication, tmp_path):
    import shutil

    pub = publication.copy(tmp_path / "c")
    shutil.copyfile(pub.pubdir / "2026-11" / "private" / "log.db", pub.pubdir / "2026-12" / "private" / "log.db")
    rows = statuses(audit(pub, sample=1)[0])
    assert rows["bank's log database = signed log head"] == (FAIL, "LOG_STORE_MISMATCH")
    assert rows["history: hash chain and log consistency"] == (PASS, "")
    assert statuses(audit(pub, "2026-11", sample=1)[0])["bank's log database = signed log head"] == (PASS, "")


def test_a_rewritten_public_file_fails_its_bindings(publication, tmp_path):
    pub = publication.copy(tmp_path / "c")
    assets = pub.pubdir / "2026-12" / "public" / "assets.json"
    doc = canonical.loads(assets.read_bytes())
    doc["totals"]["cold_storage"] += 1
    assets.write_bytes(canonical.dump_file_bytes(doc))
    rows = statuses(audit(pub, sample=2)[0])
    assert rows["epoch and log head signed, files bound, log inclusion"] == (FAIL, "BINDING_MISMATCH")
    assert rows["history: hash chain and log consistency"] == (FAIL, "BINDING_MISMATCH")
    assert rows["asset attestation"] == (FAIL, "BAD_SIGNATURE")
    assert rows["full-tree audit from the leaf export"] == (PASS, "")


def test_a_non_canonical_public_file_is_a_failure(publication, tmp_path):
    pub = publication.copy(tmp_path / "c")
    commitment = pub.pubdir / "2026-12" / "public" / "commitment.json"
    commitment.write_bytes(b" " + commitment.read_bytes())
    rows = statuses(audit(pub, sample=2)[0])
    assert rows["commitment signed by the bank key"] == (FAIL, "NON_CANONICAL_ENCODING")
    assert rows["full-tree audit from the leaf export"][0] == FAIL


def test_another_key_fails_every_signature(publication, tmp_path):
    from solvency.keys import generate_key

    generate_key(tmp_path / "other.key")
    table, _ = audit_epoch(publication.pubdir, tmp_path / "other.key.pub", ledger=str(publication.ledger), sample=2)
    rows = statuses(table)
    assert rows["commitment signed by the bank key"] == (FAIL, "WRONG_KEY")
    assert rows["full-tree audit from the leaf export"] == (FAIL, "WRONG_KEY")
    assert rows["asset attestation"] == (FAIL, "WRONG_KEY")


def test_another_ledger_fails_the_reconciliation(publication, tmp_path):
    from ledger.sqlite.store import SQLiteStore
    from solvency.demo.bank import post_bank_day

    other = tmp_path / "other.db"
    with SQLiteStore(str(other), create=True) as store:
        post_bank_day(store, users=12, seed=99)
    rows = statuses(audit_epoch(publication.pubdir, publication.public_key, ledger=str(other), sample=2)[0])
    assert rows["balance definition is the ledger's"] == (PASS, "")
    assert rows["ledger digest at the cut-off"] == (FAIL, "LEDGER_DIGEST_MISMATCH")
    assert rows["liabilities total = ledger"] == (FAIL, "LIABILITIES_MISMATCH")
    assert rows["leaf values = ledger balances"] == (FAIL, "LEAF_VALUES_MISMATCH")


def test_a_changed_definition_fails_the_definition_check(publication, tmp_path):
    from importlib import resources

    text = resources.files("ledger.definitions").joinpath("galoy.toml").read_text()
    changed = text.replace('exclude = [{ role = "any" }]', 'exclude = [{ role = "bankowner" }, { role = "dealer" }]', 1)
    assert changed != text
    path = tmp_path / "defs.toml"
    path.write_text(changed)
    rows = statuses(audit(publication, sample=2, definitions=str(path))[0])
    assert rows["balance definition is the ledger's"] == (FAIL, "DEFINITION_MISMATCH")
    assert rows["liabilities total = ledger"] == (FAIL, "DEFINITION_MISMATCH")


def test_missing_private_exports_are_skipped(publication, tmp_path):
    pub = publication.copy(tmp_path / "c")
    import shutil

    shutil.rmtree(pub.pubdir / "2026-12" / "private")
    rows = statuses(audit(pub, sample=2)[0])
    assert rows["full-tree audit from the leaf export"] == (SKIPPED, "")
    assert rows["bank's log database = signed log head"] == (SKIPPED, "")
    assert rows["sampled user proofs"] == (SKIPPED, "")
    assert rows["leaf values = ledger balances"] == (SKIPPED, "")
    assert rows["liabilities total = ledger"] == (PASS, "")


def test_an_unexpected_error_is_undecided_never_pass(publication):
    def broken(_audit):
        raise ZeroDivisionError("boom")

    def undecidable(_audit):
        raise CannotVerify("no idea", reason="UNSUPPORTED_FEATURE")

    def mismatch(_audit):
        raise AuditMismatch("m", reason="R")

    def row(check, a):
        result = run_check("x", check, a)
        return result.status, result.reason

    with Audit(publication.pubdir, publication.public_key) as a:
        assert row(broken, a) == (UNDECIDED, "INTERNAL_ERROR")
        assert row(undecidable, a) == (UNDECIDED, "UNSUPPORTED_FEATURE")
        assert row(mismatch, a) == (FAIL, "R")


def _statement(btc_assets: int, btc_liabilities: int, usd_cents: int, price: int | None):
    totals = Totals(**dict.fromkeys(CATEGORY_NAMES, 0) | {"cold_storage": btc_assets})
    declared = None if price is None else Price.parse({"usd_cents_per_btc": price, "source": "test", "time": "2026-11-20T00:00:00Z"})
    return solvency_statement(totals, ("BTC", "USD"), (btc_liabilities, usd_cents), declared)


def test_solvency_margin_counts_usd_at_the_declared_price():
    price = 10_000_000  # 100,000 USD per BTC: 1 USD = 1000 sat
    assert solvency_margin(_statement(2_000, 1_000, 100, price))[0] is True  # 2000 >= 1000 + 1000
    assert solvency_margin(_statement(1_999, 1_000, 100, price))[0] is False
    assert solvency_margin(_statement(1_001, 1_000, 1, price))[0] is False  # 1 cent is rounded up to 10 sat
    # Without a price, USD liabilities are not covered by any declared USD asset.
    assert solvency_margin(_statement(10**9, 0, 1, None))[0] is False
    assert solvency_margin(_statement(10**9, 10**9, 0, None))[0] is True


def test_read_public_parses_every_file(publication):
    files = read_public(locate_epoch(publication.pubdir, "2026-11"))
    assert files.epoch.sequence == 0 and files.log_head.log_size == 1
    assert files.assets.commitment.epoch == files.commitment.epoch == "2026-11"


def test_a_trusted_head_from_an_earlier_audit_is_checked(publication, tmp_path):
    seen = publication.pubdir / "2026-11" / "public" / "log-head.json"
    table, _ = audit(publication, trusted_heads=(seen,), sample=1)
    row = table.set_index("check").loc["history: hash chain and log consistency"]
    assert row["status"] == PASS and "1 trusted head(s) match" in row["detail"]
    # A user saved the head of epoch 2; the bank later publishes a history without it.
    import shutil

    head = canonical.loads((publication.pubdir / "2026-12" / "public" / "log-head.json").read_bytes())
    pub = publication.copy(tmp_path / "c")
    shutil.rmtree(pub.pubdir / "2026-12")
    saved = tmp_path / "saved-head.json"
    saved.write_bytes(canonical.dump_file_bytes(head))
    table, _ = audit(pub, "2026-11", trusted_heads=(saved,), sample=1)
    assert statuses(table)["history: hash chain and log consistency"] == (FAIL, "LOG_FORKED")
