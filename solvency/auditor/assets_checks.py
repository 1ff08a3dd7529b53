"""The checks of an epoch's assets: the signed attestation (SPEC 8.8, by the verifier), the
solvency statement recomputed from the attested totals and the *committed* root sums (equal in
``assets.json`` and ``epoch.json``), and whether assets cover liabilities.
"""

from __future__ import annotations

from solvency.auditor.context import Audit, AuditMismatch, Skip
from verifier.assets.artifact import Statement
from verifier.assets.attestation import verify_attestation
from verifier.assets.statement import attestation_totals, solvency_statement


def check_attestation(audit: Audit) -> str:
    attestation = audit.public.assets
    if attestation is None:
        raise Skip("the epoch binds no asset attestation")
    result = verify_attestation(attestation, audit.key, commitment=audit.public.commitment, expected_epoch=audit.epoch)
    audit.caveats.extend(result.caveats)
    facts = result.facts
    return (f"{len(result.checked)} checks passed: bank and node signatures, {facts['proofs_verified']} proof(s) of control, "
            f"escrow, totals; anchor block {facts['anchor_height']}; counted BTC assets {facts['btc_assets_sat']} sat")


def check_statement(audit: Audit) -> str:
    public = audit.public
    attested, committed = public.assets, public.commitment
    if attested is None:
        raise Skip("the epoch binds no asset attestation")
    recomputed = solvency_statement(attestation_totals(attested), committed.assets, committed.root_sums, attested.statement.price)
    if recomputed != attested.statement:
        raise AuditMismatch("assets.json's statement does not follow from its totals and the committed root sums",
                            reason="STATEMENT_MISMATCH")
    if public.epoch.solvency != recomputed.to_json():
        raise AuditMismatch("epoch.json's solvency statement differs from the recomputed one", reason="STATEMENT_MISMATCH")
    return "recomputed from the attested totals and the committed root sums; equal in assets.json and epoch.json"


def solvency_margin(statement: Statement) -> tuple[bool, str]:
    """(solvent, explanation) from a solvency statement: at the declared price when there is one,
    else every asset's own margin must be >= 0 (assets are never netted across assets)."""
    btc, combined = statement.row("BTC"), statement.combined
    text = f"BTC: assets {btc.held} sat, liabilities {btc.liabilities} sat, margin {btc.margin} sat"
    if combined is not None:
        price = "none" if statement.price is None else statement.price.usd_cents_per_btc
        text += (f"; with USD liabilities at the declared {price} cents/BTC ({combined.usd_liabilities_in_sat} sat): "
                 f"margin {combined.margin_sat} sat = {combined.margin_usd_cents} USD cents")
        return combined.margin_sat >= 0, text
    short = [r.currency for r in statement.rows if r.margin < 0]
    return not short, text + (f"; no declared price, and {', '.join(short)} is not covered" if short else "")


def check_solvent(audit: Audit) -> str:
    stated = audit.public.epoch.solvency
    if stated is None:
        raise Skip("the epoch states no solvency statement")
    solvent, text = solvency_margin(Statement.parse(stated, "epoch.solvency"))
    if not solvent:
        raise AuditMismatch(f"liabilities exceed assets: {text}", reason="INSOLVENT")
    audit.caveats.append("the margin at the declared price is a labelled conversion; the per-asset rows are the statement")
    return text
