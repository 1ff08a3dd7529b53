"""The publication vectors (`pos_publication.json`, docs/SPEC.md 11.4 checks 7-8 and 11-13, 11.6, 13 check 5),
checked by a minimal independent checker written from the SPEC text (stdlib only) and by `verifier`."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import pytest

VECTORS = json.loads((Path(__file__).parent / "pos_publication.json").read_text())
DOMAIN = bytes.fromhex(VECTORS["definition_domain"])
SELECTOR_KEYS = {"path", "namespace", "type", "legal_entity", "currency", "role"}


def _canonical(text: str) -> bool:
    return text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def independent_definition(text: str) -> tuple[str, str | None, str | None]:
    """(result, reason, content hash) of a definition.json body, from SPEC 11.6 alone."""
    if not _canonical(text):
        return "invalid", "NON_CANONICAL_ENCODING", None
    doc = json.loads(text)
    if doc.get("v") != 1:
        return "inconclusive", "UNSUPPORTED_VERSION", None
    if not {"exclude", "include", "name", "time_axis", "v"} <= set(doc) <= {"exclude", "include", "name", "time_axis", "v",
                                                                           "roles", "policies"}:
        return "invalid", "DEFINITION_SCHEMA", None
    selectors = doc["include"] + doc["exclude"]
    if not doc["include"] or any(not s or set(s) - SELECTOR_KEYS for s in selectors):
        return "invalid", "DEFINITION_SCHEMA", None
    if any("currency" in s and s["currency"] != sorted(set(s["currency"])) for s in selectors):
        return "invalid", "DEFINITION_SCHEMA", None
    if any("role" in s for s in selectors) != ("roles" in doc):
        return "invalid", "DEFINITION_SCHEMA", None
    return "valid", None, hashlib.sha256(DOMAIN + text.encode()).hexdigest()


def independent_binding(case: dict) -> tuple[str, str | None]:
    epoch, commitment = json.loads(case["epoch"]), json.loads(case["commitment"])
    statement = epoch["solvency"]
    if statement is not None and not isinstance(statement, dict):
        return "invalid", "EPOCH_SCHEMA"
    if (statement is None) != (epoch["asset_attestation"] is None):
        return "invalid", "STATEMENT_MISMATCH"
    if epoch["as_of"] != commitment["as_of"]:
        return "invalid", "AS_OF_MISMATCH"
    named = commitment["balance_definition"]
    if named is not None and case["definition"] is None:
        return "invalid", "MISSING_FILE"
    if named is not None:
        body = case["definition"].encode().rstrip(b"\n")
        if hashlib.sha256(DOMAIN + body).hexdigest() != named["content_hash"] or json.loads(body)["name"] != named["name"]:
            return "invalid", "DEFINITION_MISMATCH"
    if statement is not None:
        owed = dict(zip(commitment["assets"], (int(s) for s in commitment["root"]["sums"])))
        for row in statement["per_asset"]:
            held, liabilities, margin = int(row["assets"]), int(row["liabilities"]), int(row["margin"])
            if liabilities != owed.get(row["asset"], 0) or margin != held - liabilities:
                return "invalid", "STATEMENT_MISMATCH"
    return "valid", None


def _id(case: dict) -> str:
    return f"{case['tcId']}-{case['kind']}-{case['comment'][:40]}"


DEFINITIONS = [c for c in VECTORS["tests"] if c["kind"] == "definition"]
BINDINGS = [c for c in VECTORS["tests"] if c["kind"] == "binding"]
CHANGES = [c for c in VECTORS["tests"] if c["kind"] == "change"]


def test_every_kind_and_reason_is_covered():
    assert {c["result"] for c in DEFINITIONS} == {"valid", "invalid", "inconclusive"}
    assert {c["reason"] for c in BINDINGS} >= {None, "AS_OF_MISMATCH", "MISSING_FILE", "DEFINITION_MISMATCH", "STATEMENT_MISMATCH",
                                               "EPOCH_SCHEMA"}
    assert CHANGES


@pytest.mark.parametrize("case", DEFINITIONS, ids=_id)
def test_definition_independent_checker(case):
    assert independent_definition(case["definition"]) == (case["result"], case["reason"], case["content_hash"])


@pytest.mark.parametrize("case", DEFINITIONS, ids=_id)
def test_definition_verifier_agrees(case):
    from verifier import canonical
    from verifier.definition import Definition
    from verifier.errors import CannotVerify, VerificationError

    try:
        definition = Definition.from_bytes(case["definition"].encode())
    except (VerificationError, canonical.NonCanonical) as exc:
        assert ("invalid", exc.reason) == (case["result"], case["reason"])
        return
    except CannotVerify as exc:
        assert ("inconclusive", exc.reason) == (case["result"], case["reason"])
        return
    assert ("valid", definition.content_hash.hex()) == (case["result"], case["content_hash"])
    assert definition.canonical() == case["definition"].encode()


@pytest.mark.parametrize("case", BINDINGS, ids=_id)
def test_binding_independent_checker(case):
    assert independent_binding(case) == (case["result"], case["reason"])


@pytest.mark.parametrize("case", BINDINGS, ids=_id)
def test_binding_verifier_agrees(case):
    from verifier.binding import check_as_of, check_definition, check_statement_liabilities
    from verifier.commitment import verify_commitment
    from verifier.epoch import verify_epoch
    from verifier.errors import InvalidHistory, VerificationError

    key = bytes.fromhex(VECTORS["public_key"])
    try:
        epoch, commitment = verify_epoch(json.loads(case["epoch"]), key), verify_commitment(json.loads(case["commitment"]), key)
        check_as_of(epoch, commitment, InvalidHistory)
        published = None if case["definition"] is None else case["definition"].encode()
        check_definition(commitment, published, "definition.json", InvalidHistory)
        check_statement_liabilities(epoch, commitment, InvalidHistory)
        got = ("valid", None)
    except VerificationError as exc:
        got = ("invalid", exc.reason)
    assert got == (case["result"], case["reason"])


@pytest.mark.parametrize("case", CHANGES, ids=_id)
def test_changes(case):
    from verifier.definition import Definition, changes

    before, after = json.loads(case["before"]), json.loads(case["after"])
    assert changes(Definition.parse(before), Definition.parse(after)) == tuple(case["changes"])
    # Independently: a change is reported exactly when the hashed bytes differ.
    assert bool(case["changes"]) == (case["before"] != case["after"])


# --- SPEC 11.4 checks 11-13: consecutive epochs ---------------------------------------------------

AS_OF_PAIRS = [c for c in VECTORS["tests"] if c["kind"] == "as_of_pair"]
DEFINITION_PAIRS = [c for c in VECTORS["tests"] if c["kind"] == "definition_pair"]
ANCHOR_HEIGHTS = [c for c in VECTORS["tests"] if c["kind"] == "anchor_heights"]
NAMES = ("2026-11", "2026-12", "2027-01")
ATTESTATION = Path(__file__).parent.parent / "verifier" / "fixtures" / "publication" / "2026-11-20" / "public" / "assets.json"


def independent_history(case: dict) -> tuple[str, str | None]:
    if case["kind"] == "as_of_pair":  # 11: strictly after
        before, after = (datetime.strptime(case[k], "%Y-%m-%dT%H:%M:%SZ") for k in ("before", "after"))
        return ("valid", None) if after > before else ("invalid", "AS_OF_NOT_ADVANCING")
    if case["kind"] == "definition_pair":  # 12: a change is a finding; a failure only when strict
        changed = case["before"] != case["after"]
        assert bool(case["findings"]) == changed
        return ("invalid", "DEFINITION_CHANGED") if changed and case["strict"] else ("valid", None)
    heights = [h for h in case["heights"] if h is not None]  # 13: epochs binding an attestation, strictly increasing
    return ("valid", None) if all(a < b for a, b in zip(heights, heights[1:])) else ("invalid", "ANCHOR_NOT_ADVANCING")


def verifier_history(case: dict, scratch: Path) -> tuple[str, str | None]:
    from types import SimpleNamespace

    from verifier import canonical
    from verifier.definition import Definition
    from verifier.errors import VerificationError
    from verifier.history import HistoryCheck, check_anchors_advance, check_as_of_advancing, check_definition_changes
    from verifier.schema import UtcTime

    if case["kind"] == "as_of_pair":
        epochs = [(SimpleNamespace(epoch=n, as_of=UtcTime(case[k])), None) for n, k in zip(NAMES, ("before", "after"))]
        state, check = HistoryCheck(scratch, None, epochs=epochs), check_as_of_advancing
    elif case["kind"] == "definition_pair":
        parsed = [None if t is None else Definition.from_bytes(t.encode()) for t in (case["before"], case["after"])]
        state = HistoryCheck(scratch, None, strict_definitions=case["strict"], epochs=[(SimpleNamespace(epoch=n), None) for n in NAMES[:2]],
                             definitions=dict(zip(NAMES, parsed)))
        check = check_definition_changes
    else:
        doc = canonical.loads(ATTESTATION.read_bytes())
        epochs = []
        for name, height in zip(NAMES, case["heights"]):
            epochs.append((SimpleNamespace(epoch=name, asset_attestation=None if height is None else b"bound"), None))
            if height is not None:
                (scratch / name).mkdir()
                (scratch / name / "assets.json").write_bytes(canonical.dumps({**doc, "anchor": {**doc["anchor"], "height": height}}))
        state, check = HistoryCheck(scratch, None, epochs=epochs), check_anchors_advance
    try:
        check(state)
        got: tuple[str, str | None] = ("valid", None)
    except VerificationError as exc:
        got = ("invalid", exc.reason)
    if case["kind"] == "definition_pair":
        assert [c["changes"] for c in state.definition_changes] == case["findings"]
    if case["kind"] == "anchor_heights" and got[0] == "valid":
        assert [a["height"] for a in state.anchors] == [h for h in case["heights"] if h is not None]
    return got


def test_every_history_code_is_covered():
    assert {c["reason"] for c in AS_OF_PAIRS} == {None, "AS_OF_NOT_ADVANCING"}
    assert {(c["strict"], c["reason"]) for c in DEFINITION_PAIRS} >= {(False, None), (True, None), (True, "DEFINITION_CHANGED")}
    assert any(c["findings"] and c["result"] == "valid" for c in DEFINITION_PAIRS)  # a change without --strict-definitions
    assert {c["reason"] for c in ANCHOR_HEIGHTS} == {None, "ANCHOR_NOT_ADVANCING"}


@pytest.mark.parametrize("case", AS_OF_PAIRS + DEFINITION_PAIRS + ANCHOR_HEIGHTS, ids=_id)
def test_history_independent_checker(case):
    assert independent_history(case) == (case["result"], case["reason"])


@pytest.mark.parametrize("case", AS_OF_PAIRS + DEFINITION_PAIRS + ANCHOR_HEIGHTS, ids=_id)
def test_history_verifier_agrees(case, tmp_path):
    assert verifier_history(case, tmp_path) == (case["result"], case["reason"])
