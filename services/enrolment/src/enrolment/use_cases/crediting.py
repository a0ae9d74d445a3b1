"""Credentials for people who skip the sign-up form (seed 003 option 2, seed 004 "Send
Initial Invitation" / "SMS Initial User Credentials"): for each person selected, a
CredentialsRequested through the outbox; the invitation service sends their sign-in name
(their email address) and a single-use link that sets their password, by email or SMS.
The enrolment is invited once that link is out (`reactions.invitation_issued`)."""

from collections.abc import Sequence
from dataclasses import dataclass

from onboarding_contracts import CredentialsRequested, Origin
from onboarding_contracts.events import Channel, CredentialsRequestedData, LinkPolicy
from onboarding_kit.clock import Clock
from onboarding_kit.uow import UnitOfWork

from enrolment.domain.selection import PeopleSelection
from enrolment.domain.statuses import CREDENTIALS_FROM
from enrolment.store import EnrolmentTransaction
from enrolment.store.enrolments import Enrolment
from enrolment.use_cases.caller import Caller
from enrolment.use_cases.changes import activate_known_accounts

# People per transaction: a course of 100,000 neither holds one huge transaction (and its
# locks) nor pays a commit per person.
CREDENTIALS_BATCH_SIZE = 2000


@dataclass(frozen=True)
class CredentialsSent:
    requested: int  # credentials asked for
    activated: int  # had an account in the tenant by now: active at once instead
    unreachable: int  # by SMS, with no phone number on file


async def _request(
    tx: EnrolmentTransaction,
    origin: Origin,
    enrolments: Sequence[Enrolment],
    channel: Channel | None,
    link_policy: LinkPolicy,
) -> None:
    titles = await tx.courses.titles_of(origin.tenant_id, {e.course for e in enrolments})
    await tx.publish(
        [
            CredentialsRequested.new(
                origin,
                CredentialsRequestedData.from_fields(
                    e,
                    enrolment_id=e.id,
                    channel=channel or e.channel,
                    course_title=titles.get(e.course),
                    link_policy=link_policy,
                ),
            )
            for e in enrolments
        ]
    )


async def send_credentials(
    uow: UnitOfWork[EnrolmentTransaction],
    clock: Clock,
    caller: Caller,
    selection: PeopleSelection,
    channel: Channel | None,
    *,
    batch_size: int = CREDENTIALS_BATCH_SIZE,
) -> CredentialsSent:
    """Credentials for everyone selected who has not registered (enrolled, invited, expired
    or failed), by `channel` or each person's own, a batch per transaction in id order. Their
    current invitation link, if any, dies when the new one is sent."""
    selection.check_names_someone("send credentials to")
    requested = activated = unreachable = 0
    after: str | None = None
    while True:
        at = clock()
        async with uow() as tx:
            batch = await tx.bulk.batch(
                caller.tenant_id, selection, CREDENTIALS_FROM, after, batch_size
            )
            link_policy = (await tx.tenants.settings(caller.tenant_id)).link_policy
            known, rest = await activate_known_accounts(tx, caller.origin, batch, at)
            reachable = [e for e in rest if (channel or e.channel) == "email" or e.phone]
            await tx.enrolments.mark_invitation_requested([e.id for e in reachable], at)
            await _request(tx, caller.origin, reachable, channel, link_policy)
        requested += len(reachable)
        activated += len(known)
        unreachable += len(rest) - len(reachable)
        if len(batch) < batch_size:
            return CredentialsSent(requested, activated, unreachable)
        after = batch[-1].id
