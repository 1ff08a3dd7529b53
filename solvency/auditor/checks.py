"""The audit of one published epoch as a pass/fail table.

`audit_epoch` runs, in order, and records one row (check, status, reason, detail) per check:

1. the liabilities commitment is well-formed and signed by the pinned bank key (SPEC 4, 2.3);
2. the epoch's own files: `epoch.json` and `log-head.json` signed, binding exactly the
   commitment and attestation beside them, the epoch's inclusion in the transparency log (11);
3. the whole history: every epoch, the previous-hash chain and every log consistency proof
   (`verifier.history.verify_history`, the same as ``solvency-verify history``); and the bank's
   own log database (``private/log.db``) holds exactly the published epochs under the signed root;
4. the full-tree audit from the leaf export (`verifier.full_tree.verify_tree`, the same as
   ``solvency-verify tree``);
5. a deterministic sample of user proofs (seeded), from the proof-bundle export or the tree,
   each run through the verifier's whole check list and bound to the published epoch;
6. with the ledger: the commitment's balance definition is the ledger's (content hash), the
   ledger's hash chain is intact and its digest at the cut-off is the committed one, the
   ledger's liabilities at the cut-off add up to the committed root sums, and the non-zero leaf
   values are exactly the ledger's per-user balance vectors (as multisets: no user ids needed);
7. the asset attestation (`verifier.assets.attestation.verify_attestation`, SPEC 8.8);
8. the solvency statement recomputed from the attested totals and the committed liabilities,
   equal in `epoch.json` and `assets.json`, and the margin it shows.

Statuses: ``PASS``; ``FAIL`` (a `VerificationError` or `AuditMismatch`: the publication is wrong, with its reason
code); ``UNDECIDED`` (`CannotVerify`, an unreadable file, or an unexpected error -- never a
pass); ``SKIPPED`` (an input the check needs was not given, e.g. no ledger). Every verdict comes
from the verifier's or the ledger's own code; this module only gathers inputs and tabulates.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from solvency.auditor.assets_checks import check_attestation, check_solvent, check_statement
from solvency.auditor.context import Audit, AuditMismatch, Skip
from solvency.auditor.ledger_checks import check_definition, check_leaf_values, check_ledger_digest, check_liabilities
from solvency.auditor.publication_checks import (
    check_commitment,
    check_epoch,
    check_history,
    check_log_store,
    check_proofs,
    check_tree,
)
from verifier.errors import CannotVerify, VerificationError

if TYPE_CHECKING:
    import pandas as pd

PASS, FAIL, UNDECIDED, SKIPPED = "PASS", "FAIL", "UNDECIDED", "SKIPPED"
COLUMNS = ("check", "status", "reason", "detail")


@dataclass(frozen=True, slots=True)
class CheckResult:
    check: str
    status: str
    reason: str | None
    detail: str


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
    except (VerificationError, AuditMismatch) as exc:
        return CheckResult(name, FAIL, str(exc.reason), exc.message)
    except CannotVerify as exc:
        return CheckResult(name, UNDECIDED, str(exc.reason), exc.message)
    except OSError as exc:
        return CheckResult(name, UNDECIDED, "UNREADABLE", f"{getattr(exc, 'filename', '') or ''} {exc.strerror or exc}".strip())
    except Exception as exc:  # noqa: BLE001 - a crash in a check must show as undecided, not vanish
        return CheckResult(name, UNDECIDED, "INTERNAL_ERROR", f"{type(exc).__name__}: {exc}")


def results_frame(results: list[CheckResult]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame([(r.check, r.status, r.reason or "", r.detail) for r in results], columns=list(COLUMNS))


def audit_epoch(pubdir: str | os.PathLike[str], key: str | os.PathLike[str] | bytes | Ed25519PublicKey, epoch: str | None = None,
                **options: Any) -> tuple[pd.DataFrame, list[str]]:
    """Run every check on one epoch; returns (table, caveats). Options: see `Audit`."""
    with Audit(pubdir, key, epoch, **options) as audit:
        results = [run_check(name, check, audit) for name, check in CHECKS]
        caveats = list(dict.fromkeys(audit.caveats))
    return results_frame(results), caveats


def assert_passed(table: pd.DataFrame, *, allow_skipped: bool = False) -> None:
    """Raise AssertionError naming every check that did not pass."""
    allowed = {PASS, SKIPPED} if allow_skipped else {PASS}
    bad = table[~table["status"].isin(allowed)]
    if len(bad):
        lines = [f"{row.check}: {row.status} {row.reason} {row.detail}".rstrip() for row in bad.itertuples()]
        raise AssertionError("the audit did not pass:\n" + "\n".join(lines))


__all__ = ["CHECKS", "COLUMNS", "FAIL", "PASS", "SKIPPED", "UNDECIDED", "Audit", "AuditMismatch", "CheckResult", "Skip",
           "assert_passed", "audit_epoch", "results_frame", "run_check"]
