"""The liabilities an epoch commits to: per-user balances and the hash-chain digest at one cut-off.

`read_liabilities` is the one way to read them, used by `solvency tree build --db` and by
`solvency publish` (docs/SPEC.md section 11.5, phase 1):

* the store is opened without creating it (a missing or unreadable ledger is a `LedgerCutError`
  naming it, never a new empty ledger);
* a cut-off in the future is refused (`CutOffError`): the committed axis is assigned by the store
  from the wall clock, so an entry committed later could still fall before a future cut-off and
  the balances would change after publication;
* the balances are those of the balance definition as of the cut-off on the definition's axis
  (`Store.user_balances`);
* the definition is bound to the ledger (`Store.bind_definitions`): its bank roles (Galoy's role
  wallets, an override file, or the toolkit's readable paths) and the read policies given with the
  ledger URI (docs/MONGO.md, "Policies") become part of its content hash, so the commitment names
  exactly which wallets were left out as the bank's own and how the ledger was read;
* a ledger with a journal that does not balance per currency at the cut-off is refused, naming
  the journal and currency, unless told to commit anyway (``--allow-unbalanced-journals``, or the URI
  option ``journal_check=waived``; recorded);
* the digest is the one *at the cut-off* on the committed axis -- the last entry with
  ``committed_at <= as_of`` -- not the head at build time, or an auditor replaying the chain to
  that digest would find other balances than the committed ones. Each store answers it from its
  own index (`Store.digest_as_of`; the store contract tests check it against a replay).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ledger.chain import LedgerDigest
from ledger.clock import now_us, parse_time
from ledger.definitions import BalanceDefinition, load_definitions
from ledger.errors import DefinitionError, LedgerError, UnbalancedJournals
from ledger.open import open_store
from ledger.store import Store
from solvency.tree.balances import Balances, BalancesRejected, from_ledger_rows
from verifier.commitment import BalanceDefinition as CommittedDefinition
from verifier.commitment import LedgerDigest as CommittedDigest


class LedgerCutError(ValueError):
    """The liabilities cannot be read at this cut-off; the message says why, in one line (or the
    list of rejected balances)."""


class CutOffError(LedgerCutError):
    """The cut-off cannot be committed to (it lies in the future)."""


@dataclass(frozen=True, slots=True)
class Liabilities:
    """What a commitment built from the ledger binds: the balances, the definition and the digest."""

    as_of: str
    definition: BalanceDefinition
    digest: LedgerDigest
    balances: Balances
    notes: tuple[str, ...] = ()  # the role resolution, waived journals and floored balances, in words

    @property
    def balance_definition(self) -> CommittedDefinition:
        """The commitment's ``balance_definition`` member (SPEC 4)."""
        return CommittedDefinition(self.definition.name, bytes.fromhex(self.definition.content_hash))

    @property
    def ledger_digest(self) -> CommittedDigest:
        """The commitment's ``ledger_digest`` member (SPEC 4): the digest at the cut-off."""
        return CommittedDigest(self.digest.entry_count, bytes.fromhex(self.digest.head_hash))


def digest_as_of(store: Store, as_of: str) -> LedgerDigest:
    """Entry count and head hash of the ledger restricted to entries committed at or before `as_of`."""
    cut = parse_time(as_of)
    if cut > now_us():
        raise CutOffError(f"the cut-off {as_of} is in the future; entries committed before it could still arrive")
    return store.digest_as_of(cut)


def choose_definition(name: str, definitions_file: str | None = None) -> BalanceDefinition:
    """The named balance definition of `definitions_file` (default: the packaged one)."""
    try:
        definitions = load_definitions(definitions_file)
    except (DefinitionError, OSError) as exc:
        raise LedgerCutError(str(exc)) from None
    if name not in definitions:
        raise LedgerCutError(f"unknown balance definition {name!r} (known: {', '.join(sorted(definitions))})")
    return definitions[name]


def read_liabilities(
    db: str,
    definition: str,
    as_of: str,
    currencies: tuple[str, ...],
    *,
    definitions_file: str | None = None,
    exclude_negative: bool = False,
    lap: Callable[[str], None] | None = None,
    read_options: Mapping[str, str | None] | None = None,
) -> Liabilities:
    """The per-user balances of `definition` and the ledger digest, both at the cut-off `as_of`
    (``YYYY-MM-DDTHH:MM:SSZ``). `lap`, when given, is called after each step with its name (timings).
    `read_options` (``fractional``, ``journal_check``, ``roles``: the flags) add to those of the URI;
    one given both ways with different values is refused (`LedgerCutError`)."""
    step = lap or (lambda name: None)
    try:
        cut = parse_time(as_of)
    except ValueError as exc:
        raise LedgerCutError(str(exc)) from None
    if cut > now_us():
        raise CutOffError(f"the cut-off {as_of} is in the future; entries committed before it could still arrive")
    chosen = choose_definition(definition, definitions_file)
    options = _merged_read_options(db, read_options)
    notes: list[str] = []
    try:
        with open_store(db, create=False) as store:
            store.set_read_options(**options)
            chosen = store.bind_definitions({chosen.name: chosen})[chosen.name]
            if chosen.roles is not None:
                notes.extend(chosen.roles.describe())
            unbalanced = store.unbalanced_journals(cut)
            if unbalanced and store.journal_check == "enforced":
                raise LedgerCutError(f"the ledger {db} fails the per-journal balance check: {UnbalancedJournals(unbalanced)} "
                                     "(commit it anyway only with the recorded --allow-unbalanced-journals)")
            notes.extend(f"journal check waived: journal {j} {c} off by {d}" for j, c, d in unbalanced)
            step("bank roles and per-journal check")
            digest = store.digest_as_of(cut)
            step("ledger digest at the cut-off")
            rows = list(store.user_balances(chosen, as_of))
            notes.extend(f"fractional balance floored: {a} {c} {exact} -> {floored}" for a, c, exact, floored in store.fractional_adjustments())
            step("ledger per-user balances")
    except (LedgerError, DefinitionError, OSError, ValueError, sqlite3.Error) as exc:
        raise LedgerCutError(f"cannot read the ledger {db}: {_without_path(str(exc), db)}") from None
    try:
        balances = from_ledger_rows(rows, currencies, source=f"{db} ({definition} as of {as_of})", exclude_negative=exclude_negative)
    except BalancesRejected as exc:
        raise LedgerCutError(str(exc)) from None
    step("validation and pivot")
    return Liabilities(as_of, chosen, digest, balances, tuple(notes))


def _merged_read_options(db: str, given: Mapping[str, str | None] | None) -> dict[str, str]:
    """The read policies given as flags (`given`; None values are absent). On a MongoDB URI the
    same policies may also be URI options (docs/MONGO.md 11.2): one given both ways with two
    different values is refused, naming both, rather than one silently winning."""
    flags = {k: v for k, v in (given or {}).items() if v is not None}
    if not flags or not db.startswith(("mongodb://", "mongodb+srv://")):
        return flags
    from ledger.mongo import read_options as uri_read_options

    try:
        in_uri = uri_read_options(db)
    except ValueError as exc:
        raise LedgerCutError(f"cannot read the ledger URI: {exc}") from None
    for key in sorted(flags):
        if key in in_uri and in_uri[key] != flags[key]:
            raise LedgerCutError(f"the read policy {key} is given twice with different values: {FLAG_NAMES[key]} says "
                                 f"{flags[key]!r}, the ledger URI option {key}={in_uri[key]} says otherwise; give it once")
    return flags


#: The command-line flag of each read policy (docs/MONGO.md 11.2), for messages.
FLAG_NAMES = {"fractional": "--fractional", "journal_check": "--allow-unbalanced-journals", "roles": "--roles"}


def _without_path(message: str, db: str) -> str:
    for path in (db, db.removeprefix("sqlite:///")):
        message = message.removeprefix(f"{path}: ")
    return message
