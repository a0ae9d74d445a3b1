"""The people a case enrols, and messages the size of the real ones."""

import uuid
from datetime import UTC, datetime, timedelta

from invitation.domain.links import accept_link, new_token
from notification.domain.messages import MessageContent, write_email
from onboarding_contracts import EnrolmentCreated, Origin
from onboarding_contracts.events import EnrolmentCreatedData

SENDER = "Onboarding <no-reply@onboarding.local>"


def email_of(tag: str, n: int) -> str:
    return f"person{n:06d}.{tag}@example.org"


def people_csv(tag: str, rows: int) -> bytes:
    """An import file of `rows` people with unique emails (`tag` keeps runs apart)."""
    lines = ["email,id,name\n"]
    lines += [f"{email_of(tag, n)},S{n:06d},Person {n:06d}\n" for n in range(1, rows + 1)]
    return "".join(lines).encode()


def enrolment_created_payload() -> bytes:
    """An EnrolmentCreated event as the enrolment service publishes it for an imported row."""
    event = EnrolmentCreated.new(
        Origin(
            "/onboarding/enrolment", tenant_id=str(uuid.uuid4()), correlation_id=str(uuid.uuid4())
        ),
        EnrolmentCreatedData(
            enrolment_id=str(uuid.uuid4()),
            email=email_of("limits", 1),
            name="Person 000001",
            external_id="S000001",
            role="learner",
            course="bench-limits",
            import_id=str(uuid.uuid4()),
        ),
    )
    return event.model_dump_json().encode()


def invitation_email_bytes(registration_url: str = "http://127.0.0.1:8004") -> bytes:
    """An invitation email as the notification service sends it, serialised."""
    email = write_email(
        message_id=str(uuid.uuid4()),
        sender=SENDER,
        content=MessageContent(
            kind="invitation",
            locale=None,
            email=email_of("limits", 1),
            name="Person 000001",
            course="bench-limits",
            link=accept_link(registration_url, new_token()),
            expires_at=datetime.now(UTC) + timedelta(hours=24),
        ),
    )
    return email.data
