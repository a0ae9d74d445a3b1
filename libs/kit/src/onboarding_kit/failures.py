"""What kind of failure an error is, which decides what a consumer does about it.

- an outage: the database or broker cannot do the work now (a lost connection, a deadlock,
  a serialization failure, too many connections, a shutdown). Not the event's fault: the
  batch is rewound and retried with growing pauses, and nothing is dead-lettered for it.
- slow: the work timed out (the client's timeout, or PostgreSQL's statement timeout). Retried
  patiently for this one event, then parked on the dead-letter topic (replayable), so one
  slow event cannot stall its partition forever.
- the event's own: a rule or constraint refuses it. Retried a few times, then parked.

Classified by SQLSTATE class where PostgreSQL gives one: 08 connection exception, 40
transaction rollback (40001 serialization failure, 40P01 deadlock), 53 insufficient
resources, 57P operator intervention (57P01 admin shutdown, 57P02 crash shutdown, 57P03
cannot connect now) are outages; 57014 query canceled is slow.
"""

from enum import Enum

import asyncpg

OUTAGE_SQLSTATE_PREFIXES = ("08", "40", "53", "57P")
QUERY_CANCELED = "57014"


class Failure(Enum):
    OUTAGE = "outage"
    SLOW = "slow"
    EVENT = "event"


def classify(error: BaseException) -> Failure:
    if isinstance(error, TimeoutError):  # before OSError, of which it is a subclass
        return Failure.SLOW
    if isinstance(error, asyncpg.PostgresError):
        sqlstate = getattr(error, "sqlstate", None) or ""
        if sqlstate == QUERY_CANCELED:
            return Failure.SLOW
        if sqlstate.startswith(OUTAGE_SQLSTATE_PREFIXES):
            return Failure.OUTAGE
        return Failure.EVENT
    if isinstance(error, OSError | asyncpg.InterfaceError):
        return Failure.OUTAGE  # connections refused, reset or closed; the mail server down
    return Failure.EVENT
