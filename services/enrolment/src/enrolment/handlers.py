"""Use cases of the enrolment service: one function per command or event."""

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from onboarding_contracts import (
    AccountActivated,
    EnrolmentActivated,
    EnrolmentCancelled,
    EnrolmentCreated,
    InvitationIssued,
    InvitationRequested,
    NotificationFailed,
    NotificationSent,
    RegistrationCompleted,
)
from onboarding_contracts.envelope import Envelope, new_event_id
from onboarding_contracts.events import (
    EnrolmentActivatedData,
    EnrolmentCancelledData,
    EnrolmentCreatedData,
    InvitationRequestedData,
)

from enrolment.domain import (
    EnrolmentStatus,
    InvalidEnrolment,
    InvitePolicy,
    Person,
    Row,
    RowError,
    can_cancel,
    can_invite,
    import_status,
    status_after_account_activated,
    status_after_invitation_issued,
    validate_changes,
)
from enrolment.store import EnrolmentStore, NewEnrolment, Selection, UnitOfWork

SOURCE = "/onboarding/enrolment"
IMPORT_BATCH_SIZE = 5000

IdFactory = Callable[[], str]


def new_id() -> str:
    return new_event_id()  # the same fast random UUID


class AlreadyEnrolled(ValueError):
    pass


class NotFound(LookupError):
    pass


class Conflict(ValueError):
    """The request is valid but the enrolment's state forbids it now."""


@dataclass(frozen=True)
class Request:
    """Who asks: the tenant and the correlation id every resulting event carries."""

    tenant_id: str
    correlation_id: str


# --- courses, cohorts, settings ----------------------------------------------------------


async def create_course(
    store: EnrolmentStore, request: Request, code: str, title: str
) -> dict[str, Any]:
    created = await store.create_course(request.tenant_id, code, title)
    if created is None:
        raise Conflict(f"course {code!r} already exists")
    return created


async def create_cohort(
    store: EnrolmentStore, request: Request, course: str, code: str, title: str
) -> dict[str, Any]:
    await require_course(store, request, course)
    created = await store.create_cohort(request.tenant_id, course, code, title)
    if created is None:
        raise Conflict(f"cohort {code!r} already exists in course {course!r}")
    return created


async def require_course(store: EnrolmentStore, request: Request, course: str) -> None:
    if not await store.course_exists(request.tenant_id, course):
        raise InvalidEnrolment(
            "course", f"unknown course {course!r}: create it first with POST /v1/courses"
        )


# --- enrolling ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where people are enrolled, and whether they are invited at once."""

    course: str
    policy: InvitePolicy
    import_id: str | None = None
    default_cohort: str | None = None


async def resolve_policy(
    store: EnrolmentStore, request: Request, override: InvitePolicy | None
) -> InvitePolicy:
    return override or InvitePolicy(await store.invite_policy(request.tenant_id))


def _events_for(request: Request, target: Target, enrolment: NewEnrolment) -> list[Envelope]:
    """EnrolmentCreated for everyone; EnrolmentActivated too for someone who already has an
    account in the tenant (they are not invited again)."""
    p = enrolment.person
    # The person was validated by the domain: building the payload without validating it
    # again keeps a 100,000-row import fast.
    created = EnrolmentCreated(
        source=SOURCE,
        subject=enrolment.id,
        tenant_id=request.tenant_id,
        correlation_id=request.correlation_id,
        data=EnrolmentCreatedData.model_construct(
            enrolment_id=enrolment.id,
            email=p.email,
            name=p.name,
            external_id=p.external_id,
            role=p.role,
            course=target.course,
            cohort=p.cohort,
            channel=p.channel,
            phone=p.phone,
            import_id=target.import_id,
            invite=enrolment.invite,
        ),
    )
    if enrolment.account_id is None:
        return [created]
    activated = EnrolmentActivated.caused_by(
        created,
        source=SOURCE,
        subject=enrolment.id,
        data=EnrolmentActivatedData.model_construct(
            enrolment_id=enrolment.id,
            account_id=enrolment.account_id,
            email=p.email,
            course=target.course,
            cohort=p.cohort,
            role=p.role,
        ),
    )
    return [created, activated]


async def _enrol(
    store: EnrolmentStore,
    request: Request,
    target: Target,
    people: Sequence[tuple[str, Person]],
) -> set[str]:
    """Insert (id, person) pairs not yet enrolled in the course, with their events; return
    the ids inserted."""
    accounts = await store.accounts_of(request.tenant_id, [p.email for _, p in people])
    enrolments = [
        NewEnrolment(id, person, invite=target.policy is InvitePolicy.AUTO)
        if person.email not in accounts
        else NewEnrolment(id, person, EnrolmentStatus.ACTIVE, accounts[person.email])
        for id, person in people
    ]
    inserted = await store.insert_enrolments(
        request.tenant_id, target.course, enrolments, import_id=target.import_id
    )
    await store.publish(
        [
            event
            for enrolment in enrolments
            if enrolment.id in inserted
            for event in _events_for(request, target, enrolment)
        ]
    )
    return inserted


async def enrol_person(
    store: EnrolmentStore,
    request: Request,
    course: str,
    person: Person,
    policy: InvitePolicy | None = None,
    new_id: IdFactory = new_id,
) -> str:
    await require_course(store, request, course)
    if person.cohort and person.cohort not in await store.cohort_codes(request.tenant_id, course):
        raise InvalidEnrolment("cohort", f"unknown cohort {person.cohort!r} in course {course!r}")
    target = Target(course, await resolve_policy(store, request, policy))
    enrolment_id = new_id()
    if enrolment_id not in await _enrol(store, request, target, [(enrolment_id, person)]):
        raise AlreadyEnrolled(f"{person.email} is already enrolled in {course}")
    return enrolment_id


@dataclass
class ImportResult:
    import_id: str
    status: str = "processing"
    total_rows: int = 0
    enrolled: int = 0
    failed: int = 0
    errors: list[RowError] = field(default_factory=list)


async def import_people(
    uow: UnitOfWork,
    request: Request,
    course: str,
    cohort: str | None,
    rows: Iterable[Row | RowError],
    policy: InvitePolicy | None = None,
    new_id: IdFactory = new_id,
    batch_size: int = IMPORT_BATCH_SIZE,
) -> ImportResult:
    """Enrol every good row, report every bad one with its line. Each batch of rows commits
    with its events; a bad row never stops the good ones."""
    result = ImportResult(import_id=new_id())
    async with uow() as store:
        await require_course(store, request, course)
        cohorts = await store.cohort_codes(request.tenant_id, course)
        if cohort is not None and cohort not in cohorts:
            raise InvalidEnrolment("cohort", f"unknown cohort {cohort!r} in course {course!r}")
        resolved = await resolve_policy(store, request, policy)
        await store.create_import(result.import_id, request.tenant_id, course, cohort, resolved)
    target = Target(course, resolved, result.import_id, cohort)
    try:
        await _import_rows(uow, request, target, cohorts, rows, new_id, batch_size, result)
    except BaseException:
        # The batches already committed stay enrolled (and are reported by GET); the import
        # is marked failed rather than left processing forever.
        async with uow() as store:
            await store.finish_import(result.import_id, "failed")
        raise
    result.status = import_status(result.enrolled, result.failed)
    async with uow() as store:
        await store.finish_import(result.import_id, result.status)
    result.errors.sort(key=lambda e: e.line)
    return result


async def _import_rows(
    uow: UnitOfWork,
    request: Request,
    target: Target,
    cohorts: set[str],
    rows: Iterable[Row | RowError],
    new_id: IdFactory,
    batch_size: int,
    result: ImportResult,
) -> None:
    course, cohort = target.course, target.default_cohort
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, batch_size)):
        errors = [r for r in batch if isinstance(r, RowError)]
        good: list[Row] = []
        for row in batch:
            if isinstance(row, Row):
                person = _with_cohort(row.person, cohort)
                if person.cohort is not None and person.cohort not in cohorts:
                    errors.append(
                        RowError(
                            row.line, "cohort", f"unknown cohort {person.cohort!r}", person.email
                        )
                    )
                else:
                    good.append(Row(row.line, person))
        ids = {row.line: new_id() for row in good}
        async with uow() as store:
            inserted = await _enrol(
                store, request, target, [(ids[row.line], row.person) for row in good]
            )
            errors.extend(
                RowError(row.line, "email", f"already enrolled in {course}", row.person.email)
                for row in good
                if ids[row.line] not in inserted
            )
            await store.add_import_errors(result.import_id, errors)
            await store.count_import_rows(result.import_id, len(batch), len(inserted), len(errors))
        result.total_rows += len(batch)
        result.enrolled += len(inserted)
        result.failed += len(errors)
        result.errors.extend(errors)


def _with_cohort(person: Person, cohort: str | None) -> Person:
    if person.cohort or not cohort:
        return person
    return replace(person, cohort=cohort)


# --- changing enrolments -----------------------------------------------------------------


async def _existing(store: EnrolmentStore, request: Request, enrolment_id: str) -> dict[str, Any]:
    found = await store.enrolment(request.tenant_id, enrolment_id, for_update=True)
    if found is None:
        raise NotFound("no such enrolment")
    return found


def _invitation_requested(request: Request, enrolment: dict[str, Any]) -> InvitationRequested:
    return InvitationRequested(
        source=SOURCE,
        subject=enrolment["id"],
        tenant_id=request.tenant_id,
        correlation_id=request.correlation_id,
        data=InvitationRequestedData.model_construct(
            enrolment_id=enrolment["id"],
            email=enrolment["email"],
            name=enrolment["name"],
            course=enrolment["course"],
            cohort=enrolment["cohort"],
            channel=enrolment["channel"],
            phone=enrolment["phone"],
        ),
    )


async def invite_enrolment(store: EnrolmentStore, request: Request, enrolment_id: str) -> None:
    """Ask for the invitation of one person enrolled without one (seed 001's paper plane)."""
    enrolment = await _existing(store, request, enrolment_id)
    refusal = can_invite(EnrolmentStatus(enrolment["status"]))
    if refusal is None and enrolment["invitation_requested_at"] is not None:
        refusal = "an invitation was already requested"
    if refusal is not None:
        raise Conflict(refusal)
    await store.mark_invitation_requested([enrolment_id])
    await store.publish([_invitation_requested(request, enrolment)])


async def invite_selection(store: EnrolmentStore, request: Request, selection: Selection) -> int:
    """Seed 001's "Send invites to new enrolments": everyone selected who is enrolled and
    not invited yet."""
    if not (selection.course or selection.cohort or selection.import_id):
        raise InvalidEnrolment("course", "name a course, a cohort or an import to invite")
    enrolments = await store.selected_for_invitation(request.tenant_id, selection)
    await store.mark_invitation_requested([e["id"] for e in enrolments])
    await store.publish([_invitation_requested(request, e) for e in enrolments])
    return len(enrolments)


async def update_enrolment(
    store: EnrolmentStore, request: Request, enrolment_id: str, changes: dict[str, str | None]
) -> dict[str, Any]:
    clean = validate_changes(changes)
    enrolment = await _existing(store, request, enrolment_id)
    if clean.get("cohort") and clean["cohort"] not in await store.cohort_codes(
        request.tenant_id, enrolment["course"]
    ):
        raise InvalidEnrolment("cohort", f"unknown cohort {clean['cohort']!r}")
    if enrolment["channel"] == "sms" and "phone" in clean and clean["phone"] is None:
        raise InvalidEnrolment("phone", "a phone number is needed for the sms channel")
    return await store.update_enrolment(enrolment_id, clean) if clean else enrolment


async def cancel_enrolment(
    store: EnrolmentStore, request: Request, enrolment_id: str
) -> dict[str, Any]:
    enrolment = await _existing(store, request, enrolment_id)
    refusal = can_cancel(EnrolmentStatus(enrolment["status"]))
    if refusal is not None:
        raise Conflict(refusal)
    cancelled = await store.cancel(enrolment_id)
    await store.publish(
        [
            EnrolmentCancelled(
                source=SOURCE,
                subject=enrolment_id,
                tenant_id=request.tenant_id,
                correlation_id=request.correlation_id,
                data=EnrolmentCancelledData(
                    enrolment_id=enrolment_id, email=enrolment["email"], course=enrolment["course"]
                ),
            )
        ]
    )
    return cancelled


# --- events from the other services ------------------------------------------------------


async def on_invitations_issued(store: EnrolmentStore, events: Sequence[InvitationIssued]) -> None:
    current = await store.statuses_for_update([e.data.enrolment_id for e in events])
    await store.mark_invited(
        [
            (
                e.data.enrolment_id,
                status_after_invitation_issued(current[e.data.enrolment_id]),
                e.data.invitation_id,
                e.time,
            )
            for e in events
            if e.data.enrolment_id in current
        ]
    )


async def on_notifications_sent(store: EnrolmentStore, events: Sequence[NotificationSent]) -> None:
    await store.mark_emailed([(e.data.enrolment_id, e.data.sent_at) for e in events])


async def on_notification_failed(store: EnrolmentStore, event: NotificationFailed) -> None:
    await store.mark_delivery_failed(event.data.enrolment_id, event.time)


async def on_registration_completed(store: EnrolmentStore, event: RegistrationCompleted) -> None:
    await store.remember_account(event.tenant_id, str(event.data.email), event.data.account_id)
    await store.mark_registered(event.data.enrolment_id, event.data.account_id, event.time)


async def on_account_activated(store: EnrolmentStore, event: AccountActivated) -> None:
    current = await store.status_for_update(event.data.enrolment_id)
    if current is None:
        return
    new_status = status_after_account_activated(current)
    if new_status is current:
        return
    row: dict[str, Any] = await store.mark_activated(
        event.data.enrolment_id, new_status, event.data.account_id, event.time
    )
    await store.publish(
        [
            EnrolmentActivated.caused_by(
                event,
                source=SOURCE,
                subject=row["id"],
                data=EnrolmentActivatedData(
                    enrolment_id=row["id"],
                    account_id=event.data.account_id,
                    email=row["email"],
                    course=row["course"],
                    cohort=row["cohort"],
                    role=row["role"],
                ),
            )
        ]
    )
