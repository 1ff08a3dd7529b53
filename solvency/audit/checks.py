"""The audit of one published epoch as a pass/fail table.

`audit_epoch` runs, in order, and records one row (check, status, reason, detail) per check:

1. the liabilities commitment is well-formed and signed by the pinned bank key (SPEC 4, 2.3);
2. the epoch's own files: `epoch.json` and `log-head.json` signed, binding exactly the
   commitment and attestation beside them, the epoch's inclusion in the transparency log (11);
3. the whole history: every epoch, the previous-hash chain and every log consistency proof
   (`verifier.history.verify_history`, the same as ``solvency-verify history``); and the bank's
   own log database (``private/log.db``) holds exactly the published epochs under the signed root;
4. the full-tree audit from the leaf export (`verifier.audit.verify_tree`, the same as
   ``solvency-verify tree``);
5. a deterministic sample of user proofs (seeded), from the proof-bundle export or the tree,
   each run through the verifier's whole check list and bound to the published epoch;
6. with the ledger: the commitment's balance definition is the ledger's (content hash), the
   ledger's hash chain is intact and its digest at the cut-off is the committed one, the
   ledger's liabilities at the cut-off add up to the committed root sums, and the non-zero leaf
   values are exactly the ledger's per-user balance vectors (as multisets: no user ids needed);
7. the asset attestation (`verifier.attestation.verify_attestation`, SPEC 8.8);
8. the solvency statement recomputed from the attested totals and the committed liabilities,
   equal in `epoch.json` and `assets.json`, and the margin it shows.

Statuses: ``PASS``; ``FAIL`` (a `VerificationError`: the publication is wrong, with its reason
code); ``UNDECIDED`` (`CannotVerify`, an unreadable file, or an unexpected error -- never a
pass); ``SKIPPED`` (an input the check needs was not given, e.g. no ledger). Every verdict comes
from the verifier's or the ledger's own code; this module only gathers inputs and tabulates.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

from solvency.audit.publication import EpochPaths, PublicFiles, load_leaves, locate_epoch, read_public
from verifier.errors import CannotVerify, VerificationError

PASS, FAIL, UNDECIDED, SKIPPED = "PASS", "FAIL", "UNDECIDED", "SKIPPED"
COLUMNS = ("check", "status", "reason", "detail")


class AuditMismatch(VerificationError):
    """The publication disagrees with the ledger or with itself."""

    default_reason = "AUDIT_MISMATCH"


class Skip(Exception):
    """The check needs an input that was not given."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    check: str
    status: str
    reason: str | None
    detail: str


class Audit:
    """The inputs of one epoch's audit, loaded once and shared by the checks."""

    def __init__(
        self,
        pubdir: str | os.PathLike[str],
        key,
        epoch: str | None = None,
        *,
        ledger: str | None = None,
        definitions: str | None = None,
        leaves: str | os.PathLike[str] | None = None,
        proofs: str | os.PathLike[str] | None = None,
        trusted_heads: tuple[str | os.PathLike[str], ...] = (),
        sample: int = 20,
        seed: int = 0,
    ) -> None:
        from verifier.signature import load_public_key

        self.pubdir = Path(pubdir)
        self.key = load_public_key(key)
        self.paths: EpochPaths = locate_epoch(self.pubdir, epoch)
        self.epoch = self.paths.name
        self.leaves_path = Path(leaves) if leaves is not None else self.paths.leaves
        self.proofs_path = Path(proofs) if proofs is not None else self.paths.proofs
        self.ledger_uri = None if ledger is None else str(ledger)
        self.definitions_file = None if definitions is None else str(definitions)
        self.trusted_heads = tuple(trusted_heads)
        if type(sample) is not int or sample < 0:
            raise ValueError("sample must be a non-negative integer")
        self.sample = sample
        self.seed = seed
        self.caveats: list[str] = []
        self._store = None

    def __enter__(self) -> "Audit":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    @cached_property
    def public(self) -> PublicFiles:
        return read_public(self.paths)

    @cached_property
    def layer(self):
        if self.leaves_path is None:
            raise Skip("no leaf export (private/leaves.bin or leaves.parquet) was given")
        return load_leaves(self.leaves_path, self.public.commitment)

    @property
    def store(self):
        if self.ledger_uri is None:
            raise Skip("no ledger was given")
        if self._store is None:
            from ledger.store import open_store

            self._store = open_store(self.ledger_uri, create=False)
        return self._store

    @cached_property
    def definition(self):
        """The ledger's balance definition the commitment names (checked against its hash)."""
        from ledger.definitions import load_definitions

        named = self.public.commitment["balance_definition"]
        if named is None:
            raise AuditMismatch("the commitment names no balance definition: it cannot be tied to the ledger",
                                reason="NO_DEFINITION")
        definitions = load_definitions(self.definitions_file)
        if named["name"] not in definitions:
            raise AuditMismatch(f"the commitment's definition {named['name']!r} is not in the definitions file "
                                f"({', '.join(sorted(definitions))})", reason="UNKNOWN_DEFINITION")
        chosen = definitions[named["name"]]
        if chosen.content_hash != named["content_hash"]:
            raise AuditMismatch(f"definition {chosen.name!r}: the ledger's content hash {chosen.content_hash} differs from "
                                f"the committed {named['content_hash']}: the bank used another definition",
                                reason="DEFINITION_MISMATCH")
        return chosen

    @cached_property
    def ledger_balances(self) -> list[tuple[str, str, int]]:
        store = self.store  # no ledger: skipped before anything else is looked at
        # The definition must be the committed one before its balances mean anything.
        return list(store.user_balances(self.definition, self.public.commitment["as_of"]))


# --- the checks -----------------------------------------------------------------------------


def _sums(assets, values) -> str:
    return ", ".join(f"{a} {v}" for a, v in zip(assets, values))


def check_commitment(audit: Audit) -> str:
    from verifier.commitment import verify_commitment

    com = verify_commitment(audit.public.commitment, audit.key)
    if com.epoch != audit.epoch:
        raise AuditMismatch(f"commitment.json is for epoch {com.epoch!r}, published as {audit.epoch!r}", reason="EPOCH_MISMATCH")
    return (f"epoch {com.epoch} as of {com.as_of}, {com.leaf_count} leaves, root sums {_sums(com.assets, com.root_sums)}; "
            f"signed by key {com.signer_key_id}")


def check_epoch(audit: Audit) -> str:
    from verifier.history import verify_epoch_dir

    epoch, head = verify_epoch_dir(audit.paths.directory, audit.key)
    bound = "commitment and asset attestation" if epoch.asset_attestation is not None else "commitment (no attestation)"
    return (f"epoch.json (sequence {epoch.sequence}) and log-head.json signed; they bind the {bound} beside them; "
            f"the epoch is leaf {head.inclusion.leaf_index} of the log of size {head.log_size}")


def check_history(audit: Audit) -> str:
    from verifier.history import read_artifact, verify_history

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
    import shutil
    import tempfile

    from solvency.audit.publication import list_epochs
    from solvency.translog import TransparencyLog
    from verifier.epoch import artifact_hash
    from verifier.history import read_artifact

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
    if (size, root) != (head["log_size"], head["log_root"]):
        raise AuditMismatch(f"private/log.db has {size} entries with root {root[:16]}...; the signed head says "
                            f"{head['log_size']} with root {head['log_root'][:16]}...", reason="LOG_STORE_MISMATCH")
    if entries != hashes[:size]:
        raise AuditMismatch("private/log.db does not hold the published epochs' hashes in sequence order",
                            reason="LOG_STORE_MISMATCH")
    return f"private/log.db holds the {size} published epoch hash(es) in order; its root is the signed head's"


def check_tree(audit: Audit) -> str:
    from verifier.audit import verify_tree

    audit.caveats.append("the tree audit proves the sums are consistent, not that every user is included: "
                         "that needs user proofs (sampled here, checked by users themselves)")
    facts = verify_tree(audit.layer, audit.public.commitment, audit.key, expected_epoch=audit.epoch)
    assets = audit.public.commitment["assets"]
    return (f"{facts.leaf_count} leaves from {audit.leaves_path.name} recomputed to the committed root; "
            f"{facts.zero_leaves} zero leaves (padding or zero users); root sums {_sums(assets, facts.root_sums)}; "
            f"largest leaf {_sums(assets, facts.max_leaf)}")


def _sample_lines(path: Path, k: int, seed: int) -> list[tuple[int, bytes]]:
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
    from verifier import canonical
    from verifier.bundle import is_bundle, verify_bundle
    from verifier.proof import verify_proof

    public = audit.public
    doc = canonical.loads(data)
    if is_bundle(doc):
        facts = verify_bundle(data, audit.key, commitment=public.commitment, expected_epoch=audit.epoch)
        if facts.epoch.document != public.epoch or facts.log_head.document != public.log_head:
            raise AuditMismatch("the bundle carries an epoch.json or log-head.json other than the published ones",
                                reason="BUNDLE_NOT_PUBLISHED")
        return facts.proof.user_id
    return verify_proof(data, audit.key, commitment=public.commitment, expected_epoch=audit.epoch).user_id


def check_proofs(audit: Audit) -> str:
    if audit.sample == 0:
        raise Skip("the proof sample size is 0")
    if audit.proofs_path is not None:
        lines = _sample_lines(audit.proofs_path, audit.sample, audit.seed)
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
    from solvency.tree.store import TreeStore
    from verifier.proof import verify_proof

    with TreeStore(audit.paths.tree) as store:
        ids = list(store.user_ids())
        chosen = sorted(random.Random(audit.seed).sample(range(len(ids)), min(audit.sample, len(ids))))
        for i in chosen:
            verify_proof(store.proof(ids[i]), audit.key, commitment=audit.public.commitment,
                         expected_epoch=audit.epoch, expected_user=ids[i])
    return f"{len(chosen)} user proof(s) from the tree verified (seed {audit.seed}: users no. {', '.join(str(i + 1) for i in chosen)})"


def check_definition(audit: Audit) -> str:
    audit.store  # noqa: B018 - no ledger: skipped, not failed
    d = audit.definition
    return f"the committed definition {d.name!r} ({d.time_axis} axis) has content hash {d.content_hash[:16]}... in the ledger's definitions"


def check_ledger_digest(audit: Audit) -> str:
    from solvency.publish.ledger_cut import digest_as_of

    store = audit.store
    head = store.verify()
    com = audit.public.commitment
    committed = com["ledger_digest"]
    if committed is None:
        raise AuditMismatch("the commitment names no ledger digest: it cannot be tied to the ledger", reason="NO_LEDGER_DIGEST")
    at_cut = digest_as_of(store, com["as_of"])
    if (at_cut.entry_count, at_cut.head_hash) != (committed["entry_count"], committed["head_hash"]):
        raise AuditMismatch(f"the ledger at {com['as_of']} has {at_cut.entry_count} entries with head {at_cut.head_hash[:16]}...; "
                            f"the commitment says {committed['entry_count']} with head {committed['head_hash'][:16]}...",
                            reason="LEDGER_DIGEST_MISMATCH")
    return (f"hash chain intact ({head.entry_count} entries now); at the cut-off {com['as_of']}: {at_cut.entry_count} entries, "
            f"head {at_cut.head_hash[:16]}..., as committed")


def check_liabilities(audit: Audit) -> str:
    com = audit.public.commitment
    assets = com["assets"]
    totals: dict[str, int] = {}
    negative = 0
    for _, currency, amount in audit.ledger_balances:
        if amount < 0:
            negative += 1
        totals[currency] = totals.get(currency, 0) + amount
    if negative:
        raise AuditMismatch(f"the ledger has {negative} negative balance(s) under {audit.definition.name!r}, "
                            "which a sum tree cannot hold", reason="NEGATIVE_BALANCE")
    stray = sorted(c for c, v in totals.items() if c not in assets and v)
    if stray:
        raise AuditMismatch(f"the ledger holds liabilities in {', '.join(stray)}, which the commitment does not cover",
                            reason="LIABILITIES_MISMATCH")
    ledger = [totals.get(a, 0) for a in assets]
    committed = [int(s) for s in com["root"]["sums"]]
    independent = dict(audit.store.totals(audit.definition, com["as_of"]))
    if ledger != committed or [independent.get(a, 0) for a in assets] != committed:
        raise AuditMismatch(f"the ledger's liabilities at the cut-off are {_sums(assets, ledger)} (store totals "
                            f"{_sums(assets, [independent.get(a, 0) for a in assets])}); the commitment says "
                            f"{_sums(assets, committed)}", reason="LIABILITIES_MISMATCH")
    return f"{len(audit.ledger_balances)} balances under {audit.definition.name!r} at {com['as_of']} add up to the root sums {_sums(assets, committed)}"


def _tree_split(audit: Audit) -> int | None:
    import json

    if audit.paths.tree is None:
        return None
    try:
        return int(json.loads((audit.paths.tree / "private" / "tree.json").read_text())["split"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def check_leaf_values(audit: Audit) -> str:
    assets = audit.public.commitment["assets"]
    split = _tree_split(audit)
    if split is not None and split > 1:
        raise Skip(f"balances are split over {split} leaves each: leaf values are parts, not per-user balances")
    per_user: dict[str, list[int]] = {}
    for user, currency, amount in audit.ledger_balances:
        if currency in assets:
            per_user.setdefault(user, [0] * len(assets))[assets.index(currency)] = amount
    ledger = Counter(tuple(v) for v in per_user.values() if any(v))
    leaves = Counter(v for v in audit.layer.values if any(v))
    if ledger != leaves:
        missing = sum((ledger - leaves).values())
        extra = sum((leaves - ledger).values())
        hint = "" if split is not None else " (if the bank split balances over several leaves, ask for the split: then leaves are parts)"
        raise AuditMismatch(f"{missing} ledger balance vector(s) have no equal leaf and {extra} non-zero leaf/leaves "
                            f"match no ledger balance{hint}", reason="LEAF_VALUES_MISMATCH")
    zero = len(audit.layer.values) - sum(leaves.values())
    return (f"the {sum(leaves.values())} non-zero leaves are exactly the ledger's per-user balance vectors "
            f"(compared as multisets, no user ids); {zero} zero leaves")


def check_attestation(audit: Audit) -> str:
    from verifier.attestation import verify_attestation

    doc = audit.public.assets
    if doc is None:
        raise Skip("the epoch binds no asset attestation")
    result = verify_attestation(doc, audit.key, commitment=audit.public.commitment, expected_epoch=audit.epoch)
    audit.caveats.extend(result.caveats)
    facts = result.facts
    return (f"{len(result.checked)} checks passed: bank and node signatures, {facts['proofs_verified']} proof(s) of control, "
            f"escrow, totals; anchor block {facts['anchor_height']}; counted BTC assets {facts['btc_assets_sat']} sat")


def check_statement(audit: Audit) -> str:
    from verifier.attestation import compute_statement, compute_totals

    public = audit.public
    if public.assets is None:
        raise Skip("the epoch binds no asset attestation")
    recomputed = compute_statement(compute_totals(public.assets), public.commitment | {"root_sums": public.commitment["root"]["sums"]},
                                   public.assets["statement"]["price"])
    if recomputed != public.assets["statement"]:
        raise AuditMismatch("assets.json's statement does not follow from its totals and the committed root sums",
                            reason="STATEMENT_MISMATCH")
    if public.epoch["solvency"] != recomputed:
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


CHECKS: tuple[tuple[str, Callable[[Audit], str]], ...] = (
    ("commitment signed by the bank key", check_commitment),
    ("epoch and log head signed, files bound, log inclusion", check_epoch),
    ("history: hash chain and log consistency", check_history),
    ("bank's log database = signed log head", check_log_store),
    ("full-tree audit from the leaf export", check_tree),
    ("sampled user proofs", check_proofs),
    ("balance definition is the ledger's", check_definition),
    ("ledger digest at the cut-off", check_ledger_digest),
    ("liabilities total = ledger", check_liabilities),
    ("leaf values = ledger balances", check_leaf_values),
    ("asset attestation", check_attestation),
    ("solvency statement recomputed", check_statement),
    ("assets cover liabilities", check_solvent),
)


def run_check(name: str, check: Callable[[Audit], str], audit: Audit) -> CheckResult:
    """One row: never raises; an unexpected error is UNDECIDED, never PASS."""
    try:
        return CheckResult(name, PASS, None, check(audit))
    except Skip as exc:
        return CheckResult(name, SKIPPED, None, str(exc))
    except VerificationError as exc:
        return CheckResult(name, FAIL, exc.reason, exc.message)
    except CannotVerify as exc:
        return CheckResult(name, UNDECIDED, exc.reason, exc.message)
    except OSError as exc:
        return CheckResult(name, UNDECIDED, "UNREADABLE", f"{getattr(exc, 'filename', '') or ''} {exc.strerror or exc}".strip())
    except Exception as exc:  # noqa: BLE001 - a crash in a check must show as undecided, not vanish
        return CheckResult(name, UNDECIDED, "INTERNAL_ERROR", f"{type(exc).__name__}: {exc}")


def results_frame(results: list[CheckResult]):
    import pandas as pd

    return pd.DataFrame([(r.check, r.status, r.reason or "", r.detail) for r in results], columns=list(COLUMNS))


def audit_epoch(pubdir: str | os.PathLike[str], key, epoch: str | None = None, **options: Any):
    """Run every check on one epoch; returns (table, caveats). Options: see `Audit`."""
    with Audit(pubdir, key, epoch, **options) as audit:
        results = [run_check(name, check, audit) for name, check in CHECKS]
        caveats = list(dict.fromkeys(audit.caveats))
    return results_frame(results), caveats


def assert_passed(table, *, allow_skipped: bool = False) -> None:
    """Raise AssertionError naming every check that did not pass."""
    allowed = {PASS, SKIPPED} if allow_skipped else {PASS}
    bad = table[~table["status"].isin(allowed)]
    if len(bad):
        lines = [f"{row.check}: {row.status} {row.reason} {row.detail}".rstrip() for row in bad.itertuples()]
        raise AssertionError("the audit did not pass:\n" + "\n".join(lines))
