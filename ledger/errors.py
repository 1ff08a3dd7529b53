"""Every exception the ledger raises, and `EntryError`, the problem record a rejection carries.

All of them except `DefinitionError` derive from `LedgerError`, so a caller that only needs "the
ledger refused" catches that one class. This module imports nothing of the ledger (it is the
bottom layer) and no driver: catching `MongoUnavailable` or `MediciDocumentError` does not load
pymongo or bson.

Messages name what was refused and why, and never carry secrets (a MongoDB URI's password is not
part of any message).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class LedgerError(Exception):
    """Base class of the ledger's exceptions."""


@dataclass(frozen=True, slots=True)
class EntryError:
    """One problem of one entry of a batch: its index in the batch, the field and the reason."""

    index: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"entry {self.index}: {self.field}: {self.reason}"


class BatchRejected(LedgerError):
    """A batch was refused; nothing of it was written. `errors` lists every problem found."""

    def __init__(self, errors: Sequence[EntryError]) -> None:
        self.errors = tuple(errors)
        shown = "; ".join(str(e) for e in self.errors[:5])
        more = f" (and {len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        super().__init__(f"batch rejected, {len(self.errors)} problem(s): {shown}{more}")


class UnknownEntry(LedgerError):
    """No entry with this id."""


class ChainBroken(LedgerError):
    """The stored entries do not form a valid hash chain. `seq` is the first bad entry."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(f"entry seq {seq}: {reason}")
        self.seq = seq
        self.reason = reason


class TrialBalanceNotZero(LedgerError):
    """The sum of all postings in some currency is not zero: the books do not balance."""


class StoreFormatError(LedgerError):
    """The file or database is not a ledger of a format this code understands, or is unusable."""


class ReadOnlyLedger(LedgerError):
    """Writing was refused: the database is a medici ledger the toolkit does not own."""


class MongoUnavailable(LedgerError):
    """The server cannot be reached or refused the connection (the message carries no password)."""


class MediciDocumentError(LedgerError):
    """A medici document cannot be read as ledger data. Names the collection, ``_id`` and field."""

    def __init__(self, collection: str, doc_id: object, field: str, reason: str) -> None:
        self.collection = collection
        self.doc_id = doc_id
        self.field = field
        self.reason = reason
        # An ObjectId is shown as its hex text; other ids (strings, numbers) as their repr. The
        # class is recognised by name so that this module does not import bson.
        shown = str(doc_id) if type(doc_id).__name__ == "ObjectId" else repr(doc_id)
        super().__init__(f"{collection} _id {shown}: {field}: {reason}")


class FractionalAmounts(MediciDocumentError):
    """medici legs hold non-integer amounts and the read policy refuses them. `legs` names every
    offending document as ``(leg _id, field, exact value)``; the first one is also the
    `MediciDocumentError` fields."""

    def __init__(self, legs: list[tuple[str, str, str]]) -> None:
        self.legs = tuple(legs)
        first_id, first_field, first_value = self.legs[0]
        super().__init__("medici_transactions", first_id, first_field, f"amount {first_value} is not a whole number of minor units")
        shown = "; ".join(f"medici_transactions _id {i}: {f} = {v}" for i, f, v in self.legs)
        self.args = (
            f"{len(self.legs)} leg(s) hold an amount that is not a whole number of minor units: {shown}; refused "
            "(Galoy floors such wallet balances; read them that way only with the explicit policy `--fractional floor`)",
        )


class UnbalancedJournals(LedgerError):
    """Entries whose legs do not balance per currency: ``(journal, currency, credit - debit)``."""

    def __init__(self, journals: list[tuple[str, str, str]]) -> None:
        self.journals = tuple(journals)
        shown = "; ".join(f"journal {j} {c}: credit - debit = {d}" for j, c, d in self.journals[:20])
        more = f" (and {len(self.journals) - 20} more)" if len(self.journals) > 20 else ""
        super().__init__(f"{len(self.journals)} unbalanced journal(s): {shown}{more}")


class ImportMismatch(LedgerError):
    """An imported copy differs from its source. `problems` lists every difference found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        shown = "; ".join(self.problems[:10])
        more = f" (and {len(self.problems) - 10} more)" if len(self.problems) > 10 else ""
        super().__init__(f"import check failed, {len(self.problems)} difference(s): {shown}{more}")


class DefinitionError(ValueError):
    """A balance definition file is malformed. The message names the file and the key."""
