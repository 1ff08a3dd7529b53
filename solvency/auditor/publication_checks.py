"""The checks of an epoch that need only the publication (public files and the private exports):
signatures, the epoch's bindings, the history and the bank's log database, the full-tree audit
and a seeded sample of user proofs (docs/SPEC.md sections 4-7, 10, 11, 13). Each check returns
a one-line detail or raises; verdicts come from the verifier's own functions.
"""

from __future__ import annotations

import random
import shutil
import tempfile
from pathlib import Path

from solvency.auditor.context import Audit, AuditMismatch, Skip, sums_text
from solvency.auditor.publication import list_epochs
from solvency.translog import TransparencyLog
from solvency.tree.store import TreeStore
from verifier import canonical
from verifier.bundle import is_bundle, verify_bundle
from verifier.commitment import verify_commitment
from verifier.epoch import artifact_hash
from verifier.errors import CannotVerify, VerificationError
from verifier.full_tree import verify_tree
from verifier.history import read_artifact, verify_epoch_dir, verify_history
from verifier.proof import verify_proof


def check_commitment(audit: Audit) -> str:
    com = verify_commitment(audit.public.commitment, audit.key)
    if com.epoch != audit.epoch:
        raise AuditMismatch(f"commitment.json is for epoch {com.epoch!r}, published as {audit.epoch!r}", reason="EPOCH_MISMATCH")
    return (f"epoch {com.epoch} as of {com.as_of}, {com.leaf_count} leaves, root sums {sums_text(com.assets, com.root_sums)}; "
            f"signed by key {com.signer_key_id}")


def check_epoch(audit: Audit) -> str:
    epoch, head = verify_epoch_dir(audit.paths.directory, audit.key)
    bound = "commitment and asset attestation" if epoch.asset_attestation is not None else "commitment (no attestation)"
    return (f"epoch.json (sequence {epoch.sequence}) and log-head.json signed; they bind the {bound} beside them; "
            f"the epoch is leaf {head.inclusion.leaf_index} of the log of size {head.log_size}")


def check_history(audit: Audit) -> str:
    heads = tuple(read_artifact(Path(p)) for p in audit.trusted_heads)
    facts = verify_history(audit.pubdir, audit.key, heads)
    if audit.epoch not in facts["epochs"]:
        raise AuditMismatch(f"epoch {audit.epoch!r} is not part of the verified history", reason="EPOCH_MISMATCH")
    trusted = f"; {len(heads)} trusted head(s) match" if heads else ""
    return (f"{len(facts['epochs'])} epoch(s) ({', '.join(facts['epochs'])}) chained by hash; log size {facts['log_size']}, "
            f"root {facts['log_root'][:16]}...; every consistency proof verifies{trusted}")


def check_log_store(audit: Audit) -> str:
    """The bank's own log database (``private/log.db``, read from a copy) holds exactly the
    published epochs' hashes, in sequence order, under the signed head's size and root."""
    private = audit.paths.private
    if private is None or not (private / "log.db").is_file():
        raise Skip("no transparency log database (private/log.db) was given")
    head = audit.public.log_head
    hashes = [artifact_hash(read_artifact(p.epoch)).hex() for p in list_epochs(audit.pubdir)]
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "log.db"
        shutil.copyfile(private / "log.db", copy)
        with TransparencyLog(copy) as log:
            size, root = log.size, log.root().hex()
            entries = [log.entry(i).hex() for i in range(size)]
    if (size, root) != (head.log_size, head.log_root.hex()):
        raise AuditMismatch(f"private/log.db has {size} entries with root {root[:16]}...; the signed head says "
                            f"{head.log_size} with root {head.log_root.hex()[:16]}...", reason="LOG_STORE_MISMATCH")
    if entries != hashes[:size]:
        raise AuditMismatch("private/log.db does not hold the published epochs' hashes in sequence order",
                            reason="LOG_STORE_MISMATCH")
    return f"private/log.db holds the {size} published epoch hash(es) in order; its root is the signed head's"


def check_tree(audit: Audit) -> str:
    audit.caveats.append("the tree audit proves the sums are consistent, not that every user is included: "
                         "that needs user proofs (sampled here, checked by users themselves)")
    facts = verify_tree(audit.layer, audit.public.commitment, audit.key, expected_epoch=audit.epoch)
    assets = audit.public.commitment.assets
    return (f"{facts.leaf_count} leaves from {getattr(audit.leaves_path, 'name', 'the leaf export')} recomputed to the committed root; "
            f"{facts.zero_leaves} zero leaves (padding or zero users); root sums {sums_text(assets, facts.root_sums)}; "
            f"largest leaf {sums_text(assets, facts.max_leaf)}")


def sample_lines(path: Path, k: int, seed: int) -> list[tuple[int, bytes]]:
    """`k` lines of a JSON Lines file chosen by a seeded RNG (line numbers from 1), in file order."""
    with open(path, "rb") as handle:
        count = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    chosen = set(random.Random(seed).sample(range(count), min(k, count)))
    out = []
    with open(path, "rb") as handle:
        for number, line in enumerate(handle):
            if number in chosen:
                out.append((number + 1, line.rstrip(b"\n")))
    return out


def _verify_export_line(audit: Audit, data: bytes) -> str:
    public = audit.public
    doc = canonical.loads(data)
    if is_bundle(doc):
        facts = verify_bundle(data, audit.key, commitment=public.commitment, expected_epoch=audit.epoch)
        if facts.epoch != public.epoch or facts.log_head != public.log_head:
            raise AuditMismatch("the bundle carries an epoch.json or log-head.json other than the published ones",
                                reason="BUNDLE_NOT_PUBLISHED")
        return facts.proof.user_id
    return verify_proof(data, audit.key, commitment=public.commitment, expected_epoch=audit.epoch).user_id


def check_proofs(audit: Audit) -> str:
    if audit.sample == 0:
        raise Skip("the proof sample size is 0")
    if audit.proofs_path is not None:
        lines = sample_lines(audit.proofs_path, audit.sample, audit.seed)
        if not lines:
            raise AuditMismatch(f"{audit.proofs_path} holds no proofs", reason="NO_PROOFS")
        users = []
        for number, data in lines:
            try:
                users.append(_verify_export_line(audit, data))
            except (VerificationError, CannotVerify) as exc:
                exc.message = f"{audit.proofs_path.name} line {number}: {exc.message}"
                raise
        if len(set(users)) != len(users):
            raise AuditMismatch("two sampled proofs are for the same user", reason="DUPLICATE_USER")
        where = f"lines {', '.join(str(n) for n, _ in lines)} of {audit.proofs_path.name}"
        return f"{len(lines)} proof bundle(s) verified (seed {audit.seed}: {where}); each binds the published epoch and log head"
    if audit.paths.tree is None:
        raise Skip("neither a proof export (private/proofs.jsonl) nor the tree (private/tree/) was given")

    with TreeStore(audit.paths.tree) as store:
        ids = list(store.user_ids())
        chosen = sorted(random.Random(audit.seed).sample(range(len(ids)), min(audit.sample, len(ids))))
        for i in chosen:
            verify_proof(store.proof(ids[i]), audit.key, commitment=audit.public.commitment,
                         expected_epoch=audit.epoch, expected_user=ids[i])
    return f"{len(chosen)} user proof(s) from the tree verified (seed {audit.seed}: users no. {', '.join(str(i + 1) for i in chosen)})"
