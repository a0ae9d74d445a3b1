"""What the endpoint tests share: the tenants' keys and small clients of the API."""

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
from aiokafka import AIOKafkaProducer
from onboarding_contracts import (
    AccountActivated,
    Envelope,
    InvitationAccepted,
    InvitationExpired,
    InvitationIssued,
    InvitationRevoked,
    NotificationDeferred,
    NotificationDelivered,
    NotificationFailed,
    NotificationSent,
    RegistrationCompleted,
    Topic,
    topic_of,
)
from onboarding_contracts.events import (
    AccountActivatedData,
    InvitationAcceptedData,
    InvitationExpiredData,
    InvitationIssuedData,
    InvitationRevokedData,
    MessageKind,
    NotificationDeferredData,
    NotificationDeliveredData,
    NotificationFailedData,
    NotificationSentData,
    RegistrationCompletedData,
    SendReason,
)
from onboarding_devtools.testing import eventually, read_topic
from onboarding_kit.kafka import TopicNames
from onboarding_kit.problems import PROBLEM_JSON

KEY = "onb_endpoints-test-key-00000000000000"
OTHER_KEY = "onb_endpoints-other-key-0000000000000"
OTHER = {"Authorization": f"Bearer {OTHER_KEY}"}

EXPORT_HEADER = [
    "id", "email", "name", "external_id", "role", "course", "cohort", "phone", "channel",
    "status", "import_id", "invited_at", "emailed_at", "registered_at", "activated_at",
    "created_at", "locale", "middle_name", "file_number", "tags", "sections",
]  # fmt: skip


def refused_field(response: httpx.Response) -> str:
    """The one field a 422 problem names."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    [error] = response.json()["errors"]
    field: str = error["field"]
    return field


async def enrol(client: httpx.AsyncClient, email: str, name: str = "", **fields: Any) -> dict:
    body = {"email": email, "name": name or email.split("@")[0], "course": "ielts", **fields}
    response = await client.post("/v1/enrolments", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def set_policy(client: httpx.AsyncClient, policy: str) -> None:
    response = await client.put("/v1/settings", json={"invite_policy": policy})
    assert response.status_code == 200, response.text


def post_csv(
    client: httpx.AsyncClient, body: str | bytes, course: str = "ielts", **params: str
) -> Any:
    return client.post(
        "/v1/imports",
        params={"course": course, **params},
        content=body.encode() if isinstance(body, str) else body,
        headers={"content-type": "text/csv"},
    )


async def enrolment_events(
    kafka: str, topics: TopicNames, until: Callable[[list[dict]], bool]
) -> list[dict]:
    """Every event on the (prefixed) enrolment topic, decoded, once `until` holds."""
    records = await read_topic(
        kafka,
        [topics.name(Topic.ENROLMENT)],
        until=lambda rs: until([json.loads(r.value) for r in rs]),
    )
    return [json.loads(r.value) for r in records]


def of_type(events: list[dict], suffix: str) -> list[dict]:
    return [e for e in events if e["type"] == f"onboarding.enrolment.{suffix}"]


def parse_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


async def list_all(client: httpx.AsyncClient, **params: Any) -> list[dict]:
    response = await client.get("/v1/enrolments", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return response.json()["items"]


# --- events of the invitation service, as the tests stand in for it ----------------------

_COMMON = {"source": "/test", "tenant_id": "ignored-by-handlers", "correlation_id": "c"}


def issued(
    enrolment_id: str,
    send_count: int = 1,
    *,
    invitation_id: str | None = None,
    reason: SendReason = "invitation",
    resend_count: int = 0,
    reminder_count: int = 0,
    at: datetime | None = None,
    ttl: timedelta = timedelta(days=1),
) -> InvitationIssued:
    at = at or datetime.now(UTC)
    invitation_id = invitation_id or f"inv-{enrolment_id}"
    return InvitationIssued(
        subject=invitation_id,
        time=at,
        **_COMMON,
        data=InvitationIssuedData(
            invitation_id=invitation_id,
            enrolment_id=enrolment_id,
            email="someone@example.org",
            name="Someone",
            course="ielts",
            expires_at=at + ttl,
            send_count=send_count,
            reason=reason,
            resend_count=resend_count,
            reminder_count=reminder_count,
            sealed_link="v1.opaque",
        ),
    )


def expired(enrolment_id: str, send_count: int = 1) -> InvitationExpired:
    invitation_id = f"inv-{enrolment_id}"
    return InvitationExpired(
        subject=invitation_id,
        **_COMMON,
        data=InvitationExpiredData(
            invitation_id=invitation_id,
            enrolment_id=enrolment_id,
            send_count=send_count,
            expired_at=datetime.now(UTC),
        ),
    )


def accepted(enrolment_id: str) -> InvitationAccepted:
    invitation_id = f"inv-{enrolment_id}"
    return InvitationAccepted(
        subject=invitation_id,
        **_COMMON,
        data=InvitationAcceptedData(
            invitation_id=invitation_id, enrolment_id=enrolment_id, accepted_at=datetime.now(UTC)
        ),
    )


def revoked(enrolment_id: str) -> InvitationRevoked:
    invitation_id = f"inv-{enrolment_id}"
    return InvitationRevoked(
        subject=invitation_id,
        **_COMMON,
        data=InvitationRevokedData(
            invitation_id=invitation_id, enrolment_id=enrolment_id, revoked_at=datetime.now(UTC)
        ),
    )


def registered(
    enrolment_id: str, email: str, tenant_id: str, *, awaiting_activation: bool = False
) -> RegistrationCompleted:
    """As the registration service says it; `awaiting_activation` for a tenant that
    approves accounts by hand."""
    account_id = f"acc-{enrolment_id}"
    return RegistrationCompleted(
        source="/test",
        subject=account_id,
        tenant_id=tenant_id,
        correlation_id="c",
        data=RegistrationCompletedData(
            account_id=account_id,
            invitation_id=f"inv-{enrolment_id}",
            enrolment_id=enrolment_id,
            email=email,
            username=email.split("@")[0],
            first_name="Pat",
            last_name="Doe",
            awaiting_activation=awaiting_activation,
        ),
    )


def account_activated(enrolment_id: str, email: str, tenant_id: str) -> AccountActivated:
    """The account `registered` made, activated."""
    account_id = f"acc-{enrolment_id}"
    return AccountActivated(
        source="/test",
        subject=account_id,
        tenant_id=tenant_id,
        correlation_id="c",
        data=AccountActivatedData(
            account_id=account_id, enrolment_id=enrolment_id, email=email, username="pat"
        ),
    )


# --- events of the notification service ---------------------------------------------------


def _message(
    notification_id: str, enrolment_id: str, kind: MessageKind, channel: str
) -> dict[str, Any]:
    return {
        "notification_id": notification_id,
        "invitation_id": f"inv-{enrolment_id}",
        "enrolment_id": enrolment_id,
        "kind": kind,
        "channel": channel,
    }


def deferred(
    notification_id: str,
    enrolment_id: str,
    attempts: int,
    *,
    kind: MessageKind = "invitation",
    channel: str = "email",
    reason: str = "421 try again later",
) -> NotificationDeferred:
    now = datetime.now(UTC)
    return NotificationDeferred(
        subject=notification_id,
        time=now,
        **_COMMON,
        data=NotificationDeferredData(
            **_message(notification_id, enrolment_id, kind, channel),
            reason=reason,
            attempts=attempts,
            next_attempt_at=now + timedelta(minutes=attempts),
        ),
    )


def sent(
    notification_id: str,
    enrolment_id: str,
    *,
    kind: MessageKind = "invitation",
    channel: str = "email",
    attempts: int = 1,
    provider_id: str | None = None,
) -> NotificationSent:
    now = datetime.now(UTC)
    return NotificationSent(
        subject=notification_id,
        time=now,
        **_COMMON,
        data=NotificationSentData(
            **_message(notification_id, enrolment_id, kind, channel),
            sent_at=now,
            attempts=attempts,
            provider_id=provider_id,
        ),
    )


def delivered(
    notification_id: str, enrolment_id: str, *, kind: MessageKind = "invitation"
) -> NotificationDelivered:
    now = datetime.now(UTC)
    return NotificationDelivered(
        subject=notification_id,
        time=now,
        **_COMMON,
        data=NotificationDeliveredData(
            **_message(notification_id, enrolment_id, kind, "sms"), delivered_at=now
        ),
    )


def failed(
    notification_id: str,
    enrolment_id: str,
    *,
    kind: MessageKind = "invitation",
    channel: str = "email",
    reason: str = "550 no such mailbox",
    attempts: int = 3,
    status: Literal["failed", "undelivered"] = "failed",
) -> NotificationFailed:
    now = datetime.now(UTC)
    return NotificationFailed(
        subject=notification_id,
        time=now,
        **_COMMON,
        data=NotificationFailedData(
            **_message(notification_id, enrolment_id, kind, channel),
            reason=reason,
            attempts=attempts,
            status=status,
            failed_at=now,
        ),
    )


async def publish(producer: AIOKafkaProducer, topics: TopicNames, *events: Envelope) -> None:
    """Publish as their service would: on its topic, keyed by the subject, in order."""
    for event in events:
        topic = topics.name(topic_of(event.type))
        await producer.send_and_wait(topic, event.to_json(), key=event.subject.encode())


async def invitations_of(client: httpx.AsyncClient, **params: Any) -> list[dict]:
    response = await client.get("/v1/invitations", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    items: list[dict] = response.json()["items"]
    return items


async def invitation_becomes(client: httpx.AsyncClient, enrolment_id: str, **expected: Any) -> dict:
    """The enrolment's invitation once the list shows it with these values."""

    async def shown() -> dict | None:
        for item in await invitations_of(client):
            if item["enrolment_id"] == enrolment_id and all(
                item[k] == v for k, v in expected.items()
            ):
                return item
        return None

    found: dict = await eventually(shown)
    return found


async def status_becomes(client: httpx.AsyncClient, enrolment_id: str, status: str) -> dict:
    async def reached() -> dict | None:
        enrolment: dict = (await client.get(f"/v1/enrolments/{enrolment_id}")).json()
        return enrolment if enrolment["status"] == status else None

    found: dict = await eventually(reached)
    return found
