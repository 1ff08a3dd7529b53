"""`solvency-verify assets`: check the bank's asset attestation (docs/SPEC.md sections 8.8, 9)."""

from __future__ import annotations

import click

from verifier.amounts import format_amount
from verifier.cli import Report, read_input, run_verification

NETWORKS = ("mainnet", "testnet", "testnet4", "signet", "regtest")


def _block_hashes(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    from verifier.assets.anchor import parse_block_hash

    try:
        return tuple(parse_block_hash(v) for v in values)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _block_hashes_file(ctx: click.Context, param: click.Parameter, path: str | None) -> tuple[tuple[int, str], ...]:
    from verifier.assets.anchor import parse_block_hashes

    if path is None:
        return ()
    try:
        with open(path, encoding="utf-8") as handle:
            return parse_block_hashes(handle.read())
    except (OSError, ValueError) as exc:
        raise click.BadParameter(f"{path}: {exc}") from None


def statement_lines(statement: object) -> tuple[str, ...]:
    """The recomputed solvency statement in words, every amount with its unit (SPEC 8.7, 9)."""
    if not isinstance(statement, dict) or not isinstance(statement.get("per_asset"), list):
        return ()
    try:
        lines = [f"{r['asset']}: reserves {format_amount(r['asset'], int(r['assets']))}, owed to customers "
                 f"{format_amount(r['asset'], int(r['liabilities']))}, margin {format_amount(r['asset'], int(r['margin']))}"
                 for r in statement["per_asset"]]
        combined, price = statement.get("combined_at_declared_price"), statement.get("price")
        if isinstance(combined, dict) and isinstance(price, dict):
            lines.append(f"all assets at the declared price of {format_amount('USD', int(price['usd_cents_per_btc']))} per BTC: "
                         f"margin {format_amount('BTC', int(combined['margin_sat']))} "
                         f"({format_amount('USD', int(combined['margin_usd_cents']))})")
    except (KeyError, TypeError, ValueError):
        return ()  # another statement shape: the facts still carry it in full
    return tuple(lines)


@click.command()
@click.argument("assets_file", metavar="ASSETS.json", type=click.Path(dir_okay=False))
@click.option("--key", "key", required=True, help="The bank's public key you pinned: a .pub file or 64 hex characters.")
@click.option("--commitment", "commitment_file", type=click.Path(dir_okay=False), help="The liabilities commitment.json the bank published for this epoch.")
@click.option("--utxos", "utxos_file", type=click.Path(dir_okay=False), help="UTXO data from YOUR node: a scantxoutset result, or {getblockheader, gettxout} (SPEC 8.9).")
@click.option("--epoch", "epoch", help="The epoch you expect (refuses a replayed older attestation).")
@click.option("--network", type=click.Choice(NETWORKS), default="mainnet", show_default=True,
              help="The network the coins must be on; anything else is refused (WRONG_NETWORK).")
@click.option("--block-hash", "block_hashes", multiple=True, callback=_block_hashes, metavar="HEIGHT:HASH",
              help="A block from your own node or an explorer; the anchor block (or its parent) must match it. Repeatable.")
@click.option("--block-hashes", "block_hashes_file", type=click.Path(dir_okay=False), callback=_block_hashes_file,
              help="A file of HEIGHT:HASH lines (as --block-hash; '#' starts a comment line).")
@click.option("--json", "json_output", is_flag=True, help="Print one machine-readable JSON result.")
@click.option("--debug", is_flag=True, help="Print a traceback on failure.")
def assets(assets_file: str, key: str, commitment_file: str | None, utxos_file: str | None, epoch: str | None, network: str,
           block_hashes: tuple[tuple[int, str], ...], block_hashes_file: tuple[tuple[int, str], ...], json_output: bool, debug: bool) -> None:
    """Verify the asset attestation ASSETS.json: signatures, proofs of control, totals, statement."""

    def check() -> Report:
        from verifier import canonical
        from verifier.assets.attestation import verify_attestation
        from verifier.assets.utxos import load_utxo_audit
        from verifier.signature import load_public_key

        pinned = load_public_key(key)
        doc = canonical.loads(read_input(assets_file, "attestation"))
        commitment = canonical.loads(read_input(commitment_file, "commitment")) if commitment_file else None
        audit = load_utxo_audit(read_input(utxos_file, "UTXO data")) if utxos_file else None
        known = block_hashes + block_hashes_file
        result = verify_attestation(doc, pinned, commitment=commitment, expected_epoch=epoch, utxo_audit=audit,
                                    expected_network=network, known_blocks=known)
        caveats = list(result.caveats)
        if epoch is None:
            caveats.append("no --epoch given: check that this is the current epoch, not an old one")
        shown = statement_lines(result.facts.get("statement"))
        return Report(checked=(*result.checked, *shown), facts={**result.facts, "statement_display": list(shown)},
                      caveats=tuple(caveats))

    run_verification(check, json_output=json_output, debug=debug, what="the asset attestation")

