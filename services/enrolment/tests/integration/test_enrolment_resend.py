"""`POST /v1/enrolments/{id}/resend` with a stand-in for the invitation service: what the
enrolment service refuses itself, what it asks, how it passes on the answer (or its
absence), and the list showing a resend at once."""

from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaProducer
from enrolment.errors import InvitationServiceUnavailable, SendRefused
from onboarding_contracts.internal.invitations import InvitationState, ResendIn
from onboarding_kit.problems import PROBLEM_JSON

from .helpers import (
    OTHER,
    accepted,
    enrol,
    expired,
    invitation_becomes,
    invitations_of,
    issued,
    publish,
    status_becomes,
)

pytestmark = pytest.mark.integration


class StandIn:
    """The invitation service's resend: records each request, gives the answer set."""

    def __init__(self) -> None:
        self.requests: list[ResendIn] = []
        self.answer: InvitationState | Exception | None = None

    async def resend(self, request: ResendIn) -> InvitationState:
        self.requests.append(request)
        if isinstance(self.answer, Exception):
            raise self.answer
        assert self.answer is not None
        return self.answer


@pytest.fixture
def invitations() -> StandIn:
    return StandIn()


def state(enrolment_id: str, send_count: int, resend_count: int) -> InvitationState:
    now = datetime.now(UTC)
    return InvitationState(
        invitation_id=f"inv-{enrolment_id}",
        enrolment_id=enrolment_id,
        status="pending",
        send_count=send_count,
        resend_count=resend_count,
        reminder_count=0,
        last_sent_at=now,
        expires_at=now + timedelta(hours=6),
    )


async def test_a_resend_is_asked_of_the_invitation_service_and_shown_at_once(
    client, invitations: StandIn, topics, producer: AIOKafkaProducer
) -> None:
    await client.put("/v1/settings", json={"invitation_ttl_hours": 6, "max_resends": 5})
    person = (await enrol(client, "late@example.org"))["id"]
    await publish(producer, topics, issued(person), expired(person))
    await status_becomes(client, person, "expired")

    invitations.answer = state(person, 2, 1)
    resent = await client.post(f"/v1/enrolments/{person}/resend")
    assert resent.status_code == 200, resent.text
    body = resent.json()
    assert (body["enrolment_id"], body["email"], body["status"]) == (
        person,
        "late@example.org",
        "pending",
    )
    assert (body["send_count"], body["resend_count"]) == (2, 1)
    (request,) = invitations.requests
    assert (request.enrolment_id, request.link_policy.ttl_hours) == (person, 6)
    assert request.link_policy.max_resends == 5
    # The list and the enrolment show it without waiting for the InvitationIssued.
    (shown,) = await invitations_of(client)
    assert (shown["status"], shown["send_count"], shown["resend_count"]) == ("pending", 2, 1)
    assert (await client.get(f"/v1/enrolments/{person}")).json()["status"] == "invited"
    # The event that follows changes nothing; a later expiry of link 1 neither.
    await publish(producer, topics, issued(person, 2, reason="resend", resend_count=1))
    await publish(producer, topics, expired(person, 1), issued(person, 3, reason="reminder"))
    await invitation_becomes(client, person, send_count=3)
    assert (await client.get(f"/v1/enrolments/{person}")).json()["status"] == "invited"


async def test_a_refusal_of_the_invitation_service_is_passed_on(
    client, invitations: StandIn, topics, producer: AIOKafkaProducer
) -> None:
    person = (await enrol(client, "often@example.org"))["id"]
    await publish(producer, topics, issued(person))
    await status_becomes(client, person, "invited")
    message = "This invitation was resent 3 times already, the most allowed."
    invitations.answer = SendRefused("limit_reached", message)
    refused = await client.post(f"/v1/enrolments/{person}/resend")
    assert refused.status_code == 409
    assert refused.headers["content-type"] == PROBLEM_JSON
    assert (refused.json()["reason"], refused.json()["detail"]) == ("limit_reached", message)
    assert refused.json()["message"] == message

    invitations.answer = InvitationServiceUnavailable("connection refused")
    down = await client.post(f"/v1/enrolments/{person}/resend")
    assert down.status_code == 503 and down.headers["content-type"] == PROBLEM_JSON
    assert "connection refused" not in down.text, "the cause is for the log, not the caller"
    (shown,) = await invitations_of(client)
    assert shown["send_count"] == 1, "nothing changed"


async def test_what_the_enrolment_service_refuses_without_asking(
    client, invitations: StandIn, topics, producer: AIOKafkaProducer
) -> None:
    never = (await enrol(client, "never@example.org", invite="manual"))["id"]
    gone = (await enrol(client, "gone@example.org"))["id"]
    keen = (await enrol(client, "keen@example.org"))["id"]
    await publish(producer, topics, issued(gone), issued(keen), accepted(keen))
    await invitation_becomes(client, keen, status="accepted")
    await client.post(f"/v1/enrolments/{gone}/cancel")

    for enrolment_id, reason in [
        (never, "not_invited"),
        (gone, "cancelled"),
        (keen, "registered"),
    ]:
        refused = await client.post(f"/v1/enrolments/{enrolment_id}/resend")
        assert refused.status_code == 409, refused.text
        assert refused.json()["reason"] == reason
    assert (await client.post("/v1/enrolments/nobody/resend")).status_code == 404
    assert (await client.post(f"/v1/enrolments/{keen}/resend", headers=OTHER)).status_code == 404
    assert invitations.requests == []
