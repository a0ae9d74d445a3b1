"""Releasing usernames that registrations left reserved.

A registration whose redeem failed without a refusal (the invitation service unreachable,
its answer lost) keeps its reservation, so that the same form sent again can finish. If
nobody sends it again, the username would stay held for ever: after `ttl` it is released.
Should that redeem have gone through after all, the link stays used and the person asks
for a new invitation; the username is free for anyone again."""

from datetime import timedelta

from onboarding_kit.clock import Clock

from registration.store import RegistrationTransaction


async def release_stale_reservations(
    tx: RegistrationTransaction, *, ttl: timedelta, clock: Clock
) -> int:
    """Release the reservations older than `ttl` (a batch of them); how many were."""
    return await tx.accounts.release_reserved_before(clock() - ttl)
