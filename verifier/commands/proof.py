"""`solvency-verify proof`: check one user's inclusion proof (docs/SPEC.md sections 6 and 9)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from verifier.amounts import format_amount, format_amounts
from verifier.cli import Report, read_input, run_verification

if TYPE_CHECKING:
    from verifier.bundle import BundleFacts
    from verifier.commitment import Commitment
    from verifier.history import PublishedEpoch
    from verifier.proof import ProofFacts
    from verifier.schema import JSON
    from verifier.signature import PublicKey


def is_bundle_bytes(data: bytes) -> bool:
    """Whether `data` is a proof bundle (SPEC 13) rather than a bare proof.

    Bytes that are not canonical JSON are treated as a proof, whose own first check reports the
    encoding error with its SPEC reason.
    """
    from verifier import canonical
    from verifier.bundle import is_bundle
    from verifier.errors import VerificationError

    try:
        return is_bundle(canonical.loads(data))
    except VerificationError:
        return False


def verify_proof_or_bundle(data: bytes, pinned: PublicKey, *, commitment: bytes | None = None, expected_epoch: str | None = None,
                           expected_user: str | None = None, attestation: JSON | None = None) -> tuple[ProofFacts, BundleFacts | None]:
    """SPEC 6 for a bare proof, SPEC 13 for a bundle: a bundle is accepted wherever a proof is
    (`attestation`, the decoded ``assets.json``, is compared with a bundle's epoch)."""
    from verifier.bundle import verify_bundle
    from verifier.proof import verify_proof

    if is_bundle_bytes(data):
        bundled = verify_bundle(data, pinned, commitment=commitment, expected_epoch=expected_epoch, expected_user=expected_user,
                                attestation=attestation)
        return bundled.proof, bundled
    return verify_proof(data, pinned, commitment=commitment, expected_epoch=expected_epoch, expected_user=expected_user), None


def _caveats(facts: ProofFacts, *, commitment_given: bool, epoch_given: bool, user_given: bool, bundled: bool) -> tuple[str, ...]:
    """What the user must still check themselves (SPEC 9 ``caveats``)."""
    caveats = []
    if not commitment_given:
        caveats.append("no --commitment given: compare the commitment's root hash with the one the bank published")
    if not epoch_given:
        caveats.append("no --epoch given: check that this is the current epoch, not an old one")
    if not user_given:
        caveats.append(f"no --user given: check that {facts.user_id!r} is your user id")
    caveats.append("the balances are the bank's statement of what it owes you; compare them with your account")
    if bundled:
        caveats.append("keep the log head (or compare its root with other users'): a bank that forks its history shows different roots")
    else:
        caveats.append("a bare proof: not checked against the bank's published epoch and transparency log (ask for a proof bundle)")
    return tuple(caveats)


def _proof_commitment(data: bytes) -> Commitment:
    """The commitment inside a proof or bundle that already verified."""
    from verifier import canonical
    from verifier.commitment import parse_commitment

    doc = canonical.loads(data)
    return parse_commitment(doc["proof"]["commitment"] if doc.get("type") == "proof-bundle" else doc["commitment"])


def _check_published(published: PublishedEpoch, commitment: Commitment, bundled: BundleFacts | None) -> str:
    """The proof's epoch is the one the verified history publishes (SPEC 11.6)."""
    import hmac

    from verifier.commitment import commitment_hash
    from verifier.errors import InvalidBundle, Reason

    epoch = published.epoch
    if bundled is not None and not hmac.compare_digest(bundled.epoch.epoch_hash, epoch.epoch_hash):
        raise InvalidBundle(f"the bundle's epoch.json is not the epoch {epoch.epoch} published in the history",
                            reason=Reason.BUNDLE_MISMATCH)
    if not hmac.compare_digest(commitment_hash(commitment), epoch.liabilities_commitment):
        raise InvalidBundle(f"the proof's commitment is not the one epoch {epoch.epoch} publishes", reason=Reason.BUNDLE_MISMATCH)
    return f"epoch {epoch.epoch} is published in the verified history with this commitment"


def _definition_lines(commitment: Commitment, published: PublishedEpoch | None) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The balance definition the commitment names, and whether it changed since the previous epoch."""
    named = commitment.balance_definition
    if named is None:
        return ("balance definition: none named by the commitment",), {"balance_definition": None}
    lines = [f"balance definition: {named.name} (content hash {named.content_hash.hex()})"]
    facts: dict[str, Any] = {"balance_definition": {"name": named.name, "content_hash": named.content_hash.hex()}}
    if published is not None and published.previous_epoch is not None:
        changed = published.definition_changes
        facts["definition_changes"] = list(changed)
        lines.append(f"the balance definition differs from the previous epoch {published.previous_epoch}'s: {'; '.join(changed)}"
                     if changed else f"the balance definition is the same as in the previous epoch {published.previous_epoch}")
    return tuple(lines), facts


def _with_publication(data: bytes, pinned: PublicKey, history_dir: str | None, assets_file: str | None,
                      **expected: Any) -> tuple[ProofFacts, BundleFacts | None, tuple[str, ...], dict[str, Any], bool]:
    """The proof or bundle checked with `--assets` and `--history`: its facts, bundle facts, the
    lines and facts this adds, and whether the statement was recomputed from an attestation."""
    from verifier import canonical
    from verifier.history import published_epoch

    attestation = canonical.loads(read_input(assets_file, "assets")) if assets_file else None
    facts, bundled = verify_proof_or_bundle(data, pinned, attestation=attestation, **expected)
    if bundled is None and assets_file is not None:
        raise click.UsageError("--assets needs a proof bundle (it is compared with the bundle's signed epoch)")
    context = None
    lines: tuple[str, ...] = ()
    if history_dir is not None:
        context = published_epoch(history_dir, pinned, facts.epoch)
        if bundled is not None and attestation is None and context.attestation is not None:
            attestation = context.attestation
            facts, bundled = verify_proof_or_bundle(data, pinned, attestation=attestation, **expected)
        lines = ("the publication history verifies (as `solvency-verify history`)",
                 _check_published(context, _proof_commitment(data), bundled))
    definition_lines, definition_facts = _definition_lines(_proof_commitment(data), context)
    return facts, bundled, (*lines, *definition_lines), definition_facts, attestation is not None


def _facts(facts: ProofFacts, bundled: BundleFacts | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "user_id": facts.user_id,
        "epoch": facts.epoch,
        "as_of": str(facts.as_of),
        "balances": {a: str(b) for a, b in zip(facts.assets, facts.balances)},
        "balances_display": {a: format_amount(a, b) for a, b in zip(facts.assets, facts.balances)},
        "leaf_indexes": list(facts.leaf_indexes),
        "root_hash": facts.root_hash,
        "root_sums": {a: str(s) for a, s in zip(facts.assets, facts.root_sums)},
        "leaf_count": facts.leaf_count,
        "signer_key_id": facts.signer_key_id,
    }
    if bundled is not None:
        out.update({
            "epoch_sequence": bundled.epoch.sequence,
            "epoch_hash": bundled.epoch.epoch_hash.hex(),
            "log_size": bundled.log_head.log_size,
            "log_root": bundled.log_head.log_root.hex(),
        })
    return out


@click.command()
@click.argument("proof_file", metavar="PROOF.json", type=click.Path(dir_okay=False))
@click.option("--key", "key", required=True, help="The bank's public key you pinned: a .pub file or 64 hex characters.")
@click.option("--commitment", "commitment_file", type=click.Path(dir_okay=False), help="The commitment.json the bank published; it must equal the one inside the proof.")
@click.option("--epoch", "epoch", help="The epoch you expect (refuses a replayed older proof).")
@click.option("--user", "user", help="Your user id as you know it (refuses a proof for someone else).")
@click.option("--assets", "assets_file", type=click.Path(dir_okay=False),
              help="The epoch's assets.json: the bundle's solvency statement is recomputed from it (bundles only).")
@click.option("--history", "history_dir", type=click.Path(file_okay=False),
              help="The bank's publication (PUBDIR): checked as `history` does; the proof's epoch must be published there, "
                   "its statement is recomputed from its assets.json, and a change of balance definition since the "
                   "previous epoch is shown.")
@click.option("--json", "json_output", is_flag=True, help="Print one machine-readable JSON result.")
@click.option("--debug", is_flag=True, help="Print a traceback on failure.")
def proof(proof_file: str, key: str, commitment_file: str | None, epoch: str | None, user: str | None,
          assets_file: str | None, history_dir: str | None, json_output: bool, debug: bool) -> None:
    """Verify your inclusion proof PROOF.json (or proof bundle) against the bank's signed commitment."""

    def check() -> Report:
        from verifier.signature import load_public_key

        pinned = load_public_key(key)
        data = read_input(proof_file, "proof")
        published = read_input(commitment_file, "commitment") if commitment_file else None
        facts, bundled, extra, extra_facts, recomputed = _with_publication(
            data, pinned, history_dir, assets_file, commitment=published, expected_epoch=epoch, expected_user=user)
        checked = (*(bundled.checked if bundled is not None else facts.checked), *extra)
        balances = format_amounts(zip(facts.assets, facts.balances))
        caveats = _caveats(facts, commitment_given=commitment_file is not None, epoch_given=epoch is not None,
                           user_given=user is not None, bundled=bundled is not None)
        if bundled is not None and not recomputed:
            caveats = (*caveats, "the solvency statement's assets were not recomputed (give --assets or --history)")
        return Report(checked=(*checked, f"your balances: {balances}"), facts={**_facts(facts, bundled), **extra_facts},
                      caveats=caveats)

    run_verification(check, json_output=json_output, debug=debug, what="the inclusion proof")
