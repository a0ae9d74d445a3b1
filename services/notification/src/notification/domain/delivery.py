"""What becomes of one message: its statuses, what a try can end in, and when a message
that could not go is tried again (or given up).

A message is `queued`, then `sending` while a sender holds it (a lease, so that a sender
that died does not hold it for ever), then `sent` once the mail server or the SMS provider
took it; a temporary failure makes it `retrying` until its next attempt; a refusal for good,
or temporary failures for longer than the policy allows, make it `failed`. An SMS provider
reports later whether it was `delivered` or `undelivered` (or `failed`)."""

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class MessageStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    RETRYING = "retrying"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    UNDELIVERED = "undelivered"


@dataclass(frozen=True)
class Sent:
    """The mail server or the provider took the message."""

    provider_id: str | None = None


@dataclass(frozen=True)
class Rejected:
    """Refused for good: the message fails with this reason."""

    reason: str


@dataclass(frozen=True)
class Deferred:
    """Not now: try again later (after `retry_after` seconds if the other end said so)."""

    reason: str
    retry_after: float | None = None
    slow_down: bool = False


Outcome = Sent | Rejected | Deferred


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: the n-th temporary failure waits between half and
    all of `base_s * 2**(n-1)` (at most `cap_s`), and never less than the other end's
    Retry-After. A message still not sent `give_up_after_s` after it was queued fails."""

    base_s: float = 1.0
    cap_s: float = 300.0
    give_up_after_s: float = 24 * 3600.0

    def delay_s(
        self, attempts: int, retry_after: float | None, random: Callable[[], float]
    ) -> float:
        ceiling = min(self.cap_s, self.base_s * math.pow(2, max(attempts - 1, 0)))
        jittered = ceiling / 2 + random() * ceiling / 2
        return max(jittered, retry_after or 0.0)

    def next_attempt(
        self,
        *,
        attempts: int,
        queued_at: datetime,
        now: datetime,
        retry_after: float | None,
        random: Callable[[], float],
    ) -> datetime | None:
        """When to try again after `attempts` tries; None when it is time to give up."""
        at = now + timedelta(seconds=self.delay_s(attempts, retry_after, random))
        if at - queued_at > timedelta(seconds=self.give_up_after_s):
            return None
        return at


# What an SMS provider's status callback says (Twilio's MessageStatus), as a final status;
# the statuses on the way (queued, accepted, sending, sent) change nothing.
FINAL_SMS_STATUSES = {
    "delivered": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
}
