"""The checks of an epoch's assets: the signed attestation (SPEC 8.8, by the verifier), the
solvency statement recomputed from the attested totals and the *committed* root sums (equal in
``assets.json`` and ``epoch.json``), and whether assets cover liabilities.
"""

from __future__ import annotations

from typing import Any

from solvency.auditor.context import Audit, AuditMismatch, Skip
from verifier.assets.artifact import Attestation
from verifier.assets.attestation import verify_attestation
from verifier.assets.statement import attestation_totals, solvency_statement
from verifier.commitment import Commitment


def check_attestation(audit: Audit) -> str:
    doc = audit.public.assets
    if doc is None:
        raise Skip("the epoch binds no asset attestation")
    result = verify_attestation(doc, audit.key, commitment=audit.public.commitment, expected_epoch=audit.epoch)
    audit.caveats.extend(result.caveats)
    facts = result.facts
    return (f"{len(result.checked)} checks passed: bank and node signatures, {facts['proofs_verified']} proof(s) of control, "
            f"escrow, totals; anchor block {facts['anchor_height']}; counted BTC assets {facts['btc_assets_sat']} sat")


def check_statement(audit: Audit) -> str:
    public = audit.public
    if public.assets is None:
        raise Skip("the epoch binds no asset attestation")
    attested, committed = Attestation.parse(public.assets), Commitment.parse(public.commitment)
    recomputed = solvency_statement(attestation_totals(attested), committed.assets, committed.root_sums, attested.statement.price)
    if recomputed != attested.statement:
        raise AuditMismatch("assets.json's statement does not follow from its totals and the committed root sums",
                            reason="STATEMENT_MISMATCH")
    if public.epoch["solvency"] != recomputed.to_json():
        raise AuditMismatch("epoch.json's solvency statement differs from the recomputed one", reason="STATEMENT_MISMATCH")
    return "recomputed from the attested totals and the committed root sums; equal in assets.json and epoch.json"


def solvency_margin(statement: dict[str, Any]) -> tuple[bool, str]:
    """(solvent, explanation) from a solvency statement: at the declared price when there is one,
    else every asset's own margin must be >= 0 (assets are never netted across assets)."""
    rows = {r["asset"]: r for r in statement["per_asset"]}
    combined = statement["combined_at_declared_price"]
    btc = rows["BTC"]
    text = f"BTC: assets {btc['assets']} sat, liabilities {btc['liabilities']} sat, margin {btc['margin']} sat"
    if combined is not None:
        price = statement["price"]["usd_cents_per_btc"]
        text += (f"; with USD liabilities at the declared {price} cents/BTC ({combined['usd_liabilities_in_sat']} sat): "
                 f"margin {combined['margin_sat']} sat = {combined['margin_usd_cents']} USD cents")
        return int(combined["margin_sat"]) >= 0, text
    short = [r["asset"] for r in statement["per_asset"] if int(r["margin"]) < 0]
    return not short, text + (f"; no declared price, and {', '.join(short)} is not covered" if short else "")


def check_solvent(audit: Audit) -> str:
    statement = audit.public.epoch["solvency"]
    if statement is None:
        raise Skip("the epoch states no solvency statement")
    solvent, text = solvency_margin(statement)
    if not solvent:
        raise AuditMismatch(f"liabilities exceed assets: {text}", reason="INSOLVENT")
    audit.caveats.append("the margin at the declared price is a labelled conversion; the per-asset rows are the statement")
    return text
