"""Named balance definitions: which accounts and currencies a reported number sums, on which axis.

A definition file is TOML (docs/LEDGER.md, "Definitions file")::

    format = "pos-ledger-definitions/1"

    [definitions.customer-liabilities]
    description = "What the bank owes its users"
    time_axis = "committed"                  # or "reporting"
    include = [{ path = "Liabilities:*" }]
    exclude = [{ path = "Liabilities:bankowner" }, { path = "Liabilities:dealer:**" }]

A selector is a table with at least one of ``path`` (glob), ``namespace`` (glob), ``type``
(Assets|Liabilities|Equity|Revenue|Expenses), ``legal_entity`` (exact) and ``currency`` (a
non-empty list of codes); all keys present must match. In globs ``*`` matches within one path
segment, ``**`` across segments and ``?`` one character other than ``:``. An (account, currency)
pair is in a definition when some ``include`` selector matches and no ``exclude`` selector does.

Loading is strict: an unknown format marker, unknown keys, empty selectors or selector lists,
unknown currencies or types, bad globs and bad axes raise `DefinitionError` naming the file and
the key; so do a file over 1 MiB, TOML beyond the parser's limits and a glob over its bounds
(`MAX_GLOB_LENGTH` characters, `MAX_GLOB_STARS` unbounded wildcards once runs like ``*****`` are
collapsed). Threat: a glob must not make matching backtrack for minutes (`glob_tokens`,
`compile_glob`). The result is a mapping of frozen `BalanceDefinition` objects, each with a
``content_hash``: SHA-256 (hex) of its canonical JSON form (name, axis, selectors; not the
description), which a proof publishes so that auditors know exactly which number was proven.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from types import MappingProxyType

from ledger.accounts import ACCOUNT_TYPES, AccountInfo
from ledger.errors import DefinitionError
from ledger.money import CURRENCIES

FORMAT = "pos-ledger-definitions/1"
TIME_AXES = ("committed", "reporting")
DEFAULT_FILE = "galoy.toml"
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_GLOB_CHARS = re.compile(r"[A-Za-z0-9_.@+\-:*?]+")
_SELECTOR_KEYS = ("path", "namespace", "type", "legal_entity", "currency", "role")
#: The bank's own roles (Galoy's account roles other than "user") and the selector value "any".
ROLES = ("bankowner", "dealer", "funder")
ANY_ROLE = "any"
#: Read policies and their allowed values; the first value is the strict default (never hashed).
POLICIES = {"fractional": ("refuse", "floor"), "journal_check": ("enforced", "waived")}
ROLES_FORMAT = "pos-ledger-roles/1"
_DEFINITION_KEYS = ("description", "time_axis", "include", "exclude")


#: Glob bounds (docs/LEDGER.md, "Input limits"): a glob is at most as long as an account path and
#: has at most `MAX_GLOB_STARS` unbounded wildcards once runs are collapsed (`glob_tokens`).
MAX_GLOB_LENGTH = 256
MAX_GLOB_STARS = 4
_RUNS = re.compile(r"[*?]+|[^*?]+")

#: A glob as a token list: ("lit", text); ("one", n): n characters other than ":"; ("seg", 0):
#: any run of characters other than ":"; ("deep", 0): any string.
GlobToken = tuple[str, str | int]


def _run_tokens(run: str) -> list[GlobToken]:
    """One run of ``*`` and ``?`` (read left to right as the glob is: ``**`` first, then ``*``)."""
    pieces: list[list[str]] = [[]]  # the single wildcards between ``**``
    i = 0
    while i < len(run):
        if run.startswith("**", i):
            pieces.append([])
            i += 2
        else:
            pieces[-1].append(run[i])
            i += 1
    out: list[GlobToken] = []
    for k, piece in enumerate(pieces):
        if k:
            out.append(("deep", 0))
        ones = piece.count("?")
        if ones:
            out.append(("one", ones))
        # A single ``*`` beside ``**`` adds nothing (``[^:]{n,}.*`` is ``[^:]{n}.*``); alone it is
        # "at least n characters of one segment", whatever the order of its ``?``.
        if "*" in piece and len(pieces) == 1:
            out.append(("seg", 0))
    merged: list[GlobToken] = []
    for token in out:
        if not (token == ("deep", 0) and merged and merged[-1] == ("deep", 0)):
            merged.append(token)
    return merged


def glob_tokens(pattern: str) -> list[GlobToken]:
    """`pattern` as tokens with no two adjacent unbounded ones.

    In a run of wildcards the order of ``?`` and single ``*`` does not matter, a single ``*``
    next to ``**`` adds nothing, and ``**`` next to ``**`` is one: collapsing runs so removes
    every pair of adjacent quantifiers (``*****`` was many nested ways to split the same text,
    catastrophic backtracking).
    """
    out: list[GlobToken] = []
    for run in _RUNS.findall(pattern):
        out.extend([("lit", run)] if run[0] not in "*?" else _run_tokens(run))
    return out


def glob_regex_body(pattern: str, escape: Callable[[str], str] = re.escape) -> str:
    """The (unanchored) regular expression of a glob, valid in Python ``re`` and PCRE, with no
    two adjacent quantifiers: its backtracking is polynomial of degree the number of unbounded
    wildcards (`glob_tokens`), which the definitions parser bounds."""
    parts = []
    for token in glob_tokens(pattern):
        kind = token[0]
        if kind == "lit":
            parts.append("".join(escape(c) for c in str(token[1])))
        elif kind == "one":
            parts.append("[^:]" if token[1] == 1 else f"[^:]{{{token[1]}}}")
        else:
            parts.append("[^:]*" if kind == "seg" else ".*")
    return "".join(parts)


def _stars(pattern: str) -> int:
    return sum(1 for t in glob_tokens(pattern) if t[0] in ("seg", "deep"))


def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """The glob as a Python regular expression (full match). For matching use `compile_glob`,
    which does not backtrack on globs with more than two unbounded wildcards."""
    return re.compile(glob_regex_body(pattern))


def glob_problem(pattern: str) -> str | None:
    """Why `pattern` is outside the glob bounds ("is longer than ...", "has ..."), or None."""
    if len(pattern) > MAX_GLOB_LENGTH:
        return f"is longer than {MAX_GLOB_LENGTH} characters (an account path is at most {MAX_GLOB_LENGTH})"
    stars = _stars(pattern)
    if stars > MAX_GLOB_STARS:
        return f"has {stars} unbounded wildcards (at most {MAX_GLOB_STARS}; a run of stars like '*****' counts as one)"
    return None


class GlobMatcher:
    """Full-match of a glob by the set of reachable positions, linear in the text for each token:
    no backtracking whatever the glob (used for globs with more than two unbounded wildcards)."""

    __slots__ = ("pattern", "tokens")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.tokens = glob_tokens(pattern)

    def fullmatch(self, text: str) -> bool:
        n = len(text)
        here = {0}
        for token in self.tokens:
            kind = token[0]
            if kind == "lit":
                lit = str(token[1])
                here = {p + len(lit) for p in here if text.startswith(lit, p)}
            elif kind == "one":
                k = int(token[1])
                here = {p + k for p in here if p + k <= n and ":" not in text[p:p + k]}
            elif kind == "seg":
                reach: set[int] = set()
                for p in sorted(here):
                    while p not in reach:
                        reach.add(p)
                        if p == n or text[p] == ":":
                            break
                        p += 1
                here = reach
            elif here:
                here = set(range(min(here), n + 1))
            if not here:
                return False
        return n in here


def compile_glob(pattern: str) -> re.Pattern[str] | GlobMatcher:
    """A matcher with ``fullmatch(text)`` for the glob: its regex when it has at most two unbounded
    wildcards (quadratic at worst, and fastest), else a `GlobMatcher`."""
    if _stars(pattern) <= 2:
        return glob_to_regex(pattern)
    return GlobMatcher(pattern)


@dataclass(frozen=True, slots=True)
class Selector:
    path: str | None = None
    namespace: str | None = None
    type: str | None = None
    legal_entity: str | None = None
    currency: tuple[str, ...] | None = None
    role: str | None = None

    def canonical(self) -> dict[str, object]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k in _SELECTOR_KEYS if (v := getattr(self, k)) is not None}

    def matches_account(self, account: AccountInfo, roles: BankRoles | None = None) -> bool:
        if self.role is not None:
            if roles is None:
                raise DefinitionError("a selector by bank role needs a role resolution (bind the definitions to the ledger first)")
            held = roles.role_of(account.path)
            if held is None or (self.role != ANY_ROLE and held != self.role):
                return False
        if self.path is not None and not _compiled(self.path).fullmatch(account.path):
            return False
        if self.namespace is not None and not _compiled(self.namespace).fullmatch(account.namespace):
            return False
        if self.type is not None and account.path.split(":", 1)[0] != self.type:
            return False
        if self.legal_entity is not None and account.legal_entity != self.legal_entity:
            return False
        return True

    def matches(self, account: AccountInfo, currency: str, roles: BankRoles | None = None) -> bool:
        return (self.currency is None or currency in self.currency) and self.matches_account(account, roles)


@dataclass(frozen=True, slots=True)
class BankRoles:
    """Which ledger accounts are the bank's own wallets, by role, and where that was read from.

    ``wallets`` is ``((account path, role), ...)`` sorted by path; ``source`` says how it was
    resolved (printed, not hashed). ``canonical`` is what a bound definition's hash covers.
    """

    wallets: tuple[tuple[str, str], ...]
    source: str = ""

    def __post_init__(self) -> None:
        paths = [p for p, _ in self.wallets]
        if len(set(paths)) != len(paths):
            raise DefinitionError(f"bank roles ({self.source}): an account holds two roles")
        for path, role in self.wallets:
            if role not in ROLES:
                raise DefinitionError(f"bank roles ({self.source}): {path}: unknown role {role!r} (known: {', '.join(ROLES)})")

    @classmethod
    def of(cls, pairs: Mapping[str, str], source: str) -> BankRoles:
        return cls(tuple(sorted(pairs.items())), source)

    def role_of(self, path: str) -> str | None:
        return dict(self.wallets).get(path)

    def paths(self, role: str) -> tuple[str, ...]:
        return tuple(p for p, r in self.wallets if role in (r, ANY_ROLE))

    def canonical(self) -> list[list[str]]:
        return [[path, role] for path, role in self.wallets]

    def describe(self) -> list[str]:
        """One line per role, for printing: which wallets and from where."""
        lines = [f"bank roles from {self.source or 'an unnamed source'}:"]
        for role in ROLES:
            found = self.paths(role)
            lines.append(f"  {role:9} {', '.join(found) if found else '(no wallet)'}")
        return lines


_REGEX_CACHE: dict[str, re.Pattern[str] | GlobMatcher] = {}


def _compiled(pattern: str) -> re.Pattern[str] | GlobMatcher:
    regex = _REGEX_CACHE.get(pattern)
    if regex is None:
        regex = _REGEX_CACHE[pattern] = compile_glob(pattern)
    return regex


@dataclass(frozen=True, slots=True)
class BalanceDefinition:
    name: str
    time_axis: str
    include: tuple[Selector, ...]
    exclude: tuple[Selector, ...] = ()
    description: str = ""
    roles: BankRoles | None = None
    policies: tuple[tuple[str, str], ...] = ()

    @property
    def uses_roles(self) -> bool:
        return any(s.role is not None for s in self.include + self.exclude)

    def policy(self, name: str) -> str:
        return dict(self.policies).get(name, POLICIES[name][0])

    def canonical(self) -> bytes:
        body: dict[str, object] = {
            "exclude": [s.canonical() for s in self.exclude],
            "include": [s.canonical() for s in self.include],
            "name": self.name,
            "time_axis": self.time_axis,
            "v": 1,
        }
        if self.uses_roles:
            if self.roles is None:
                raise DefinitionError(f"definition {self.name!r} selects wallets by bank role: bind it to a role resolution before hashing it")
            body["roles"] = self.roles.canonical()
        strict = {k: v[0] for k, v in POLICIES.items()}
        chosen = {k: v for k, v in self.policies if strict[k] != v}
        if chosen:
            body["policies"] = chosen
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(b"pos-ledger-definition/1\x00" + self.canonical()).hexdigest()

    def matches(self, account: AccountInfo, currency: str) -> bool:
        return any(s.matches(account, currency, self.roles) for s in self.include) and not any(
            s.matches(account, currency, self.roles) for s in self.exclude
        )

    def currencies_for(self, account: AccountInfo) -> frozenset[str]:
        """The currencies in which `account` belongs to this definition (empty: not at all)."""
        return frozenset(code for code in CURRENCIES if self.matches(account, code))


def _selector(raw: object, where: str) -> Selector:
    if not isinstance(raw, dict):
        raise DefinitionError(f"{where}: a selector must be a table, not {type(raw).__name__}")
    unknown = sorted(set(raw) - set(_SELECTOR_KEYS))
    if unknown:
        raise DefinitionError(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(_SELECTOR_KEYS)})")
    if not raw:
        raise DefinitionError(f"{where}: empty selector (it would match every account); give at least one key")
    for key in ("path", "namespace"):
        if key in raw:
            value = raw[key]
            if not isinstance(value, str) or not _GLOB_CHARS.fullmatch(value):
                shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:60] + "..."
                raise DefinitionError(f"{where}.{key}: not a valid glob over account paths: {shown}")
            problem = glob_problem(value)
            if problem:
                raise DefinitionError(f"{where}.{key}: glob {value[:60]!r} {problem}")
    if "type" in raw and raw["type"] not in ACCOUNT_TYPES:
        raise DefinitionError(f"{where}.type: {raw['type']!r} is not one of {', '.join(ACCOUNT_TYPES)}")
    if "legal_entity" in raw and (not isinstance(raw["legal_entity"], str) or not raw["legal_entity"]):
        raise DefinitionError(f"{where}.legal_entity: must be a non-empty string")
    if "role" in raw and raw["role"] not in (*ROLES, ANY_ROLE):
        raise DefinitionError(f"{where}.role: {raw['role']!r} is not one of {', '.join((*ROLES, ANY_ROLE))}")
    currency = None
    if "currency" in raw:
        value = raw["currency"]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            raise DefinitionError(f"{where}.currency: must be a currency code or a non-empty list of codes")
        for code in value:
            if code not in CURRENCIES:
                raise DefinitionError(f"{where}.currency: unknown currency {code!r} (known: {', '.join(CURRENCIES)})")
        currency = tuple(sorted(set(value)))
    return Selector(raw.get("path"), raw.get("namespace"), raw.get("type"), raw.get("legal_entity"), currency, raw.get("role"))


def _definition(name: str, raw: object, where: str) -> BalanceDefinition:
    if not _NAME.fullmatch(name):
        raise DefinitionError(f"{where}: definition names are lower-case [a-z0-9-], at most 64 characters")
    if not isinstance(raw, dict):
        raise DefinitionError(f"{where}: must be a table")
    unknown = sorted(set(raw) - set(_DEFINITION_KEYS))
    if unknown:
        raise DefinitionError(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(_DEFINITION_KEYS)})")
    axis = raw.get("time_axis")
    if axis not in TIME_AXES:
        raise DefinitionError(f"{where}.time_axis: must be \"committed\" or \"reporting\" (got {axis!r})")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise DefinitionError(f"{where}.description: must be a string")
    include = raw.get("include")
    if not isinstance(include, list) or not include:
        raise DefinitionError(f"{where}.include: must be a non-empty array of selectors")
    exclude = raw.get("exclude", [])
    if not isinstance(exclude, list):
        raise DefinitionError(f"{where}.exclude: must be an array of selectors")
    return BalanceDefinition(
        name=name,
        time_axis=axis,
        include=tuple(_selector(s, f"{where}.include[{i}]") for i, s in enumerate(include)),
        exclude=tuple(_selector(s, f"{where}.exclude[{i}]") for i, s in enumerate(exclude)),
        description=description,
    )


#: A definitions or roles file is at most this many bytes (the packaged one is 2 KB).
MAX_TOML_BYTES = 1 << 20


def _toml(text: str, source: str) -> dict[str, object]:
    """Parse TOML within bounds: size, and the parser's own limits (a 5,000-digit integer, 5,000
    nested arrays) reported as invalid TOML instead of ValueError or RecursionError."""
    if len(text) > MAX_TOML_BYTES:
        raise DefinitionError(f"{source}: larger than {MAX_TOML_BYTES} bytes")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(f"{source}: not valid TOML: {exc}") from None
    except ValueError as exc:  # an integer over Python's 4,300-digit conversion limit
        raise DefinitionError(f"{source}: not valid TOML: {str(exc)[:80]}") from None
    except RecursionError:
        raise DefinitionError(f"{source}: not valid TOML: nested too deeply") from None


def parse_definitions(text: str, source: str = "<string>") -> Mapping[str, BalanceDefinition]:
    raw = _toml(text, source)
    unknown = sorted(set(raw) - {"format", "definitions"})
    if unknown:
        raise DefinitionError(f"{source}: unknown top-level key(s) {', '.join(unknown)} (allowed: format, definitions)")
    if raw.get("format") != FORMAT:
        raise DefinitionError(f"{source}: format: expected {FORMAT!r} (got {raw.get('format')!r})")
    table = raw.get("definitions")
    if not isinstance(table, dict) or not table:
        raise DefinitionError(f"{source}: definitions: at least one [definitions.<name>] table is required")
    out = {name: _definition(name, body, f"{source}: definitions.{name}") for name, body in table.items()}
    return MappingProxyType(dict(sorted(out.items())))


def load_definitions(path: str | None = None) -> Mapping[str, BalanceDefinition]:
    """Load a definitions file; None loads the packaged default for a Galoy-style bank."""
    if path is None:
        source = f"ledger/definitions/{DEFAULT_FILE}"
        text = resources.files(__name__).joinpath(DEFAULT_FILE).read_text(encoding="utf-8")
    else:
        source = str(path)
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_TOML_BYTES + 1)
        except OSError as exc:
            raise DefinitionError(f"{source}: cannot read: {exc.strerror}") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise DefinitionError(f"{source}: not UTF-8") from None
    return parse_definitions(text, source)


def bind(
    definitions: Mapping[str, BalanceDefinition], roles: BankRoles | None, policies: Mapping[str, str] | None = None,
) -> Mapping[str, BalanceDefinition]:
    """The definitions with `roles` attached (to those that select by role) and the read
    `policies` recorded in every one; both then count in each ``content_hash``."""
    chosen = dict(policies or {})
    for name, value in chosen.items():
        if name not in POLICIES or value not in POLICIES[name]:
            raise DefinitionError(f"unknown read policy {name}={value!r} (known: {POLICIES})")
    frozen = tuple(sorted(chosen.items()))
    out = {}
    for name, d in definitions.items():
        if d.uses_roles and roles is None:
            raise DefinitionError(f"definition {name!r} selects wallets by bank role but no role resolution was found")
        out[name] = replace(d, roles=roles if d.uses_roles else None, policies=frozen)
    return MappingProxyType(out)


def convention_roles(paths: Iterable[str], source: str = "the toolkit's path convention") -> BankRoles:
    """Roles by the readable paths the toolkit's own ledgers use: ``Liabilities:bankowner``,
    ``Liabilities:funder`` and ``Liabilities:dealer:<currency>``."""
    found: dict[str, str] = {}
    for path in paths:
        if path in ("Liabilities:bankowner", "Liabilities:funder"):
            found[path] = path.split(":")[1]
        elif path.startswith("Liabilities:dealer:"):
            found[path] = "dealer"
    return BankRoles.of(found, source)


def load_roles(path: str) -> BankRoles:
    """A role override file (TOML): ``format = "pos-ledger-roles/1"`` and a ``[roles]`` table
    mapping each role to a list of account paths, e.g. ``dealer = ["Liabilities:<id>", ...]``."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_TOML_BYTES + 1)
    except OSError as exc:
        raise DefinitionError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        raw = _toml(data.decode("utf-8"), path)
    except UnicodeDecodeError:
        raise DefinitionError(f"{path}: not UTF-8") from None
    if set(raw) - {"format", "roles"} or raw.get("format") != ROLES_FORMAT:
        raise DefinitionError(f"{path}: expected exactly format = {ROLES_FORMAT!r} and a [roles] table")
    table = raw.get("roles")
    if not isinstance(table, dict) or set(table) - set(ROLES):
        raise DefinitionError(f"{path}: roles: a table whose keys are among {', '.join(ROLES)}")
    found: dict[str, str] = {}
    for role, accounts in table.items():
        if not isinstance(accounts, list) or not all(isinstance(a, str) and a.startswith("Liabilities:") for a in accounts):
            raise DefinitionError(f"{path}: roles.{role}: a list of Liabilities:<walletId> paths")
        for account in accounts:
            if account in found:
                raise DefinitionError(f"{path}: {account} is listed under {found[account]} and {role}")
            found[account] = role
    return BankRoles.of(found, f"override file {path}")


#: A merged regex of the plain path selectors, and the other selectors with their currencies.
_Prepared = tuple[re.Pattern[str] | None, tuple[tuple[Selector, frozenset[str]], ...]]


class CompiledDefinition:
    """A definition prepared for evaluating many accounts quickly (the bulk balance query).

    Selectors that test only ``path`` are merged into one alternation regex per side, so a typical
    customer-liabilities definition costs two regex matches per account.
    """

    __slots__ = ("definition", "_include", "_exclude", "_all")

    def __init__(self, definition: BalanceDefinition) -> None:
        self.definition = definition
        self._all = frozenset(CURRENCIES)
        self._include = self._prepare(definition.include)
        self._exclude = self._prepare(definition.exclude)

    def _prepare(self, selectors: tuple[Selector, ...]) -> _Prepared:
        def plain(s: Selector) -> bool:  # a path-only selector whose glob is safe to merge
            return s.path is not None and s.canonical().keys() == {"path"} and isinstance(compile_glob(s.path), re.Pattern)

        simple = [s.path for s in selectors if s.path is not None and plain(s)]
        rest = tuple((s, frozenset(s.currency) if s.currency is not None else self._all) for s in selectors if not plain(s))
        merged = re.compile("|".join(f"(?:{glob_to_regex(p).pattern})" for p in simple)) if simple else None
        return merged, rest

    def _side(self, prepared: _Prepared, account: AccountInfo) -> frozenset[str]:
        merged, rest = prepared
        if merged is not None and merged.fullmatch(account.path):
            return self._all
        found: frozenset[str] = frozenset()
        for selector, codes in rest:
            if selector.matches_account(account, self.definition.roles):
                found = found | codes
        return found

    def currencies(self, account: AccountInfo) -> frozenset[str]:
        included = self._side(self._include, account)
        if not included:
            return included
        excluded = self._side(self._exclude, account)
        return included - excluded if excluded else included
