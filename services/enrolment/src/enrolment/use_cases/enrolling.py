"""Enrolling people into a course, one at a time or a batch of an import at once."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from onboarding_contracts import EnrolmentActivated, EnrolmentCreated, Envelope, Origin
from onboarding_contracts.events import EnrolmentActivatedData, LinkPolicy
from onboarding_contracts.serialised import SerialisedEvent, serialised
from onboarding_kit.clock import Clock
from onboarding_kit.ids import IdFactory
from onboarding_kit.uow import UnitOfWork

from enrolment.domain.people import EVENT_FIELDS, Person
from enrolment.domain.policy import InvitePolicy, resolve_policy
from enrolment.domain.statuses import NewEnrolment, new_enrolment
from enrolment.errors import AlreadyEnrolled
from enrolment.store import EnrolmentTransaction
from enrolment.store.enrolments import Enrolment
from enrolment.use_cases.caller import Caller
from enrolment.use_cases.courses import require_course


@dataclass(frozen=True)
class Target:
    """Where people are enrolled (the course's code and title), whether they are invited at
    once, and the rules of the links they are sent: the tenant's and the course's, read once
    for a whole import, never per row."""

    course: str
    course_title: str | None
    policy: InvitePolicy
    link_policy: LinkPolicy
    import_id: str | None = None


async def enrol_person(
    uow: UnitOfWork[EnrolmentTransaction],
    clock: Clock,
    new_id: IdFactory,
    caller: Caller,
    course: str,
    person: Person,
    invite: InvitePolicy | None = None,
) -> Enrolment:
    """Enrol one person; they are invited unless the policy says by hand. Someone who
    already has an account in the tenant is active at once."""
    async with uow() as tx:
        title = await require_course(tx, caller.tenant_id, course)
        (await tx.courses.cohorts_of(caller.tenant_id, course)).check(person.cohort)
        settings = await tx.tenants.settings(caller.tenant_id)
        target = Target(
            course, title, resolve_policy(settings.invite_policy, invite), settings.link_policy
        )
        enrolment_id = new_id()
        inserted = await enrol_people(tx, caller.origin, target, [(enrolment_id, person)], clock())
        if enrolment_id not in inserted:
            raise AlreadyEnrolled(f"{person.email} is already enrolled in {course}")
        created = await tx.enrolments.get(caller.tenant_id, enrolment_id)
    assert created is not None
    return created


async def enrol_people(
    tx: EnrolmentTransaction,
    origin: Origin,
    target: Target,
    people: Sequence[tuple[str, Person]],
    at: datetime,
) -> set[str]:
    """Insert the (id, person) pairs not yet enrolled in the course, with their events;
    return the ids inserted."""
    accounts = await tx.accounts.of_emails(origin.tenant_id, [p.email for _, p in people])
    enrolments = [
        new_enrolment(enrolment_id, person, target.policy, accounts.get(person.email))
        for enrolment_id, person in people
    ]
    inserted = await tx.enrolments.insert_many(
        origin.tenant_id, target.course, target.import_id, enrolments, at
    )
    await tx.publish(
        [
            event
            for enrolment in enrolments
            if enrolment.id in inserted
            for event in _events_of(origin, target, enrolment)
        ]
    )
    return inserted


def _events_of(
    origin: Origin, target: Target, enrolment: NewEnrolment
) -> list[Envelope | SerialisedEvent]:
    """EnrolmentCreated for everyone; EnrolmentActivated too for someone who already has an
    account in the tenant (they are not invited again)."""
    p = enrolment.person
    # The person was validated by the domain: the event is written straight to its JSON,
    # with no model built and validated again, which keeps a 100,000-row import fast.
    created = serialised(
        EnrolmentCreated,
        origin,
        {
            "enrolment_id": enrolment.id,
            "course": target.course,
            "course_title": target.course_title,
            "import_id": target.import_id,
            "invite": enrolment.invite,
            "link_policy": target.link_policy,
            # email, name, external_id, role, cohort, phone, channel, locale
            **{name: getattr(p, name) for name in EVENT_FIELDS},
        },
    )
    if enrolment.account_id is None:
        return [created]
    activated = EnrolmentActivated.new(
        Origin(origin.source, origin.tenant_id, origin.correlation_id, created.id),
        EnrolmentActivatedData.from_fields(
            p, enrolment_id=enrolment.id, account_id=enrolment.account_id, course=target.course
        ),
    )
    return [created, activated]
