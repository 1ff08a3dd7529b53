"""`solvency-verify tree`: the auditor's full-tree recomputation (docs/SPEC.md sections 7 and 9)."""

from __future__ import annotations

import click

from verifier.amounts import format_amounts
from verifier.cli import Report, read_input, run_verification


@click.command()
@click.argument("leaves", metavar="LEAVES.bin|LEAVES.parquet|DIR", type=click.Path(exists=False))
@click.option("--commitment", "commitment_file", required=True, type=click.Path(dir_okay=False), help="The published commitment.json.")
@click.option("--key", "key", required=True, help="The bank's pinned public key (.pub file or 64 hex characters).")
@click.option("--epoch", "epoch", help="The epoch you expect.")
@click.option("--json", "json_output", is_flag=True, help="Print one machine-readable JSON result.")
@click.option("--debug", is_flag=True, help="Print a traceback on failure.")
def tree(leaves: str, commitment_file: str, key: str, epoch: str | None, json_output: bool, debug: bool) -> None:
    """Recompute every node of the tree from its leaf layer and compare with the commitment."""

    def check() -> Report:
        from verifier import canonical
        from verifier.commitment import Commitment
        from verifier.errors import InvalidCommitment, InvalidTree, rebrand
        from verifier.full_tree import load_leaf_layer, verify_tree
        from verifier.signature import load_public_key

        pinned = load_public_key(key)
        doc = canonical.loads(read_input(commitment_file, "commitment"))
        try:
            com = Commitment.parse(doc)
        except InvalidCommitment as exc:
            raise rebrand(exc, InvalidTree, "commitment: ") from None
        layer = load_leaf_layer(leaves, com)
        facts = verify_tree(layer, com, pinned, expected_epoch=epoch,
                            already_passed=("canonical JSON encoding of the commitment (SPEC 2.2)",))
        return Report(
            checked=(*facts.checked,
                     f"liabilities (root sums): {format_amounts(zip(com.assets, facts.root_sums))}",
                     f"largest single leaf: {format_amounts(zip(com.assets, facts.max_leaf))}"),
            facts={
                "epoch": facts.epoch,
                "leaf_count": facts.leaf_count,
                "zero_leaves": facts.zero_leaves,
                "root_hash": facts.root_hash,
                "root_sums": {a: str(s) for a, s in zip(com.assets, facts.root_sums)},
                "max_leaf": {a: str(s) for a, s in zip(com.assets, facts.max_leaf)},
            },
            caveats=(
                "zero leaves include padding and zero-balance users; they are indistinguishable by design",
                "the audit proves the sums are consistent, not that every user is included: that needs user proofs",
            ),
        )

    run_verification(check, json_output=json_output, debug=debug, what="the liabilities tree")
