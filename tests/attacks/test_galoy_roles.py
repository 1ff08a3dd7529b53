"""Attacks on the bank-role resolution a commitment's definition covers (SPEC 11.6, issue 14).

A bank that wants to owe less can call a customer's wallet its own: move it into a bank role.
The role resolution is part of the definition's canonical form, so that changes the committed
content hash, publishes the wallet id in ``definition.json`` and shows in the history's
definition changes. A published definition that drops or reorders the resolution, or claims a
role without the resolution, is refused by the verifier's strict parse.
"""

from __future__ import annotations

import json

import pytest

from ledger.definitions import BankRoles, bind, load_definitions
from verifier.definition import Definition, changes
from verifier.errors import InvalidDefinition

DEALER = "Liabilities:dea1e700-0000-4000-8000-0000000000d5"
OWNER = "Liabilities:c0ffee00-0000-4000-8000-00000000b0b1"
VICTIM = "Liabilities:9a1d2c3b-4e5f-4a6b-8c7d-0e1f2a3b4c04"


def _published(roles: dict[str, str], policies: dict[str, str] | None = None) -> Definition:
    bound = bind(load_definitions(), BankRoles.of(roles, "test"), policies)["customer-liabilities"]
    definition = Definition.from_bytes(bound.canonical())
    assert definition.content_hash.hex() == bound.content_hash
    return definition


def test_moving_a_customer_into_a_bank_role_changes_the_hash_and_is_reported():
    honest = _published({DEALER: "dealer", OWNER: "bankowner"})
    shrunk = _published({DEALER: "dealer", OWNER: "bankowner", VICTIM: "funder"})
    assert honest.content_hash != shrunk.content_hash
    assert VICTIM.encode() in shrunk.canonical()
    assert changes(honest, shrunk) == (f"bank-role wallet added: {VICTIM} (funder)",)


def test_a_changed_read_policy_changes_the_hash_and_is_reported():
    strict = _published({DEALER: "dealer"})
    floored = _published({DEALER: "dealer"}, {"fractional": "floor"})
    assert strict.content_hash != floored.content_hash
    assert changes(strict, floored) == ("read policies changed from strict to {'fractional': 'floor'}",)


def _doc(definition: Definition) -> dict:
    return json.loads(definition.canonical())


@pytest.mark.parametrize(
    "tamper, needle",
    [
        (lambda d: d.pop("roles"), "roles must be present exactly when"),
        (lambda d: d.update(include=[{"path": "Liabilities:*"}], exclude=[]), "roles must be present exactly when"),
        (lambda d: d["roles"].reverse(), "strictly ascending"),
        (lambda d: d["roles"].append([d["roles"][-1][0], "dealer"]), "strictly ascending"),
        (lambda d: d["roles"][0].__setitem__(1, "user"), "one of bankowner, dealer, funder"),
        (lambda d: d["roles"][0].__setitem__(0, "Liabilities:*"), "account path"),
        (lambda d: d["exclude"][0].__setitem__("role", "customer"), "role must be one of"),
        (lambda d: d.__setitem__("policies", {"fractional": "refuse"}), "policies"),
        (lambda d: d.__setitem__("policies", {}), "policies"),
        (lambda d: d.__setitem__("policies", {"fractional": "round"}), "policies"),
    ],
)
def test_a_malformed_resolution_or_policy_is_refused(tamper, needle):
    doc = _doc(_published({DEALER: "dealer", OWNER: "bankowner"}))
    tamper(doc)
    with pytest.raises(InvalidDefinition, match=needle):
        Definition.parse(doc)
