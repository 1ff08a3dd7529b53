"""Time on the ledger's two axes, as integer microseconds since the Unix epoch (UTC).

* ``committed_at`` is assigned by the store inside the write transaction: ``max(wall clock,
  previous committed_at + 1)``. It is strictly increasing along the hash chain even if the wall
  clock steps back, so it is a total order shared by every process writing the ledger.
* ``reporting_at`` is the accounting time given by the caller (it may lie in the past); when the
  caller gives none, it equals ``committed_at``.

Text form (CLI, JSON Lines): RFC 3339 with an explicit offset (``2026-11-20T12:00:00Z``,
``...+01:00``); naive times are refused because their meaning depends on the machine.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

#: Upper bound (exclusive) of a timestamp: 10000-01-01T00:00:00Z.
MAX_TIME_US = 253_402_300_800_000_000


def now_us() -> int:
    return time.time_ns() // 1000


def time_problem(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return f"time must be integer microseconds since the epoch, not {type(value).__name__}"
    if not 0 <= value < MAX_TIME_US:
        return f"time {value} is outside 1970-01-01 .. 9999-12-31"
    return None


def parse_time(text: str) -> int:
    """RFC 3339 text with an offset -> microseconds. Raises ``ValueError`` with the reason."""
    if not isinstance(text, str):
        raise ValueError(f"time must be an RFC 3339 string, not {type(text).__name__}")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise ValueError(f"not an RFC 3339 time: {text!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no UTC offset (add Z or +00:00)")
    return to_us(moment)


def to_us(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give a timezone")
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    value = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    problem = time_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def format_time(us: int) -> str:
    """Microseconds -> ``2026-11-20T12:00:00.000001Z`` (always 6 fractional digits)."""
    seconds, micros = divmod(us, 1_000_000)
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{micros:06d}Z"


def as_time_us(value: datetime | int | str | None) -> int | None:
    """Normalise an as-of argument: None (now/head), datetime, RFC 3339 text or microseconds."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return to_us(value)
    if isinstance(value, str):
        return parse_time(value)
    problem = time_problem(value)
    if problem:
        raise ValueError(problem)
    return value
