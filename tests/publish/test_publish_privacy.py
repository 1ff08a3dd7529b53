"""`solvency publish` splits and pads by default and the commitment says so (SPEC 1, 3.6, 4);
`--split`, `--min-leaves` and `--exclude-negative` reach the tree through both entry points."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from publish_helpers import make_ledger, make_snapshot, now_as_of

from ledger.sqlite.store import SQLiteStore
from solvency.cli.main import cli
from solvency.keys import generate_key
from solvency.publish.pipeline import load_prepared, prepare
from solvency.tree.build import DEFAULT_MIN_LEAVES, DEFAULT_SPLIT
from solvency.tree.store import TreeStore
from verifier.commitment import Privacy


def test_publication_defaults_split_and_pad_and_the_commitment_states_them(tmp_path):
    key = generate_key(tmp_path / "bank.key")
    ledger = make_ledger(tmp_path / "ledger.db", users=20)
    prepared = prepare(tmp_path / "pub", db=str(ledger), definition="customer-liabilities", as_of=now_as_of(), epoch="e1",
                       snapshots=make_snapshot(tmp_path / "snap"), private_key=key)
    com = prepared.commitment
    assert com.privacy == Privacy(DEFAULT_SPLIT, DEFAULT_MIN_LEAVES) == Privacy(2, 1024)
    assert com.leaf_count == 1024  # 20 users, 40 parts: the leaf count does not tell the user count
    with TreeStore(prepared.directory / "tree") as store:
        proof = store.proof(next(store.user_ids()))
    assert len(proof.leaves) == 2


def test_the_cli_options_reach_the_commitment(tmp_path):
    key = tmp_path / "bank.key"
    generate_key(key)
    ledger = make_ledger(tmp_path / "ledger.db", users=20)
    r = CliRunner().invoke(cli, ["publish", "prepare", "--db", str(ledger), "--as-of", now_as_of(), "--epoch", "e1",
                                 "--snapshots", str(make_snapshot(tmp_path / "snap")), "--key", str(key), "--out", str(tmp_path / "pub"),
                                 "--split", "3", "--min-leaves", "100"])
    assert r.exit_code == 0, r.output
    com = load_prepared(tmp_path / "pub", "e1").commitment
    assert com.privacy == Privacy(3, 100) and com.leaf_count == 128
    r = CliRunner().invoke(cli, ["publish", "prepare", "--db", str(ledger), "--as-of", now_as_of(), "--epoch", "e2",
                                 "--snapshots", str(tmp_path / "snap"), "--key", str(key), "--out", str(tmp_path / "pub"), "--split", "0"])
    assert r.exit_code == 2 and "--split" in r.output


def test_exclude_negative_keeps_the_positive_balances_in_a_publication(tmp_path):
    """SPEC 3.1 through `solvency publish`: a wallet holding BTC is pushed to USD -500. Without the
    flag the negative balance is refused; with it the -500 is committed as 0 and listed in
    negatives.csv, and the root sums still hold every positive balance, that wallet's BTC too."""
    from ledger.entries import transfer
    from solvency.demo.bank import DEALER_USD
    from solvency.publish.epochs import PublishError
    from solvency.tree.ledger_cut import choose_definition

    key = generate_key(tmp_path / "bank.key")
    ledger = make_ledger(tmp_path / "ledger.db", users=20)
    definition = choose_definition("customer-liabilities")
    with SQLiteStore(str(ledger)) as store:
        rows = list(store.user_balances(definition, now_as_of()))
        wallet = next(user for user, code, amount in rows if code == "BTC" and amount > 0)
        store.post(transfer(f"Liabilities:{wallet}", DEALER_USD, "USD", 500, "overdraft in another currency"))
    as_of = now_as_of()
    with SQLiteStore(str(ledger)) as store:
        rows = list(store.user_balances(definition, as_of))
    assert (wallet, "USD", -500) in rows
    positive = tuple(sum(a for _, code, a in rows if code == c and a > 0) for c in ("BTC", "USD"))
    kwargs = dict(db=str(ledger), definition="customer-liabilities", as_of=as_of, snapshots=make_snapshot(tmp_path / "snap"),
                  private_key=key)
    with pytest.raises(PublishError, match="negative"):
        prepare(tmp_path / "refused", epoch="e0", **kwargs)
    prepared = prepare(tmp_path / "pub", epoch="e1", exclude_negative=True, **kwargs)
    assert prepared.commitment.root_sums == positive
    report = (prepared.directory / "tree" / "private" / "negatives.csv").read_text().splitlines()
    assert report == ["user_id,currency,amount", f"{wallet},USD,-500"]
    with TreeStore(prepared.directory / "tree") as store:
        assert store.proof(wallet).balances[0] == next(a for u, c, a in rows if u == wallet and c == "BTC")
