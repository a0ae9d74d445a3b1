"""Use cases of the enrolment service: one function per command or event."""

import itertools
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from onboarding_contracts import (
    AccountActivated,
    EnrolmentActivated,
    EnrolmentCreated,
    InvitationIssued,
    NotificationSent,
    RegistrationCompleted,
)
from onboarding_contracts.events import EnrolmentActivatedData, EnrolmentCreatedData

from enrolment.domain import (
    Person,
    Row,
    RowError,
    import_status,
    status_after_account_activated,
    status_after_invitation_issued,
)
from enrolment.store import EnrolmentStore, NewEnrolment, UnitOfWork

SOURCE = "/onboarding/enrolment"
IMPORT_BATCH_SIZE = 1000

IdFactory = Callable[[], str]


def new_id() -> str:
    return str(uuid.uuid4())


class AlreadyEnrolled(ValueError):
    pass


@dataclass(frozen=True)
class Request:
    """Who asks: the tenant and the correlation id every resulting event carries."""

    tenant_id: str
    correlation_id: str


def _created(
    request: Request, enrolment: NewEnrolment, course: str, import_id: str | None
) -> EnrolmentCreated:
    p = enrolment.person
    return EnrolmentCreated(
        source=SOURCE,
        subject=enrolment.id,
        tenant_id=request.tenant_id,
        correlation_id=request.correlation_id,
        data=EnrolmentCreatedData(
            enrolment_id=enrolment.id,
            email=p.email,
            name=p.name,
            external_id=p.external_id,
            role=p.role,
            course=course,
            cohort=p.cohort,
            channel=p.channel,
            phone=p.phone,
            import_id=import_id,
        ),
    )


async def enrol_person(
    store: EnrolmentStore, request: Request, course: str, person: Person, new_id: IdFactory = new_id
) -> str:
    enrolment = NewEnrolment(new_id(), person)
    inserted = await store.insert_enrolments(request.tenant_id, course, [enrolment])
    if enrolment.id not in inserted:
        raise AlreadyEnrolled(f"{person.email} is already enrolled in {course}")
    await store.publish([_created(request, enrolment, course, None)])
    return enrolment.id


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
    new_id: IdFactory = new_id,
    batch_size: int = IMPORT_BATCH_SIZE,
) -> ImportResult:
    """Enrol every good row, report every bad one with its line. Each batch of rows commits
    with its events; a bad row never stops the good ones."""
    result = ImportResult(import_id=new_id())
    async with uow() as store:
        await store.create_import(result.import_id, request.tenant_id, course, cohort)
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, batch_size)):
        good = [r for r in batch if isinstance(r, Row)]
        errors = [r for r in batch if isinstance(r, RowError)]
        enrolments = {r.line: NewEnrolment(new_id(), _with_cohort(r.person, cohort)) for r in good}
        async with uow() as store:
            inserted = await store.insert_enrolments(
                request.tenant_id, course, list(enrolments.values()), import_id=result.import_id
            )
            errors.extend(
                RowError(r.line, "email", f"already enrolled in {course}", r.person.email)
                for r in good
                if enrolments[r.line].id not in inserted
            )
            await store.publish(
                [
                    _created(request, e, course, result.import_id)
                    for e in enrolments.values()
                    if e.id in inserted
                ]
            )
            await store.add_import_errors(result.import_id, errors)
        result.total_rows += len(batch)
        result.enrolled += len(inserted)
        result.failed += len(errors)
        result.errors.extend(errors)
    result.status = import_status(result.enrolled, result.failed)
    async with uow() as store:
        await store.finish_import(
            result.import_id, result.status, result.total_rows, result.enrolled, result.failed
        )
    result.errors.sort(key=lambda e: e.line)
    return result


def _with_cohort(person: Person, cohort: str | None) -> Person:
    if person.cohort or not cohort:
        return person
    return Person(**{**person.__dict__, "cohort": cohort})


# --- events from the other services ------------------------------------------------------


async def on_invitation_issued(store: EnrolmentStore, event: InvitationIssued) -> None:
    current = await store.status_for_update(event.data.enrolment_id)
    if current is None:
        return
    await store.mark_invited(
        event.data.enrolment_id,
        status_after_invitation_issued(current),
        event.data.invitation_id,
        event.time,
    )


async def on_notification_sent(store: EnrolmentStore, event: NotificationSent) -> None:
    await store.mark_emailed(event.data.enrolment_id, event.data.sent_at)


async def on_registration_completed(store: EnrolmentStore, event: RegistrationCompleted) -> None:
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
