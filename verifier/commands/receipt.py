"""`solvency-verify receipt RECEIPT.json --key BANK_PUBKEY [--commitment C] [--proof P]`."""

from __future__ import annotations

import click

from verifier.amounts import format_amount, format_amounts
from verifier.cli import Report, read_input, run_verification


@click.command()
@click.argument("receipt_path", metavar="RECEIPT.json", type=click.Path(dir_okay=False))
@click.option("--key", "key", required=True, help="The bank's pinned public key (.pub file or 64 hex).")
@click.option("--commitment", "commitment_path", type=click.Path(dir_okay=False), help="The epoch's commitment.json.")
@click.option("--proof", "proof_path", type=click.Path(dir_okay=False),
              help="Your proof.json or proof bundle: it must verify and show the receipted balances.")
@click.option("--json", "json_output", is_flag=True, help="Print one machine-readable JSON result.")
@click.option("--debug", is_flag=True, help="Print a traceback on failure.")
def receipt(receipt_path: str, key: str, commitment_path: str | None, proof_path: str | None, json_output: bool, debug: bool) -> None:
    """Check a signed balance receipt from the bank (your evidence if your proof ever fails)."""

    def check() -> Report:
        from verifier import canonical
        from verifier.commands.proof import verify_proof_or_bundle
        from verifier.receipt import verify_receipt
        from verifier.signature import load_public_key

        pinned = load_public_key(key)
        doc = canonical.loads(read_input(receipt_path, "receipt"))
        commitment = canonical.loads(read_input(commitment_path, "commitment")) if commitment_path else None
        facts = verify_proof_or_bundle(read_input(proof_path, "proof"), pinned)[0] if proof_path else None
        r = verify_receipt(doc, pinned, commitment=commitment, proof_facts=facts)
        checked = [f"signed by the pinned bank key: user {r.user_id!r} held "
                   + format_amounts(zip(r.assets, r.balances)) + f" at epoch {r.epoch!r}"]
        if commitment is not None:
            checked.append("the receipt names this commitment")
        if facts is not None:
            checked.append("your proof verifies and shows exactly the receipted balances")
        return Report(checked=tuple(checked), facts={
            "epoch": r.epoch, "user_id": r.user_id, "assets": list(r.assets),
            "balances": [str(b) for b in r.balances],
            "balances_display": [format_amount(a, b) for a, b in zip(r.assets, r.balances)], "liabilities_commitment": r.liabilities_commitment.hex(),
        })

    run_verification(check, json_output=json_output, debug=debug, what="the balance receipt")
