"""`solvency-verify history PUBDIR --key BANK_PUBKEY`: check a bank's whole publication history."""

from __future__ import annotations

import click

from verifier.cli import Report, run_verification
from verifier.schema import JSON
from verifier.signature import PublicKey


def log_head_of(doc: JSON, pinned: PublicKey) -> JSON:
    """The log head a user kept: a log-head.json itself, or the `log_head` of a proof bundle (SPEC 13).

    A bundle is verified in full first: a kept bundle that no longer verifies is reported (with the
    bundle's reason), never silently reduced to the part of it that still does.
    """
    from verifier.bundle import is_bundle, parse_bundle, verify_bundle

    if not is_bundle(doc):
        return doc
    verify_bundle(doc, pinned)
    return parse_bundle(doc)["log_head"]


@click.command()
@click.argument("pubdir", type=click.Path(file_okay=False))
@click.option("--key", "key", required=True, help="The bank's pinned public key (.pub file or 64 hex).")
@click.option(
    "--trusted-head",
    "trusted_heads",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="A log-head.json you saved earlier (or the proof bundle it came in); the history must still contain it (repeatable).",
)
@click.option("--strict-definitions", is_flag=True,
              help="Fail (DEFINITION_CHANGED) if the balance definition changes between epochs, instead of reporting it.")
@click.option("--json", "json_output", is_flag=True, help="Print one machine-readable JSON result.")
@click.option("--debug", is_flag=True, help="Print a traceback on failure.")
def history(pubdir: str, key: str, trusted_heads: tuple[str, ...], strict_definitions: bool, json_output: bool,
            debug: bool) -> None:
    """Check every epoch's signatures, the previous-hash chain and every log consistency proof.

    A bank that rewrote or forked its published history fails this check. Every change of the
    balance definition between epochs is reported as a finding (DEFINITION_CHANGED).
    """

    def check() -> Report:
        from pathlib import Path

        from verifier.history import read_artifact, verify_history
        from verifier.signature import load_public_key

        pinned = load_public_key(key)
        heads = tuple(log_head_of(read_artifact(Path(p)), pinned) for p in trusted_heads)
        facts = verify_history(pubdir, pinned, heads, strict_definitions=strict_definitions)
        n = len(facts["epochs"])
        findings = tuple(f"FINDING {c['code']}: from epoch {c['from_epoch']} to {c['to_epoch']} the balance definition "
                         f"changed: {'; '.join(c['changes'])}" for c in facts["definition_changes"])
        return Report(
            checked=(
                f"{n} epoch(s) signed by the pinned bank key: {', '.join(facts['epochs'])}",
                "each epoch binds the liabilities commitment (and asset attestation) published beside it",
                "each epoch links to the hash of the one before it",
                f"each log head includes its epoch and is consistent with the previous head (log size {facts['log_size']})",
            )
            + ((f"{len(heads)} previously seen log head(s) are still part of this history",) if heads else ())
            + ("each epoch's cut-off equals its commitment's and comes after the previous epoch's",
               "each epoch's solvency statement is recomputed from its assets.json and commitment",
               "each published definition.json is the balance definition its commitment names by hash")
            + (findings or ("the balance definition is the same in every epoch",))
            + ((_anchors_line(facts["anchors"]),) if facts["anchors"] else ()),
            facts=facts,
            caveats=tuple(f"the balance definition changed between {c['from_epoch']} and {c['to_epoch']}: the "
                          "liabilities of these epochs are not the same selection of accounts"
                          for c in facts["definition_changes"]),
        )

    run_verification(check, json_output=json_output, debug=debug, what=f"the publication history in {pubdir}")


def _anchors_line(anchors: list[dict[str, object]]) -> str:
    blocks = ", ".join(f"{a['epoch']}: {a['height']}" for a in anchors)
    return f"anchor blocks strictly increase from epoch to epoch, so no snapshot serves two epochs ({blocks})"
