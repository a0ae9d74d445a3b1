"""The one clock of every service: time is read in Python and passed to SQL, never taken
from the database's `now()`, so tests can fix it and every row of one change agrees."""

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)
