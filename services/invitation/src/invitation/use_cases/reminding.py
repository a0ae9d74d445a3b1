"""Reminders: an invited person who has not registered gets a fresh link with reminder
wording; their earlier links die. Never twice within REMINDER_GAP, and only while the
invitation is pending or expired (the store's compare-and-set checks both)."""

from collections.abc import Sequence

from onboarding_contracts import InvitationIssued, Origin, ReminderRequested
from onboarding_contracts.events import LinkPolicy
from onboarding_kit.clock import Clock

from invitation.domain.resends import REMINDER_GAP
from invitation.store import InvitationTransaction
from invitation.use_cases import SOURCE
from invitation.use_cases.sending import Links


async def send_reminders(
    tx: InvitationTransaction,
    requests: Sequence[ReminderRequested],
    *,
    links: Links,
    clock: Clock,
) -> None:
    """Remind each enrolment these events ask for. One that cannot be reminded (accepted,
    revoked, reminded in the last hour, never invited) is skipped: the enrolment service
    asked in good faith, and there is nothing to tell it."""
    at = clock()
    reminders: list[InvitationIssued] = []
    for request in requests:
        policy = request.data.link_policy or LinkPolicy()
        token, link = links.new_link(request.tenant_id, request.data.enrolment_id, policy, at)
        reminded = await tx.lifecycle.remind(link, reminded_before=at - REMINDER_GAP)
        if reminded is not None:
            origin = Origin.reacting_to(request, SOURCE)
            reminders.append(links.issued(origin, reminded, token, "reminder", request.time))
    await tx.publish(reminders)
