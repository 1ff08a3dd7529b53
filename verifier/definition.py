"""The published balance definition ``definition.json`` (docs/SPEC.md section 11.6).

A commitment names the balance definition its leaves were read with (``balance_definition``:
name and content hash, SPEC 4). The definition itself is published beside it, as the exact
canonical form the ledger hashes::

    {"exclude": [SELECTOR...], "include": [SELECTOR, ...], "name": NAME,
     "time_axis": "committed"|"reporting", "v": 1}

and ``content_hash = SHA-256("pos-ledger-definition/1" || 0x00 || canonical encoding)``.
`Definition` is the typed artifact (strict `parse`, exact `to_json`/`to_bytes`, version marker
``v``); `changes` says in words what differs between two definitions (selectors added or removed,
time axis or name changed), which `solvency-verify history` reports between epochs.

Invariants: ``to_json(parse(doc)) == doc`` for every accepted document, so the published bytes
are the hashed bytes; selectors keep the order the bank wrote them in (it is hashed).

Threat model: a bank that narrows "customer-liabilities" (e.g. drops one wallet) under the same
name must publish a definition with a new content hash, which every user and auditor sees and
which `history` reports as a change; publishing other bytes than the hashed ones is refused
(`DEFINITION_MISMATCH`, checked by the callers against the commitment).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from verifier import canonical
from verifier.encoding import ASSET_RE
from verifier.errors import CannotVerify, InvalidDefinition, Reason
from verifier.schema import JSON, JSONObject, members, text

__all__ = ["DEFINITION_DOMAIN", "DEFINITION_VERSION", "Definition", "InvalidDefinition", "Selector", "changes"]

DEFINITION_VERSION = 1
DEFINITION_DOMAIN = b"pos-ledger-definition/1\x00"
DEFINITION_MEMBERS = frozenset({"exclude", "include", "name", "time_axis", "v"})
OPTIONAL_MEMBERS = frozenset({"policies", "roles"})
SELECTOR_KEYS = ("path", "namespace", "type", "legal_entity", "currency", "role")
ROLES = ("bankowner", "dealer", "funder")
ROLE_VALUES = (*ROLES, "any")
POLICY_VALUES = {"fractional": "floor", "journal_check": "waived"}
PATH_RE = re.compile(r"[A-Za-z0-9_.@+\-:]+")
ACCOUNT_TYPES = ("Assets", "Liabilities", "Equity", "Revenue", "Expenses")
TIME_AXES = ("committed", "reporting")
NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
GLOB_RE = re.compile(r"[A-Za-z0-9_.@+\-:*?]+")


@dataclass(frozen=True, slots=True)
class Selector:
    """One selector: every key present must match an (account, currency) pair."""

    path: str | None = None
    namespace: str | None = None
    type: str | None = None
    legal_entity: str | None = None
    currency: tuple[str, ...] | None = None
    role: str | None = None

    @classmethod
    def parse(cls, doc: JSON, where: str) -> Selector:
        if not isinstance(doc, dict) or not doc:
            raise InvalidDefinition(f"{where} must be a non-empty object")
        extra = sorted(set(doc) - set(SELECTOR_KEYS))
        if extra:
            raise InvalidDefinition(f"{where}: unknown members {extra} (allowed: {', '.join(SELECTOR_KEYS)})")
        path, namespace = (None if k not in doc else text(doc[k], f"{where}.{k}", InvalidDefinition, GLOB_RE)
                           for k in ("path", "namespace"))
        kind = doc.get("type")
        if kind is not None and kind not in ACCOUNT_TYPES:
            raise InvalidDefinition(f"{where}.type must be one of {', '.join(ACCOUNT_TYPES)}, got {kind!r}")
        entity = doc.get("legal_entity")
        if "legal_entity" in doc and (not isinstance(entity, str) or not entity):
            raise InvalidDefinition(f"{where}.legal_entity must be a non-empty string")
        currency = None if "currency" not in doc else _currencies(doc["currency"], f"{where}.currency")
        role = doc.get("role")
        if "role" in doc and role not in ROLE_VALUES:
            raise InvalidDefinition(f"{where}.role must be one of {', '.join(ROLE_VALUES)}, got {role!r}")
        return cls(path, namespace, kind, entity, currency, role if isinstance(role, str) else None)

    def to_json(self) -> JSONObject:
        values = {"path": self.path, "namespace": self.namespace, "type": self.type,
                  "legal_entity": self.legal_entity, "currency": None if self.currency is None else list(self.currency),
                  "role": self.role}
        return {k: values[k] for k in SELECTOR_KEYS if values[k] is not None}

    def describe(self) -> str:
        """The selector in words, e.g. ``path Liabilities:bankowner`` or ``type Equity, currency BTC``."""
        parts = [f"{k} {','.join(v) if isinstance(v, list) else v}" for k, v in self.to_json().items()]
        return "{" + ", ".join(parts) + "}"


def _currencies(value: JSON, where: str) -> tuple[str, ...]:
    if (not isinstance(value, list) or not value or not all(isinstance(c, str) and ASSET_RE.fullmatch(c) for c in value)
            or value != sorted(set(value))):
        raise InvalidDefinition(f"{where} must be a non-empty, strictly ascending list of currency codes")
    return tuple(value)


def _selectors(value: JSON, where: str, *, non_empty: bool) -> tuple[Selector, ...]:
    if not isinstance(value, list) or (non_empty and not value):
        raise InvalidDefinition(f"{where} must be a{' non-empty' if non_empty else 'n'} array of selectors")
    return tuple(Selector.parse(s, f"{where}[{i}]") for i, s in enumerate(value))


def _roles(value: JSON) -> tuple[tuple[str, str], ...]:
    """``[[PATH, ROLE], ...]`` strictly ascending by path (SPEC 11.6)."""
    if not isinstance(value, list):
        raise InvalidDefinition("definition.roles must be an array of [path, role] pairs")
    out: list[tuple[str, str]] = []
    for i, pair in enumerate(value):
        if (not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[0], str) or not PATH_RE.fullmatch(pair[0])
                or pair[1] not in ROLES):
            raise InvalidDefinition(f"definition.roles[{i}] must be [account path, one of {', '.join(ROLES)}]")
        if out and pair[0] <= out[-1][0]:
            raise InvalidDefinition(f"definition.roles[{i}]: paths must be strictly ascending")
        out.append((pair[0], str(pair[1])))
    return tuple(out)


def _policies(value: JSON) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict) or not value or any(POLICY_VALUES.get(k) != v for k, v in value.items()):
        raise InvalidDefinition(f"definition.policies must be a non-empty object among {POLICY_VALUES}")
    return tuple(sorted((k, str(v)) for k, v in value.items()))


@dataclass(frozen=True, slots=True)
class Definition:
    """A balance definition in its canonical, hashed form (SPEC 11.6)."""

    name: str
    time_axis: str
    include: tuple[Selector, ...]
    exclude: tuple[Selector, ...] = ()
    roles: tuple[tuple[str, str], ...] | None = None
    policies: tuple[tuple[str, str], ...] = ()

    VERSION = DEFINITION_VERSION

    @classmethod
    def parse(cls, doc: JSON) -> Definition:
        """The version marker first (unknown: `CannotVerify`, exit 3), then the exact schema."""
        if not isinstance(doc, dict):
            raise InvalidDefinition("a balance definition is a JSON object")
        if doc.get("v") != DEFINITION_VERSION or type(doc.get("v")) is not int:
            raise CannotVerify(f"unsupported balance definition version v={doc.get('v')!r}; this verifier "
                               f"understands v={DEFINITION_VERSION} only", reason=Reason.UNSUPPORTED_VERSION)
        members(doc, DEFINITION_MEMBERS | (OPTIONAL_MEMBERS & set(doc)), "definition", InvalidDefinition)
        name = text(doc["name"], "definition.name", InvalidDefinition, NAME_RE)
        axis = doc["time_axis"]
        if axis not in TIME_AXES:
            raise InvalidDefinition(f"definition.time_axis must be \"committed\" or \"reporting\", got {axis!r}")
        include = _selectors(doc["include"], "definition.include", non_empty=True)
        exclude = _selectors(doc["exclude"], "definition.exclude", non_empty=False)
        uses_roles = any(s.role is not None for s in include + exclude)
        if uses_roles != ("roles" in doc):
            raise InvalidDefinition("definition.roles must be present exactly when a selector has a role")
        roles = _roles(doc["roles"]) if "roles" in doc else None
        policies = _policies(doc["policies"]) if "policies" in doc else ()
        return cls(name, axis, include, exclude, roles, policies)

    @classmethod
    def from_bytes(cls, data: bytes) -> Definition:
        """A ``definition.json`` file: canonical JSON (2.2), then `parse`."""
        return cls.parse(canonical.loads(data))

    def to_json(self) -> JSONObject:
        out: JSONObject = {"exclude": [s.to_json() for s in self.exclude], "include": [s.to_json() for s in self.include],
                           "name": self.name, "time_axis": self.time_axis, "v": DEFINITION_VERSION}
        if self.roles is not None:
            out["roles"] = [[path, role] for path, role in self.roles]
        if self.policies:
            out["policies"] = dict(self.policies)
        return out

    def canonical(self) -> bytes:
        """The hashed bytes: the canonical encoding, without the file's final newline."""
        return canonical.dumps(self.to_json())

    def to_bytes(self) -> bytes:
        """The ``definition.json`` file: the canonical encoding and one newline."""
        return canonical.dump_file_bytes(self.to_json())

    @property
    def content_hash(self) -> bytes:
        """What a commitment's ``balance_definition.content_hash`` names."""
        return hashlib.sha256(DEFINITION_DOMAIN + self.canonical()).digest()


def changes(before: Definition | None, after: Definition | None) -> tuple[str, ...]:
    """What differs from `before` to `after`, one plain sentence per difference (empty: equal)."""
    if before is None:
        return () if after is None else (f"a balance definition is named now: {after.name}",)
    if after is None:
        return (f"no balance definition is named any more (was {before.name})",)
    out = []
    if before.name != after.name:
        out.append(f"name changed from {before.name} to {after.name}")
    if before.time_axis != after.time_axis:
        out.append(f"time axis changed from {before.time_axis} to {after.time_axis}")
    for side in ("include", "exclude"):
        old, new = getattr(before, side), getattr(after, side)
        out += [f"{side} selector added: {s.describe()}" for s in new if s not in old]
        out += [f"{side} selector removed: {s.describe()}" for s in old if s not in new]
    if before.roles != after.roles:
        old_roles, new_roles = set(before.roles or ()), set(after.roles or ())
        out += [f"bank-role wallet added: {p} ({r})" for p, r in sorted(new_roles - old_roles)]
        out += [f"bank-role wallet removed: {p} ({r})" for p, r in sorted(old_roles - new_roles)]
    if before.policies != after.policies:
        out.append(f"read policies changed from {dict(before.policies) or 'strict'} to {dict(after.policies) or 'strict'}")
    if not out and before != after:
        out.append("the selectors were reordered (same selection, different content hash)")
    return tuple(out)
